package history

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"runtime/debug"
	"sort"
	"time"

	"go.etcd.io/bbolt"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// Point is one point of a trend: a stored sample or, when decimated, the
// first, last, minimum or maximum sample of a bucket.
//
// Gaps: Value is NaN exactly when the point is a gap, i.e. the sample's
// quality is Bad (whatever value the device sent) or its value was NaN.
// A trend draws a line between consecutive points whose Value is not NaN and
// breaks it at a NaN point; Quality says why (e.g. Bad/NotConnected).
type Point struct {
	Time    time.Time
	Value   float64
	Quality datasource.Quality
}

// IsGap reports whether the point breaks the trend line.
func (p Point) IsGap() bool { return math.IsNaN(p.Value) }

func isGap(s chunk.Sample) bool {
	return math.IsNaN(s.V) || datasource.Status(s.Q>>8) == datasource.Bad
}

func toPoint(s chunk.Sample) Point {
	v := s.V
	if isGap(s) {
		v = math.NaN()
	}
	return Point{Time: time.Unix(0, s.T).UTC(), Value: v, Quality: unpackQuality(s.Q)}
}

// view is a consistent read of one tag: a bbolt read transaction plus the
// open chunk as it was when the transaction began.
type view struct {
	s     *Store
	tx    *bbolt.Tx
	tag   string
	id    uint32
	found bool
	head  []chunk.Sample
	late  []chunk.Sample // backfilled samples not flushed yet (unsorted)
}

func (s *Store) view(tag string) (*view, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	tx, err := s.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", s.path, err)
	}
	v := &view{s: s, tx: tx, tag: tag}
	if ser := s.series[tag]; ser != nil {
		v.id, v.found = ser.id, true
		// What is not in the file yet: chunks sealed since the last flush
		// (in key order, so oldest first), then the open chunk, decoded
		// under mu: a few hundred samples each.
		for _, p := range s.writing {
			// A chunk a flush is committing is in this transaction
			// once the commit is done, before the flush drops it from
			// memory: read once, not twice.
			if id, _, ok := parseChunkKey(p.key); ok && id == ser.id && tx.Bucket(bucketChunks).Get(p.key) == nil {
				var err error
				if v.head, err = chunk.Decode(v.head, p.val); err != nil { // cannot happen: the store encoded it
					s.reportCorrupt(tag, ser.first, err)
				}
			}
		}
		for _, p := range s.pending {
			if id, _, ok := parseChunkKey(p.key); ok && id == ser.id {
				var err error
				if v.head, err = chunk.Decode(v.head, p.val); err != nil { // cannot happen: the store encoded it
					s.reportCorrupt(tag, ser.first, err)
				}
			}
		}
		v.late = append(v.late, s.late[ser.id]...)
		if ser.open.Len() > 0 {
			var err error
			if v.head, err = chunk.DecodeStream(v.head, ser.open.Bytes()); err != nil { // cannot happen: the store wrote it
				s.reportCorrupt(tag, ser.first, err)
			}
		}
	}
	return v, nil
}

func (v *view) close() { _ = v.tx.Rollback() } // read-only: nothing to lose

func (v *view) corrupt(start int64, err error) { v.s.reportCorrupt(v.tag, start, err) }

// scan calls fn with the tag's samples in [from, to], in time order, a chunk
// at a time. fn must not keep the slice.
func (v *view) scan(ctx context.Context, from, to int64, fn func([]chunk.Sample) error) error {
	if !v.found || to < from {
		return nil
	}
	rest := func() error { return nil }
	if late := v.loadLate(from, to); len(late) > 0 {
		fn, rest = mergeLate(late, fn)
	}
	c := v.tx.Bucket(bucketChunks).Cursor()
	k, val := c.Seek(chunkKey(v.id, from))
	if k == nil {
		k, val = c.Last() // the loop stops at once unless it is this tag's
	} else if id, start, ok := parseChunkKey(k); !ok || id != v.id || start != from {
		// The chunk before may hold from.
		if pk, pv := c.Prev(); pk != nil {
			if id, _, ok := parseChunkKey(pk); ok && id == v.id {
				k, val = pk, pv
			} else {
				k, val = c.Next()
			}
		} else {
			k, val = c.Seek(chunkKey(v.id, from))
		}
	}
	var buf []chunk.Sample
	for ; k != nil; k, val = c.Next() {
		id, start, ok := parseChunkKey(k)
		if !ok || id != v.id || start > to {
			break
		}
		val = chunkBytes(v.tx, val)
		if h, err := chunk.ReadHeader(val); err == nil && h.Last < from {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		buf, err = chunk.Decode(buf[:0], val)
		if err != nil {
			v.corrupt(start, err)
			continue
		}
		if part := clip(buf, from, to); len(part) > 0 {
			if err := fn(part); err != nil {
				return err
			}
		}
	}
	if part := clip(v.head, from, to); len(part) > 0 {
		if err := fn(part); err != nil {
			return err
		}
	}
	return rest()
}

// clip returns the samples of s (in time order) within [from, to].
func clip(s []chunk.Sample, from, to int64) []chunk.Sample {
	if len(s) == 0 || s[0].T > to || s[len(s)-1].T < from {
		return nil
	}
	i := 0
	if s[0].T < from {
		i = sort.Search(len(s), func(j int) bool { return s[j].T >= from })
	}
	j := len(s)
	if s[j-1].T > to {
		j = sort.Search(len(s), func(j int) bool { return s[j].T > to })
	}
	return s[i:j]
}

// at returns the newest sample at or before t, backfilled ones included
// (a stored sample wins over a backfilled one of the same time).
func (v *view) at(t int64) (chunk.Sample, bool) {
	if !v.found {
		return chunk.Sample{}, false
	}
	m, ok := v.storedAt(t)
	if l, lok := v.lateAt(t); lok && (!ok || l.T > m.T) {
		return l, true
	}
	return m, ok
}

// storedAt is at without the backfilled samples.
func (v *view) storedAt(t int64) (chunk.Sample, bool) {
	if len(v.head) > 0 && v.head[0].T <= t {
		i := sort.Search(len(v.head), func(j int) bool { return v.head[j].T > t })
		return v.head[i-1], true
	}
	c := v.tx.Bucket(bucketChunks).Cursor()
	k, val := c.Seek(chunkKey(v.id, t))
	if k == nil {
		k, val = c.Last()
	} else if id, start, ok := parseChunkKey(k); !ok || id != v.id || start != t {
		k, val = c.Prev()
	}
	for ; k != nil; k, val = c.Prev() {
		id, start, ok := parseChunkKey(k)
		if !ok || id != v.id {
			return chunk.Sample{}, false
		}
		s, err := chunk.Decode(nil, chunkBytes(v.tx, val))
		if err != nil {
			v.corrupt(start, err)
			continue
		}
		i := sort.Search(len(s), func(j int) bool { return s[j].T > t })
		if i > 0 {
			return s[i-1], true
		}
	}
	return chunk.Sample{}, false
}

// ValueAt returns the tag's newest stored sample at or before t (a trend
// cursor shows it), or an error wrapping ErrNoData.
func (s *Store) ValueAt(ctx context.Context, tag string, t time.Time) (_ Point, err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	if err := ctx.Err(); err != nil {
		return Point{}, err
	}
	v, err := s.view(tag)
	if err != nil {
		return Point{}, err
	}
	defer v.close()
	smp, ok := v.at(clampNanos(t))
	if !ok {
		return Point{}, fmt.Errorf("tag %s at %s: %w", tag, t.UTC().Format(time.RFC3339), ErrNoData)
	}
	return toPoint(smp), nil
}

func clampNanos(t time.Time) int64 {
	if t.Before(minTime) {
		return math.MinInt64
	}
	if t.After(maxTime) {
		return math.MaxInt64
	}
	return t.UnixNano()
}

// Query returns the tag's samples with from <= time <= to. When there are at
// most maxPoints of them (or maxPoints <= 0) they come back raw. Otherwise
// the range is cut into maxPoints/4 equal buckets (pixels) and each bucket
// gives its first, minimum, maximum and last sample in time order (M4), plus
// one gap point at its first gap sample when it has any; so a decimated
// result has at most 5 points per bucket and draws exactly like the raw
// samples at that width. Gaps are points with a NaN Value (see Point).
// An unknown tag gives no points and no error.
func (s *Store) Query(ctx context.Context, tag string, from, to time.Time, maxPoints int) (_ []Point, err error) {
	defer s.catch(&err, debug.SetPanicOnFault(true))
	v, err := s.view(tag)
	if err != nil {
		return nil, err
	}
	defer v.close()
	lo, hi := clampNanos(from), clampNanos(to)
	var raw []chunk.Sample
	var m *m4
	err = v.scan(ctx, lo, hi, func(part []chunk.Sample) error {
		if m == nil && (maxPoints <= 0 || len(raw)+len(part) <= maxPoints) {
			raw = append(raw, part...)
			return nil
		}
		if m == nil {
			m = newM4(lo, hi, maxPoints/4)
			m.addAll(raw)
			raw = nil
		}
		m.addAll(part)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history query %s: %w", tag, err)
	}
	if m != nil {
		return m.finish(), nil
	}
	out := make([]Point, len(raw))
	for i, r := range raw {
		out[i] = toPoint(r)
	}
	return out, nil
}

// buckets cuts [from, to] into n buckets: bucket i starts at
// from + floor(i*span/n), span = to-from+1 ns. Exact in 128-bit arithmetic.
type buckets struct {
	from int64
	span uint64
	n    uint64
}

func newBuckets(from, to int64, n int) buckets {
	if n < 1 {
		n = 1
	}
	span := uint64(to) - uint64(from) + 1
	if span == 0 { // the whole int64 range
		span = math.MaxUint64
	}
	if uint64(n) > span {
		n = int(span)
	}
	return buckets{from: from, span: span, n: uint64(n)}
}

// start returns the first time of bucket i (0 <= i <= n; n gives to+1).
func (b buckets) start(i int) int64 {
	hi, lo := bits.Mul64(uint64(i), b.span)
	q, _ := bits.Div64(hi, lo, b.n)
	return b.from + int64(q)
}

// index returns the bucket holding t (from <= t <= to).
func (b buckets) index(t int64) int {
	x := uint64(t) - uint64(b.from)
	hi, lo := bits.Mul64(x, b.n)
	q, _ := bits.Div64(hi, lo, b.span)
	i := int(q)
	for uint64(i+1) < b.n && b.start(i+1) <= t {
		i++
	}
	for i > 0 && b.start(i) > t {
		i--
	}
	return i
}

// m4 decimates a time-ordered stream, one bucket at a time.
type m4 struct {
	b    buckets
	cur  int
	next int64 // start of bucket cur+1
	some bool  // the current bucket has a value
	gap  bool  // the current bucket has a gap sample

	first, last, min, max, gapAt chunk.Sample
	out                          []Point
}

func newM4(from, to int64, n int) *m4 {
	m := &m4{b: newBuckets(from, to, n), cur: -1, next: math.MinInt64}
	return m
}

func (m *m4) addAll(s []chunk.Sample) {
	for _, x := range s {
		if x.T >= m.next {
			m.emit()
			m.cur = m.b.index(x.T)
			if uint64(m.cur+1) < m.b.n {
				m.next = m.b.start(m.cur + 1)
			} else {
				m.next = math.MaxInt64
			}
		}
		if isGap(x) {
			if !m.gap {
				m.gap, m.gapAt = true, x
			}
			continue
		}
		if !m.some {
			m.some, m.first, m.last, m.min, m.max = true, x, x, x, x
			continue
		}
		m.last = x
		if x.V < m.min.V {
			m.min = x
		}
		if x.V > m.max.V {
			m.max = x
		}
	}
}

func (m *m4) emit() {
	var pts [5]chunk.Sample
	n := 0
	if m.some {
		pts[0], pts[1], pts[2], pts[3] = m.first, m.min, m.max, m.last
		n = 4
	}
	if m.gap {
		pts[n] = m.gapAt
		n++
	}
	// Insertion sort by time, then drop repeats of the same sample.
	for i := 1; i < n; i++ {
		for j := i; j > 0 && pts[j].T < pts[j-1].T; j-- {
			pts[j], pts[j-1] = pts[j-1], pts[j]
		}
	}
	for i := 0; i < n; i++ {
		if i > 0 && pts[i].T == pts[i-1].T {
			continue
		}
		m.out = append(m.out, toPoint(pts[i]))
	}
	m.some, m.gap = false, false
}

func (m *m4) finish() []Point {
	m.emit()
	return m.out
}
