package history

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// ingestState is what Ingest remembers of one historized tag. Ingest keeps
// them in one slice indexed by TagID, not one allocation per tag, and the
// samples as their parts (the tag's name and a time.Time would be 40 of
// their bytes, for every tag of a large project).
type ingestState struct {
	tag    *datasource.Tag
	stored point // the last stored sample
	seen   point // the last sample received, stored or not
	has    bool  // a sample was stored
	unseen bool  // seen was not stored
}

// point is a sample of the tag an ingestState is for: Unix nanoseconds,
// value and quality.
type point struct {
	t int64
	v float64
	q datasource.Quality
}

// sample is p as a Sample of the tag.
func (st *ingestState) sample(p point) Sample {
	return Sample{Tag: st.tag.Name, Time: time.Unix(0, p.t), Value: p.v, Quality: p.q}
}

// filter decides whether a received sample is stored: the first sample, a
// quality change, a move beyond the deadband (any change when it is 0), or
// MaxInterval since the last stored sample. It returns the samples to store:
// when a flat value steps, the last unstored flat sample is stored first so
// the trend shows the step where it happened, not a ramp.
func (st *ingestState) filter(x point, dst []Sample) []Sample {
	h := st.tag.History
	defer func() { st.seen = x }()
	if !st.has {
		st.has, st.stored, st.unseen = true, x, false
		return append(dst, st.sample(x))
	}
	moved := changed(x.v, st.stored.v, h.Deadband)
	qual := x.q != st.stored.q
	// Unsigned: times span more than an int64 of nanoseconds apart.
	due := h.MaxInterval > 0 && x.t >= st.stored.t && uint64(x.t)-uint64(st.stored.t) >= uint64(h.MaxInterval)
	if !moved && !qual && !due {
		st.unseen = true
		return dst
	}
	if (moved || qual) && st.unseen && st.seen.t > st.stored.t &&
		st.seen.q == st.stored.q && math.Float64bits(st.seen.v) == math.Float64bits(st.stored.v) {
		dst = append(dst, st.sample(st.seen))
	}
	st.stored, st.unseen = x, false
	return append(dst, st.sample(x))
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
// deadband, maximum interval and quality changes (always stored). It
// starts by marking where the last recording ended (Store.MarkDowntime)
// and tells the store how far it has recorded with each batch
// (Store.Recording). The
// samples of a batch received from the subscription are appended in order,
// ingestAppend at a time. Values are stored as
// float64 (bools 0/1, no value NaN); string values are not stored. Samples
// come stamped from the table (datasource.Table.Publish). Ingest flushes before it
// returns nil on cancellation. It returns ErrClosed when the store is
// closed under it; write failures (a full disk) are logged at most once a
// minute and retried, and do not stop it.
func Ingest(ctx context.Context, sub *datasource.Subscription, tags []*datasource.Tag, store *Store) error {
	in := ingester{store: store}
	n := 0
	for _, t := range tags {
		if t != nil && t.History.Enabled {
			n = max(n, int(t.ID)+1)
		}
	}
	in.live = make([]ingestState, n)
	var names []string
	for _, t := range tags {
		if t != nil && t.History.Enabled {
			in.live[t.ID].tag = t
			names = append(names, t.Name)
		}
	}
	// Where the last recording ended, each tag's line breaks: the time
	// since was not recorded (Store.MarkDowntime).
	if n, err := store.MarkDowntime(names); err != nil {
		return err
	} else if n > 0 {
		store.log.Info("history: marked where the last recording ended; trends break there",
			"file", store.path, "recorded_until", store.RecordedUntil(), "tags", n)
	}
	// Historical samples (a viewing station's share of an acquiring
	// station's store and forward) come apart from the live ones and are
	// backfilled, through the same rules with a state of their own: they
	// are the acquiring station's changes over the outage, in time order.
	// That state is made when the first of them comes: most stations never
	// receive any.
	sub.ReceiveHistorical()
	var buf []datasource.Sample
	for {
		var err error
		buf, err = sub.Recv(ctx, buf[:0])
		if err != nil {
			if ferr := store.Flush(); ferr != nil && !errors.Is(ferr, ErrClosed) {
				return ferr
			}
			return nil
		}
		store.Recording(newest(buf))
		// Live samples first: a historical one stored first, newer than
		// the tag's newest, would make the live ones of the batch look
		// older and Append would drop them.
		if err := in.write(buf, false); err != nil {
			return err
		}
		buf = sub.TryRecvHistorical(keepSmall(buf)[:0])
		if len(buf) > 0 && in.past == nil {
			in.past = make([]ingestState, len(in.live))
			for i := range in.live {
				in.past[i].tag = in.live[i].tag
			}
		}
		if err := in.write(buf, true); err != nil {
			return err
		}
		buf = keepSmall(buf)
	}
}

// newest returns the newest time of batch's samples (zero when empty).
func newest(batch []datasource.Sample) time.Time {
	var t time.Time
	for i := range batch {
		if batch[i].Time.After(t) {
			t = batch[i].Time
		}
	}
	return t
}

// ingestAppend is how many received samples Ingest filters into one Append
// (or Backfill): the converted batch is then at most that long, however
// many samples a subscription hands over at once (hundreds of thousands
// after a stall of a large project).
const ingestAppend = 4096

// ingestKeep is the most received samples whose buffer Ingest keeps for
// the next batch: a larger one, a burst after a long flush, is let go
// rather than held for the rest of the run (19 MB at 100,000 tags). It is
// above the steady batches of such a project (a second of every tag): a
// buffer let go after each of them (at 2^16) was 16 MB a second of garbage.
const ingestKeep = 1 << 17

// keepSmall returns b, or nil when b's buffer is over ingestKeep samples.
func keepSmall(b []datasource.Sample) []datasource.Sample {
	if cap(b) > ingestKeep {
		return nil
	}
	return b
}

// ingester is Ingest's state: the rules' state per TagID of the live and
// the historical samples (past is nil until one comes), the converted
// samples and when write failures were last logged.
type ingester struct {
	store      *Store
	live, past []ingestState
	out        []Sample
	lastLog    time.Time
}

// write filters the samples of batch and stores those kept, with Append
// (live) or Backfill (historical), ingestAppend received samples at a
// time. It returns an error only when history cannot go on (ErrClosed,
// ErrReadOnly); a write failure is logged and retried with the next write.
func (in *ingester) write(batch []datasource.Sample, historical bool) error {
	states, store := in.live, in.store.Append
	if historical {
		states, store = in.past, in.store.Backfill
	}
	for len(batch) > 0 {
		n := min(len(batch), ingestAppend)
		in.out = in.filterBatch(states, batch[:n], in.out[:0])
		batch = batch[n:]
		if len(in.out) == 0 {
			continue
		}
		if err := store(in.out); err != nil {
			if errors.Is(err, ErrClosed) || errors.Is(err, ErrReadOnly) {
				return err
			}
			// A write failure (disk full) keeps the chunks in memory
			// and retries them with the next write; history must not
			// stop for good because the disk was full for a while.
			if now := in.store.opts.Clock.Now(); now.Sub(in.lastLog) >= time.Minute {
				in.lastLog = now
				in.store.log.Error("history: ingest cannot write; retrying with the next batch", "err", err)
			}
		}
	}
	return nil
}

// filterBatch converts the samples of in of historized tags (states, by
// TagID) and appends those their tag's rules store to out. A time a chunk
// cannot hold goes to the store as it is, which counts and drops it.
func (in *ingester) filterBatch(states []ingestState, batch []datasource.Sample, out []Sample) []Sample {
	for i := range batch {
		x := &batch[i]
		if int(x.Tag) >= len(states) || states[x.Tag].tag == nil {
			continue
		}
		st := &states[x.Tag]
		v, ok := x.Value.AsFloat()
		if !ok {
			if !x.Value.IsNone() {
				continue // strings are not historized
			}
			v = math.NaN()
		}
		t := x.Time
		if t.Before(minTime) || t.After(maxTime) {
			out = append(out, Sample{Tag: st.tag.Name, Time: t, Value: v, Quality: x.Quality})
			continue
		}
		out = st.filter(point{t.UnixNano(), v, x.Quality}, out)
	}
	return out
}
