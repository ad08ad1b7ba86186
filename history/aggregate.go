package history

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"time"

	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// Aggregate summarises one bucket of a tag's history.
type Aggregate struct {
	Start, End time.Time // the bucket is [Start, End)
	Count      int       // stored samples in the bucket that are not gaps
	Min, Max   float64   // of those samples; NaN when Count is 0
	Mean       float64   // arithmetic mean of those samples; NaN when Count is 0
	// TimeWeightedMean weighs each value by how long it held: a stored value
	// holds until the tag's next stored sample (step interpolation, which
	// is what deadband storage means), the last one until the range ends.
	// Gap time counts for nothing. NaN when no valid value held in the
	// bucket.
	TimeWeightedMean float64
	Valid            time.Duration // how long a valid (non-gap) value held in the bucket
}

// maxAggregateBuckets bounds Aggregate's result.
const maxAggregateBuckets = 1 << 20

// Aggregate cuts [from, to] into n equal buckets (the same buckets as
// Query's decimation) and returns min, max, mean and time-weighted mean per
// bucket. The value held at from is the sample stored before it.
func (s *Store) Aggregate(ctx context.Context, tag string, from, to time.Time, n int) (_ []Aggregate, err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	if n < 1 || n > maxAggregateBuckets {
		return nil, fmt.Errorf("history aggregate %s: %d buckets, want 1..%d", tag, n, maxAggregateBuckets)
	}
	lo, hi := clampNanos(from), clampNanos(to)
	if hi < lo {
		return nil, fmt.Errorf("history aggregate %s: range ends before it starts", tag)
	}
	v, err := s.view(tag)
	if err != nil {
		return nil, err
	}
	defer v.close()
	b := newBuckets(lo, hi, n)
	aggs := make([]Aggregate, b.n)
	sums := make([]float64, b.n)
	wsum := make([]float64, b.n)
	for i := range aggs {
		aggs[i].Start = time.Unix(0, b.start(i)).UTC()
		aggs[i].End = time.Unix(0, b.start(i+1)).UTC()
		aggs[i].Min, aggs[i].Max = math.Inf(1), math.Inf(-1)
	}
	end := b.start(int(b.n)) // to+1, or to at the very end of int64
	var prev chunk.Sample
	held := false
	if lo > math.MinInt64 {
		prev, held = v.at(lo - 1)
	}
	hold := func(t0, t1 int64) { // prev held valid over [t0, t1)
		if t0 < lo {
			t0 = lo
		}
		for i := b.index(t0); uint64(i) < b.n; i++ {
			bs, be := b.start(i), b.start(i+1)
			if bs >= t1 {
				break
			}
			d := min(t1, be) - max(t0, bs)
			aggs[i].Valid += time.Duration(d)
			wsum[i] += prev.V * float64(d)
		}
	}
	err = v.scan(ctx, lo, hi, func(part []chunk.Sample) error {
		for _, x := range part {
			if held && !isGap(prev) && x.T > prev.T {
				hold(prev.T, x.T)
			}
			prev, held = x, true
			if isGap(x) {
				continue
			}
			a := &aggs[b.index(x.T)]
			a.Count++
			a.Min, a.Max = min(a.Min, x.V), max(a.Max, x.V)
			sums[b.index(x.T)] += x.V
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history aggregate %s: %w", tag, err)
	}
	if held && !isGap(prev) && end > prev.T {
		hold(prev.T, end)
	}
	for i := range aggs {
		a := &aggs[i]
		if a.Count == 0 {
			a.Min, a.Max, a.Mean = math.NaN(), math.NaN(), math.NaN()
		} else {
			a.Mean = sums[i] / float64(a.Count)
		}
		a.TimeWeightedMean = math.NaN()
		if a.Valid > 0 {
			a.TimeWeightedMean = wsum[i] / float64(a.Valid)
		}
	}
	return aggs, nil
}
