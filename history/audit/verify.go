package audit

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/vigil-hmi/vigil/history"
)

// ProblemKind is what Verify found wrong with a record.
type ProblemKind string

// The kinds of problem.
const (
	Edited     ProblemKind = "edited"     // content or hash changed
	Deleted    ProblemKind = "deleted"    // a record is missing
	Reordered  ProblemKind = "reordered"  // a record is out of chain order
	Inserted   ProblemKind = "inserted"   // a record not written through the chain, or a copy
	Unreadable ProblemKind = "unreadable" // the store cannot decode a record; verification stopped there
)

// Problem is one finding of Verify.
type Problem struct {
	Kind  ProblemKind
	Seq   uint64 // the record's sequence number in the journal (the first missing one for Deleted; 0 if unknown)
	Chain uint64 // its chain number, when known
	Msg   string // what is wrong, for the engineer
}

// String renders "seq 7 (chain 7): edited: ...".
func (p Problem) String() string {
	at := "seq ?"
	if p.Seq != 0 {
		at = "seq " + strconv.FormatUint(p.Seq, 10)
	}
	if p.Chain != 0 {
		at += " (chain " + strconv.FormatUint(p.Chain, 10) + ")"
	}
	return fmt.Sprintf("%s: %s: %s", at, p.Kind, p.Msg)
}

// Record names one chained record.
type Record struct {
	Seq   uint64
	Chain uint64
	Time  time.Time
	Hash  string
}

// Report is the result of Verify.
type Report struct {
	Events   int    // events read
	Chained  int    // of them chained
	PreChain int    // events before the first chained one (written before auditing began); not checked
	First    Record // the oldest chained record
	Last     Record // the newest: keep its hash elsewhere to detect a cut-off tail later
	// How the chain starts, when that is known: with its genesis record
	// (Genesis); after chain records 1..Pruned, which a retention marker
	// says retention removed (Pruned > 0); or, in a journal written before
	// Vigil wrote genesis records, with an ordinary record 1 linked to the
	// zero hash (Legacy). Otherwise a Deleted problem says the start is
	// unknown.
	Genesis  bool
	Pruned   uint64
	Legacy   bool
	Problems []Problem
}

// OK reports whether no problem was found.
func (r Report) OK() bool { return len(r.Problems) == 0 }

type rec struct {
	e          history.Event
	n          uint64
	prev, hash string
	contentOK  bool
}

var seqInError = regexp.MustCompile(`event seq (\d+)`)

// Verify reads the whole journal and checks its chain: every record's
// hash against its content, every link against the record before, the
// chain numbers for gaps, duplicates and order, and the store's sequence
// numbers for gaps (records deleted around the chain). The journal is
// held in memory while it is checked. A journal the store cannot read
// gives a Report with an Unreadable problem, not an error; the error is
// for ctx and I/O.
func Verify(ctx context.Context, j interface {
	Events(ctx context.Context, from, to time.Time, filter string, limit int) ([]history.Event, error)
}) (Report, error) {
	var r Report
	evs, err := j.Events(ctx, minTime, maxTime, "", 0)
	if err != nil {
		if ctx.Err() != nil {
			return r, err
		}
		p := Problem{Kind: Unreadable, Msg: fmt.Sprintf("%v; records after it were not checked", err)}
		if m := seqInError.FindStringSubmatch(err.Error()); m != nil {
			p.Seq, _ = strconv.ParseUint(m[1], 10, 64)
		}
		r.Problems = append(r.Problems, p)
		return r, nil
	}
	r.Events = len(evs)
	var recs []rec
	var removed []marker // the retention markers, in journal order
	present := make(map[uint64]bool, len(evs))
	for _, e := range evs {
		present[e.Seq] = true
		n, prev, hash, lerr := link(e)
		switch {
		case lerr == errNotChained && len(recs) == 0:
			r.PreChain++
			continue
		case lerr == errNotChained:
			r.Problems = append(r.Problems, Problem{Kind: Inserted, Seq: e.Seq,
				Msg: fmt.Sprintf("%s %s %q by %q at %s is not part of the chain: written around it or inserted",
					e.Kind, e.Name, e.Source, e.User, e.Time.Format(time.RFC3339))})
			continue
		case lerr != nil:
			r.Problems = append(r.Problems, Problem{Kind: Edited, Seq: e.Seq, Msg: lerr.Error()})
			continue
		}
		recs = append(recs, rec{e: e, n: n, prev: prev, hash: hash, contentOK: Hash(e) == hash})
		if x := recs[len(recs)-1]; x.contentOK && e.Kind == Kind && e.Name == ActRetention {
			if k, err := strconv.ParseUint(e.Data[KeyRemovedChain], 10, 64); err == nil {
				removed = append(removed, marker{through: k, hash: e.Data[KeyRemovedHash], seq: e.Seq})
			}
		}
	}
	r.Chained = len(recs)
	if len(recs) == 0 {
		return r, nil
	}
	r.First = Record{Seq: recs[0].e.Seq, Chain: recs[0].n, Time: recs[0].e.Time, Hash: recs[0].hash}
	last := recs[len(recs)-1]
	r.Last = Record{Seq: last.e.Seq, Chain: last.n, Time: last.e.Time, Hash: last.hash}

	byN := make(map[uint64]*rec, len(recs))
	edited := map[uint64]bool{}
	addEdited := func(x *rec, msg string) {
		if !edited[x.e.Seq] {
			edited[x.e.Seq] = true
			r.Problems = append(r.Problems, Problem{Kind: Edited, Seq: x.e.Seq, Chain: x.n, Msg: msg})
		}
	}
	var maxN uint64
	for i := range recs {
		x := &recs[i]
		if !x.contentOK {
			addEdited(x, "its content does not match its hash")
		}
		if other, dup := byN[x.n]; dup {
			r.Problems = append(r.Problems, Problem{Kind: Inserted, Seq: x.e.Seq, Chain: x.n,
				Msg: fmt.Sprintf("chain number %d is also held by seq %d: a copy", x.n, other.e.Seq)})
			continue
		}
		byN[x.n] = x
		if i > 0 && x.n < maxN {
			r.Problems = append(r.Problems, Problem{Kind: Reordered, Seq: x.e.Seq, Chain: x.n,
				Msg: fmt.Sprintf("comes after chain record %d in the journal", maxN)})
		}
		maxN = max(maxN, x.n)
		if x.n == 1 && x.prev != Genesis {
			addEdited(x, "the first record of the chain does not start from the genesis hash")
		}
	}
	// Links and gaps, in chain order.
	explained := map[uint64]bool{}
	ns := slices.Sorted(func(yield func(uint64) bool) {
		for n := range byN {
			if !yield(n) {
				return
			}
		}
	})
	r.start(byN[ns[0]], removed, addEdited)
	for i := 1; i < len(ns); i++ {
		a, b := byN[ns[i-1]], byN[ns[i]]
		if b.n == a.n+1 {
			if b.prev != a.hash && b.contentOK {
				addEdited(a, fmt.Sprintf("its hash does not match the link in the next record (seq %d)", b.e.Seq))
			}
			continue
		}
		// Chain records a.n+1 .. b.n-1 are gone; so are the sequence
		// numbers between theirs that no event holds.
		var missing []uint64
		for s := min(a.e.Seq, b.e.Seq) + 1; s < max(a.e.Seq, b.e.Seq); s++ {
			if !present[s] {
				missing = append(missing, s)
				explained[s] = true
			}
		}
		p := Problem{Kind: Deleted, Chain: a.n + 1}
		if len(missing) > 0 {
			p.Seq = missing[0]
		}
		p.Msg = fmt.Sprintf("%s %s missing between seq %d and seq %d", chainRange(a.n+1, b.n-1), seqRange(missing), a.e.Seq, b.e.Seq)
		r.Problems = append(r.Problems, p)
	}
	// Sequence numbers missing since the chain began that no chain gap
	// explains: events deleted around the chain, or a tail cut off before
	// the chain was continued.
	seqs := make([]uint64, 0, len(present))
	for s := range present {
		if s >= r.First.Seq {
			seqs = append(seqs, s)
		}
	}
	slices.Sort(seqs)
	for i := 1; i < len(seqs); i++ {
		var missing []uint64
		for s := seqs[i-1] + 1; s < seqs[i]; s++ {
			if !explained[s] {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			r.Problems = append(r.Problems, Problem{Kind: Deleted, Seq: missing[0],
				Msg: fmt.Sprintf("records %s missing (no chain record lacks them: deleted together with the newest records, or around the chain)", seqRange(missing))})
		}
	}
	slices.SortStableFunc(r.Problems, func(a, b Problem) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	return r, nil
}

// marker is a retention marker: chain records 1..through were removed,
// the last of them with hash.
type marker struct {
	through uint64
	hash    string
	seq     uint64
}

// start checks how the chain starts at its oldest record, oldest: with
// the genesis record, after a prefix a retention marker accounts for, or
// as a legacy chain (record 1 without genesis). A missing prefix no marker
// accounts for is reported as Deleted: the chain's start is unknown.
func (r *Report) start(oldest *rec, removed []marker, edited func(*rec, string)) {
	if oldest.n == 1 {
		e := oldest.e
		r.Genesis = e.Kind == Kind && e.Name == ActGenesis
		r.Legacy = !r.Genesis
		return
	}
	var covering *marker
	for i := range removed {
		if m := &removed[i]; m.through+1 >= oldest.n && (covering == nil || m.through < covering.through) {
			covering = m
		}
	}
	if covering == nil {
		gone := fmt.Sprintf("chain records 1..%d were", oldest.n-1)
		if oldest.n == 2 {
			gone = "chain record 1 was"
		}
		// No Seq: those of the missing records are unknown.
		r.Problems = append(r.Problems, Problem{Kind: Deleted, Chain: 1, Msg: fmt.Sprintf(
			"no genesis: chain start unknown: the oldest record is chain record %d (seq %d), and no retention marker says that %s removed: deleted",
			oldest.n, oldest.e.Seq, gone)})
		return
	}
	r.Pruned = oldest.n - 1
	if covering.through+1 == oldest.n && covering.hash != oldest.prev {
		edited(oldest, fmt.Sprintf("its link does not match the hash of chain record %d, which the retention marker at seq %d says was removed", covering.through, covering.seq))
	}
}

func chainRange(a, b uint64) string {
	if a == b {
		return fmt.Sprintf("chain record %d", a)
	}
	return fmt.Sprintf("chain records %d..%d", a, b)
}

func seqRange(s []uint64) string {
	switch len(s) {
	case 0:
		return "(sequence numbers unknown) is"
	case 1:
		return fmt.Sprintf("(seq %d) is", s[0])
	}
	if s[len(s)-1]-s[0] == uint64(len(s)-1) {
		return fmt.Sprintf("(seq %d..%d) are", s[0], s[len(s)-1])
	}
	return fmt.Sprintf("(seq %v) are", s)
}
