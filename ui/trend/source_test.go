package trend

import (
	"context"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/vigil-hmi/vigil/history"
)

// query is one call a fakeSource saw.
type query struct {
	tag       string
	from, to  time.Time
	maxPoints int
}

// fakeSource serves stored raw points per tag, decimating with M4 like
// history.Store does. block, when set, holds every query until it is closed
// or the context ends.
type fakeSource struct {
	mu      sync.Mutex
	data    map[string][]history.Point
	queries []query
	block   chan struct{}
}

func newFakeSource() *fakeSource { return &fakeSource{data: map[string][]history.Point{}} }

func (s *fakeSource) Query(ctx context.Context, tag string, from, to time.Time, maxPoints int) ([]history.Point, error) {
	s.mu.Lock()
	s.queries = append(s.queries, query{tag, from, to, maxPoints})
	block := s.block
	pts := s.data[tag]
	s.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	i := sort.Search(len(pts), func(i int) bool { return !pts[i].Time.Before(from) })
	j := sort.Search(len(pts), func(i int) bool { return pts[i].Time.After(to) })
	in := pts[i:j]
	if maxPoints <= 0 || len(in) <= maxPoints {
		return append([]history.Point(nil), in...), nil
	}
	return m4(len(in), func(k int) history.Point { return in[k] }, from, to, maxPoints/4), nil
}

func (s *fakeSource) last() query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[len(s.queries)-1]
}

func (s *fakeSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queries)
}

// m4 decimates n time-ordered points into buckets pixel buckets of
// [from, to]: first, min, max, last of each, plus the bucket's first gap.
func m4(n int, at func(int) history.Point, from, to time.Time, buckets int) []history.Point {
	var out []history.Point
	span := float64(to.Sub(from)) + 1
	cur := -1
	var first, last, lo, hi, gap history.Point
	some, hasGap := false, false
	flush := func() {
		var b []history.Point
		if some {
			b = append(b, first, lo, hi, last)
		}
		if hasGap {
			b = append(b, gap)
		}
		sort.SliceStable(b, func(i, j int) bool { return b[i].Time.Before(b[j].Time) })
		for k, p := range b {
			if k > 0 && p.Time.Equal(b[k-1].Time) && (p.Value == b[k-1].Value || math.IsNaN(p.Value) && math.IsNaN(b[k-1].Value)) {
				continue
			}
			out = append(out, p)
		}
		some, hasGap = false, false
	}
	for k := 0; k < n; k++ {
		p := at(k)
		b := int(float64(p.Time.Sub(from)) / span * float64(buckets))
		if b != cur {
			flush()
			cur = b
		}
		if math.IsNaN(p.Value) {
			if !hasGap {
				hasGap, gap = true, p
			}
			continue
		}
		if !some {
			some, first, last, lo, hi = true, p, p, p, p
			continue
		}
		last = p
		if p.Value < lo.Value {
			lo = p
		}
		if p.Value > hi.Value {
			hi = p
		}
	}
	flush()
	return out
}

// wave returns n samples 1 s apart from t0 of a sine around mid.
func wave(t0 time.Time, n int, mid, amp float64, phase float64) []history.Point {
	out := make([]history.Point, n)
	for i := range out {
		out[i] = history.Point{Time: t0.Add(time.Duration(i) * time.Second), Value: mid + amp*math.Sin(float64(i)/300+phase)}
	}
	return out
}
