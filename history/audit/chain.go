package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/history"
)

// The Data keys the chain adds to every event.
const (
	KeyChain = "chain" // the record's number in the chain, from 1, decimal
	KeyPrev  = "prev"  // the previous record's hash, hex; Genesis for the first
	KeyHash  = "hash"  // this record's hash, hex
	// KeyClock holds the clock's time when it was behind the previous
	// record's and the record took that time instead (RFC 3339).
	KeyClock = "clock_time"
	// KeyRemovedChain and KeyRemovedHash, in a retention marker, are the
	// number and hash of the newest chain record retention removed: the
	// oldest record left must link to that hash.
	KeyRemovedChain = "removed_through_chain"
	KeyRemovedHash  = "removed_through_hash"
)

// The chain's own records, in an audit event's Name.
const (
	// ActGenesis is the first record of every chain: Verify knows the
	// chain's start from it.
	ActGenesis = "genesis"
	// ActRetention marks what retention removed from the journal, written
	// just before it removes it.
	ActRetention = "retention"
)

// Genesis is the KeyPrev of the first record of a chain.
var Genesis = hex.EncodeToString(make([]byte, sha256.Size))

// Journal is the event store a Chain writes to and Verify reads:
// *history.Store implements it, and so does *Chain (it has the method set
// of alarms.Journal, so the alarm engine writes through the chain).
type Journal interface {
	AppendEvents(events []history.Event) error
	Events(ctx context.Context, from, to time.Time, filter string, limit int) ([]history.Event, error)
}

// Chain appends events to a Journal, hash-chained. All writers of a
// journal should append through one Chain: an event appended around it is
// reported by Verify as inserted. Its methods are safe for concurrent use.
type Chain struct {
	j     Journal
	clock clockwork.Clock
	// noGenesis starts a chain without a genesis record, as Vigil did
	// before it wrote one: for the tests of such journals only.
	noGenesis bool

	mu   sync.Mutex // guards the fields below and serialises appends, so chain order is journal order
	n    uint64     // number of the last record; 0 before the first
	hash string     // hash of the last record
	last time.Time  // Time of the last record
}

// Options tune a Chain.
type Options struct {
	Clock clockwork.Clock // stamps events with a zero Time; default the real clock
}

var (
	minTime = time.Unix(0, 0).Add(-1 << 62)
	maxTime = time.Unix(0, 0).Add(1 << 62)
)

// NewChain returns a Chain that continues the newest chained record of j
// (or starts a chain, with a genesis record, at its first append when j
// has none). When j is a *history.Store, the Chain also marks in the
// chain what the store's retention removes (OnPruneEvents), so that
// Verify can tell retention from deletion.
func NewChain(ctx context.Context, j Journal, opts Options) (*Chain, error) {
	c, err := newChain(ctx, j, opts)
	if err != nil {
		return nil, err
	}
	if p, ok := j.(interface {
		OnPruneEvents(func(context.Context, history.PrunedEvents) error)
	}); ok {
		p.OnPruneEvents(c.markRetention)
	}
	return c, nil
}

func newChain(ctx context.Context, j Journal, opts Options) (*Chain, error) {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	c := &Chain{j: j, clock: opts.Clock, hash: Genesis}
	to := maxTime
	for {
		evs, err := j.Events(ctx, minTime, to, KeyHash, 256)
		if err != nil {
			return nil, fmt.Errorf("audit chain: find the last record: %w", err)
		}
		for i := len(evs) - 1; i >= 0; i-- {
			e := evs[i]
			n, err := strconv.ParseUint(e.Data[KeyChain], 10, 64)
			if e.Data[KeyHash] == "" || err != nil {
				continue
			}
			c.n, c.hash, c.last = n, e.Data[KeyHash], e.Time
			return c, nil
		}
		if len(evs) < 256 {
			return c, nil
		}
		to = evs[0].Time.Add(-time.Nanosecond)
	}
}

// AppendEvents appends events to the journal in one transaction, each
// numbered, linked and hashed, and sets their Seq, Time and Data as stored.
// A zero Time becomes the clock's now; a Time before the previous record's
// becomes that time (the original goes to Data[KeyClock]), so that journal
// order is chain order. On error nothing is appended.
func (c *Chain) AppendEvents(events []history.Event) error {
	if len(events) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	batch := events
	if c.n == 0 && !c.noGenesis {
		// The chain's first record says where it starts.
		batch = append([]history.Event{{Kind: Kind, Source: "audit", Name: ActGenesis, State: StateOK, User: "vigil",
			Message: "the audit chain begins", Data: map[string]string{"format": hashVersion}}}, events...)
	}
	out := make([]history.Event, len(batch))
	n, prev, last := c.n, c.hash, c.last
	now := c.clock.Now()
	for i, e := range batch {
		e.Data = maps.Clone(e.Data)
		if e.Data == nil {
			e.Data = map[string]string{}
		}
		delete(e.Data, KeyHash)
		delete(e.Data, KeyClock)
		if e.Time.IsZero() {
			e.Time = now
		}
		if e.Time.Before(last) {
			e.Data[KeyClock] = e.Time.UTC().Format(time.RFC3339Nano)
			e.Time = last
		}
		n++
		e.Data[KeyChain] = strconv.FormatUint(n, 10)
		e.Data[KeyPrev] = prev
		// Hash what the store will give back: its JSON form (UTC time,
		// invalid UTF-8 replaced).
		e.Time = e.Time.UTC()
		e, err := roundTrip(e)
		if err != nil {
			return fmt.Errorf("audit chain: event %d: %w", i, err)
		}
		h := Hash(e)
		e.Data[KeyHash] = h
		out[i] = e
		prev, last = h, e.Time
	}
	if err := c.j.AppendEvents(out); err != nil {
		return fmt.Errorf("audit chain: %w", err)
	}
	c.n, c.hash, c.last = n, prev, last
	copy(events, out[len(out)-len(events):])
	return nil
}

// markRetention appends the retention marker for p, which the store is
// about to remove: how many events, older than when, and the number and
// hash of the newest chain record among them.
func (c *Chain) markRetention(_ context.Context, p history.PrunedEvents) error {
	data := map[string]string{
		"removed_count":  strconv.Itoa(p.Count),
		"removed_before": p.Before.UTC().Format(time.RFC3339Nano),
	}
	msg := fmt.Sprintf("retention removes the %d journal events older than %s", p.Count, p.Before.UTC().Format(time.RFC3339))
	if n, _, hash, err := link(p.Last); err == nil {
		data[KeyRemovedChain] = strconv.FormatUint(n, 10)
		data[KeyRemovedHash] = hash
		msg += fmt.Sprintf(", chain records up to %d", n)
	}
	return c.AppendEvents([]history.Event{{Kind: Kind, Source: "history", Name: ActRetention, State: StateOK,
		User: "vigil", Message: msg, Data: data}})
}

// Events reads the journal (the chain adds nothing): with it a Chain is an
// alarms.Journal.
func (c *Chain) Events(ctx context.Context, from, to time.Time, filter string, limit int) ([]history.Event, error) {
	return c.j.Events(ctx, from, to, filter, limit)
}

// Head returns the number and hash of the last record.
func (c *Chain) Head() (uint64, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.hash
}

func roundTrip(e history.Event) (history.Event, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	var out history.Event
	if err := json.Unmarshal(b, &out); err != nil {
		return e, err
	}
	if out.Data == nil {
		out.Data = map[string]string{}
	}
	return out, nil
}

// hashVersion starts the hashed bytes, so that a future encoding cannot be
// confused with this one.
const hashVersion = "vigil-audit-1"

// Hash returns the hex SHA-256 of the canonical encoding of e: every field
// but Seq and Data[KeyHash], each length-prefixed, Data sorted by key. Seq
// is left out because the store assigns it inside its transaction, after
// the hash must be fixed; Data[KeyChain] numbers the record instead, and
// Verify checks that Seq has no gaps between records.
func Hash(e history.Event) string {
	h := sha256.New()
	var buf [binary.MaxVarintLen64]byte
	put := func(s string) {
		h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	put(hashVersion)
	t := e.Time.UTC()
	var tb [12]byte
	binary.BigEndian.PutUint64(tb[:8], uint64(t.Unix()))
	binary.BigEndian.PutUint32(tb[8:], uint32(t.Nanosecond()))
	h.Write(tb[:])
	for _, s := range []string{e.Kind, e.Source, e.Name, e.State, e.User, e.Message} {
		put(s)
	}
	keys := slices.Sorted(maps.Keys(e.Data))
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == KeyHash })
	h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(keys)))])
	for _, k := range keys {
		put(k)
		put(e.Data[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// errNotChained marks an event without chain fields.
var errNotChained = errors.New("not chained")

// link reads an event's chain fields.
func link(e history.Event) (n uint64, prev, hash string, err error) {
	hash, prev = e.Data[KeyHash], e.Data[KeyPrev]
	s, ok := e.Data[KeyChain]
	if hash == "" && prev == "" && !ok {
		return 0, "", "", errNotChained
	}
	n, err = strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, prev, hash, fmt.Errorf("chain number %q is not a number", s)
	}
	return n, prev, hash, nil
}
