package history

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// ingestState is what Ingest remembers of one historized tag.
type ingestState struct {
	tag    *datasource.Tag
	has    bool   // a sample was stored
	stored Sample // the last stored sample
	seen   Sample // the last sample received, stored or not
	unseen bool   // seen was not stored
}

// filter decides whether a received sample is stored: the first sample, a
// quality change, a move beyond the deadband (any change when it is 0), or
// MaxInterval since the last stored sample. It returns the samples to store:
// when a flat value steps, the last unstored flat sample is stored first so
// the trend shows the step where it happened, not a ramp.
func (st *ingestState) filter(x Sample, dst []Sample) []Sample {
	h := st.tag.History
	defer func() { st.seen = x }()
	if !st.has {
		st.has, st.stored, st.unseen = true, x, false
		return append(dst, x)
	}
	moved := changed(x.Value, st.stored.Value, h.Deadband)
	qual := x.Quality != st.stored.Quality
	due := h.MaxInterval > 0 && x.Time.Sub(st.stored.Time) >= h.MaxInterval
	if !moved && !qual && !due {
		st.unseen = true
		return dst
	}
	if (moved || qual) && st.unseen && st.seen.Time.After(st.stored.Time) &&
		st.seen.Quality == st.stored.Quality && math.Float64bits(st.seen.Value) == math.Float64bits(st.stored.Value) {
		dst = append(dst, st.seen)
	}
	st.stored, st.unseen = x, false
	return append(dst, x)
}

// changed reports whether v moved from last by more than deadband (by any
// amount, NaN-ness included, when deadband is 0).
func changed(v, last, deadband float64) bool {
	vn, ln := math.IsNaN(v), math.IsNaN(last)
	if vn || ln {
		return vn != ln
	}
	if deadband <= 0 {
		return v != last
	}
	return math.Abs(v-last) > deadband
}

// Ingest stores the samples of sub into store until ctx ends, applying each
// tag's History settings (tags with History.Enabled false are skipped):
// deadband, maximum interval and quality changes (always stored). Every
// batch received from the subscription is one Append. Values are stored as
// float64 (bools 0/1, no value NaN); string values are not stored. Samples
// come stamped from the table (datasource.Table.Publish). Ingest flushes before it
// returns nil on cancellation. It returns ErrClosed when the store is
// closed under it; write failures (a full disk) are logged at most once a
// minute and retried, and do not stop it.
func Ingest(ctx context.Context, sub *datasource.Subscription, tags []*datasource.Tag, store *Store) error {
	var states []*ingestState
	for _, t := range tags {
		if t == nil || !t.History.Enabled {
			continue
		}
		for int(t.ID) >= len(states) {
			states = append(states, nil)
		}
		states[t.ID] = &ingestState{tag: t}
	}
	// Historical samples (a viewing station's share of an acquiring
	// station's store and forward) come apart from the live ones and are
	// backfilled, through the same rules with a state of their own: they
	// are the acquiring station's changes over the outage, in time order.
	sub.ReceiveHistorical()
	past := make([]*ingestState, len(states))
	for i, st := range states {
		if st != nil {
			past[i] = &ingestState{tag: st.tag}
		}
	}
	var in []datasource.Sample
	var out, late []Sample
	var lastLog time.Time
	for {
		var err error
		in, err = sub.Recv(ctx, in[:0])
		if err != nil {
			if ferr := store.Flush(); ferr != nil && !errors.Is(ferr, ErrClosed) {
				return ferr
			}
			return nil
		}
		out = filterBatch(states, in, out[:0])
		in = sub.TryRecvHistorical(in[:0])
		late = filterBatch(past, in, late[:0])
		// Live samples first: a historical one stored first, newer than
		// the tag's newest, would make the live ones of the batch look
		// older and Append would drop them.
		for _, w := range [...]struct {
			batch []Sample
			store func([]Sample) error
		}{{out, store.Append}, {late, store.Backfill}} {
			if len(w.batch) == 0 {
				continue
			}
			if err := w.store(w.batch); err != nil {
				if errors.Is(err, ErrClosed) || errors.Is(err, ErrReadOnly) {
					return err
				}
				// A write failure (disk full) keeps the chunks in memory
				// and retries them with the next write; history must not
				// stop for good because the disk was full for a while.
				if now := store.opts.Clock.Now(); now.Sub(lastLog) >= time.Minute {
					lastLog = now
					store.log.Error("history: ingest cannot write; retrying with the next batch", "err", err)
				}
			}
		}
	}
}

// filterBatch converts the samples of in of historized tags (states, by
// TagID) and appends those their tag's rules store to out.
func filterBatch(states []*ingestState, in []datasource.Sample, out []Sample) []Sample {
	for i := range in {
		x := &in[i]
		if int(x.Tag) >= len(states) || states[x.Tag] == nil {
			continue
		}
		st := states[x.Tag]
		v, ok := x.Value.AsFloat()
		if !ok {
			if !x.Value.IsNone() {
				continue // strings are not historized
			}
			v = math.NaN()
		}
		out = st.filter(Sample{Tag: st.tag.Name, Time: x.Time, Value: v, Quality: x.Quality}, out)
	}
	return out
}
