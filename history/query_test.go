package history

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

// bruteM4 decimates samples (already within [from, to]) the slow, obvious
// way: bucket i holds from + i*span/n <= t < from + (i+1)*span/n, computed
// with big integers.
func bruteM4(samples []chunk.Sample, from, to int64, n int) []Point {
	span := new(big.Int).Add(new(big.Int).Sub(big.NewInt(to), big.NewInt(from)), big.NewInt(1))
	start := func(i int) int64 {
		x := new(big.Int).Mul(big.NewInt(int64(i)), span)
		x.Quo(x, big.NewInt(int64(n)))
		return from + x.Int64()
	}
	var out []Point
	for i := range n {
		lo, hi := start(i), start(i+1)
		var in []chunk.Sample
		for _, s := range samples {
			if s.T >= lo && s.T < hi {
				in = append(in, s)
			}
		}
		keep := map[int]bool{}
		firstV, lastV, minV, maxV, gap := -1, -1, -1, -1, -1
		for j, s := range in {
			if isGap(s) {
				if gap < 0 {
					gap = j
				}
				continue
			}
			if firstV < 0 {
				firstV, minV, maxV = j, j, j
			}
			lastV = j
			if s.V < in[minV].V {
				minV = j
			}
			if s.V > in[maxV].V {
				maxV = j
			}
		}
		for _, j := range []int{firstV, lastV, minV, maxV, gap} {
			if j >= 0 {
				keep[j] = true
			}
		}
		for j, s := range in {
			if keep[j] {
				out = append(out, toPoint(s))
			}
		}
	}
	return out
}

func samePoints(t *testing.T, got, want []Point) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d points, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Time.Equal(w.Time) || g.Quality != w.Quality || math.Float64bits(g.Value) != math.Float64bits(w.Value) && !(g.IsGap() && w.IsGap()) {
			t.Fatalf("point %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestQueryDecimationMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var in []Sample
	tm := t0
	v := 50.0
	for i := range 20000 {
		tm = tm.Add(time.Duration(1+rng.IntN(2000)) * time.Millisecond)
		v += rng.NormFloat64()
		q := datasource.QualityGood
		switch {
		case i%1000 > 950:
			q = datasource.BadQuality(datasource.NotConnected)
		case i%700 == 5:
			q = datasource.UncertainQuality(datasource.Stale)
		}
		val := math.Round(v*100) / 100
		if i%3000 == 17 {
			val = math.NaN()
		}
		in = append(in, Sample{Tag: "x", Time: tm, Value: val, Quality: q})
	}
	s, _ := openTest(t, Options{ChunkSamples: 512})
	if err := s.Append(in); err != nil {
		t.Fatal(err)
	}
	all := stored(t, s, "x")
	end := in[len(in)-1].Time
	tests := []struct {
		name      string
		from, to  time.Time
		maxPoints int
	}{
		{"the whole range at 800 points is exact", t0, end, 800},
		{"a range inside chunks at 400 points is exact", t0.Add(3 * time.Hour), t0.Add(5 * time.Hour), 400},
		{"a range wider than the data is exact", t0.Add(-time.Hour), end.Add(time.Hour), 1000},
		{"one bucket gives first, min, max, last and a gap", t0, end, 4},
		{"more buckets than nanoseconds still works", t0.Add(time.Hour), t0.Add(time.Hour + 2), 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := tt.from.UnixNano(), tt.to.UnixNano()
			got, err := s.Query(context.Background(), "x", tt.from, tt.to, tt.maxPoints)
			if err != nil {
				t.Fatal(err)
			}
			in := clip(all, lo, hi)
			if len(in) <= tt.maxPoints {
				want := make([]Point, len(in))
				for i := range in {
					want[i] = toPoint(in[i])
				}
				samePoints(t, got, want)
				return
			}
			n := tt.maxPoints / 4
			if span := hi - lo + 1; int64(n) > span {
				n = int(span)
			}
			samePoints(t, got, bruteM4(in, lo, hi, n))
			if len(got) > 5*n {
				t.Fatalf("%d points for %d buckets", len(got), n)
			}
		})
	}
}

func TestQueryReturnsGapsWhereTheDeviceWasDown(t *testing.T) {
	s, _ := openTest(t, Options{})
	in := samplesOf("x", 10, time.Second, func(i int) float64 { return float64(i) })
	for i := 4; i < 7; i++ {
		in[i].Quality = datasource.BadQuality(datasource.NotConnected)
	}
	if err := s.Append(in); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		maxPoints int
		wantGaps  []int // indexes into in
	}{
		{"raw points carry every Bad sample as a NaN gap", 0, []int{4, 5, 6}},
		{"decimated points carry one gap per bucket", 4, []int{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pts, err := s.Query(context.Background(), "x", t0, t0.Add(time.Minute), tt.maxPoints)
			if err != nil {
				t.Fatal(err)
			}
			var gaps []int
			for _, p := range pts {
				if p.IsGap() {
					if p.Quality != datasource.BadQuality(datasource.NotConnected) {
						t.Errorf("gap quality %v", p.Quality)
					}
					gaps = append(gaps, int(p.Time.Sub(t0)/time.Second))
				}
			}
			if len(gaps) != len(tt.wantGaps) {
				t.Fatalf("gaps at %v, want %v", gaps, tt.wantGaps)
			}
			for i := range gaps {
				if gaps[i] != tt.wantGaps[i] {
					t.Fatalf("gaps at %v, want %v", gaps, tt.wantGaps)
				}
			}
		})
	}
}

func TestValueAt(t *testing.T) {
	s, _ := openTest(t, Options{ChunkSamples: 8})
	if err := s.Append(samplesOf("x", 100, 10*time.Second, func(i int) float64 { return float64(i) })); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		at      time.Time
		want    float64
		wantErr bool
	}{
		{"a time between samples gives the one before", t0.Add(25 * time.Second), 2, false},
		{"a sample's own time gives that sample", t0.Add(80 * time.Second), 8, false},
		{"a time in the open chunk gives its sample", t0.Add(995 * time.Second), 99, false},
		{"a time after all data gives the last sample", t0.Add(time.Hour), 99, false},
		{"a time before all data is ErrNoData", t0.Add(-time.Second), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.ValueAt(context.Background(), "x", tt.at)
			if tt.wantErr {
				if !errorsIs(err, ErrNoData) {
					t.Fatalf("error %v, want ErrNoData", err)
				}
				return
			}
			if err != nil || p.Value != tt.want {
				t.Fatalf("ValueAt = %v, %v; want %v", p.Value, err, tt.want)
			}
		})
	}
	if _, err := s.ValueAt(context.Background(), "unknown", t0); !errorsIs(err, ErrNoData) {
		t.Fatalf("unknown tag: %v, want ErrNoData", err)
	}
}

func TestAggregate(t *testing.T) {
	s, _ := openTest(t, Options{})
	// 0 s: 10, 10 s: 20, 15 s: Bad, 20 s: 40 (holds to the end at 40 s).
	in := []Sample{
		{Tag: "x", Time: t0, Value: 10},
		{Tag: "x", Time: t0.Add(10 * time.Second), Value: 20},
		{Tag: "x", Time: t0.Add(15 * time.Second), Value: 0, Quality: datasource.BadQuality(datasource.CommFailure)},
		{Tag: "x", Time: t0.Add(20 * time.Second), Value: 40},
	}
	if err := s.Append(in); err != nil {
		t.Fatal(err)
	}
	aggs, err := s.Aggregate(context.Background(), "x", t0, t0.Add(40*time.Second-1), 2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                  string
		got                   Aggregate
		count                 int
		min, max, mean, twavg float64
		valid                 time.Duration
	}{
		{"the first bucket weighs 10 for 10 s and 20 for 5 s, skipping the gap", aggs[0], 2, 10, 20, 15, (10*10 + 20*5) / 15.0, 15 * time.Second},
		{"the second bucket holds 40 to the end", aggs[1], 1, 40, 40, 40, 40, 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.got
			if a.Count != tt.count || a.Min != tt.min || a.Max != tt.max || a.Mean != tt.mean || math.Abs(a.TimeWeightedMean-tt.twavg) > 1e-9 || a.Valid != tt.valid {
				t.Fatalf("got %+v", a)
			}
		})
	}
	t.Run("a bucket after a gap with no samples has no time-weighted mean", func(t *testing.T) {
		s2, _ := openTest(t, Options{})
		if err := s2.Append(in[:3]); err != nil {
			t.Fatal(err)
		}
		aggs, err := s2.Aggregate(context.Background(), "x", t0.Add(20*time.Second), t0.Add(30*time.Second), 1)
		if err != nil {
			t.Fatal(err)
		}
		if !math.IsNaN(aggs[0].TimeWeightedMean) || aggs[0].Count != 0 {
			t.Fatalf("got %+v", aggs[0])
		}
	})
}
