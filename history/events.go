package history

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// eventVersion is the first byte of a stored event; JSON follows.
const eventVersion = 1

// AppendEvents stores events in the journal in one transaction, assigning
// each its Seq (strictly increasing across the file's life) in place. An
// event with a zero Time gets the Store clock's now.
func (s *Store) AppendEvents(events []Event) (err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	if len(events) == 0 {
		return nil
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	now := s.opts.Clock.Now()
	out := slices.Clone(events)
	err = s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		for i := range out {
			e := &out[i]
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			e.Seq = seq
			if e.Time.IsZero() {
				e.Time = now
			}
			e.Time = e.Time.UTC()
			val, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("event %d: %w", i, err)
			}
			var key [16]byte
			binary.BigEndian.PutUint64(key[:8], sortable(clampNanos(e.Time)))
			binary.BigEndian.PutUint64(key[8:], seq)
			if err := b.Put(key[:], append([]byte{eventVersion}, val...)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("history %s: append %d events: %w", s.path, len(events), err)
	}
	copy(events, out)
	return nil
}

// Events returns the journal's events with from <= Time <= to whose kind,
// source, name, state, user, message or data contain filter (case-
// insensitive; "" matches all), in time order (ties by Seq). When more than
// limit match (limit > 0), the newest limit are returned: to page back, ask
// again with to set just before the oldest one returned.
func (s *Store) Events(ctx context.Context, from, to time.Time, filter string, limit int) (_ []Event, err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	filter = strings.ToLower(filter)
	var out []Event
	err = s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		var hi [16]byte
		binary.BigEndian.PutUint64(hi[:8], sortable(clampNanos(to)))
		binary.BigEndian.PutUint64(hi[8:], ^uint64(0))
		lo := sortable(clampNanos(from))
		k, _ := c.Seek(hi[:])
		var v []byte
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev() // hi itself cannot exist: seq never reaches 2^64-1
		}
		for n := 0; k != nil; k, v = c.Prev() {
			if len(k) != 16 || binary.BigEndian.Uint64(k) < lo {
				break
			}
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			e, err := decodeEvent(v)
			if err != nil {
				return fmt.Errorf("event seq %d: %w", binary.BigEndian.Uint64(k[8:]), err)
			}
			if filter != "" && !e.matches(filter) {
				continue
			}
			out = append(out, e)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history %s: events: %w", s.path, err)
	}
	slices.Reverse(out)
	return out, nil
}

func decodeEvent(v []byte) (Event, error) {
	var e Event
	if len(v) == 0 || v[0] != eventVersion {
		return e, fmt.Errorf("unknown event record version")
	}
	if err := json.Unmarshal(v[1:], &e); err != nil {
		return e, fmt.Errorf("corrupt event record: %w", err)
	}
	return e, nil
}

// matches reports whether any text field contains f (already lower case).
func (e *Event) matches(f string) bool {
	for _, s := range []string{e.Kind, e.Source, e.Name, e.State, e.User, e.Message} {
		if strings.Contains(strings.ToLower(s), f) {
			return true
		}
	}
	for k, v := range e.Data {
		if strings.Contains(strings.ToLower(k), f) || strings.Contains(strings.ToLower(v), f) {
			return true
		}
	}
	return false
}
