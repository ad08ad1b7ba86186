package trend

import (
	"math"
	"testing"
	"time"
)

// refLine returns, per column, the rows a textbook Bresenham line covers.
func refLine(x0, y0, x1, y1 int) map[int][2]int {
	out := map[int][2]int{}
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		r, ok := out[x0]
		if !ok {
			r = [2]int{y0, y0}
		}
		out[x0] = [2]int{min(r[0], y0), max(r[1], y0)}
		if x0 == x1 && y0 == y1 {
			return out
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func TestColumnRunsCoverTheSameRowsAsBresenham(t *testing.T) {
	tests := []struct {
		name           string
		x0, y0, x1, y1 int
	}{
		{"a steep line down covers a run per column", 2, 1, 5, 40},
		{"a steep line up covers a run per column", 2, 40, 5, 1},
		{"a shallow line covers one row per column", 0, 3, 30, 7},
		{"a line drawn right to left covers the same pixels", 30, 7, 0, 3},
		{"a vertical line is one run", 4, 9, 4, 2},
		{"a diagonal steps both ways", 0, 0, 10, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newColumnRuns(64)
			r.line(tc.x0, tc.y0, tc.x1, tc.y1)
			want := refLine(tc.x0, tc.y0, tc.x1, tc.y1)
			if tc.x0 > tc.x1 { // Bresenham is not symmetric: compare with the same direction
				want = refLine(tc.x1, tc.y1, tc.x0, tc.y0)
			}
			if len(r.touched) != len(want) {
				t.Fatalf("%d columns, want %d", len(r.touched), len(want))
			}
			for _, x := range r.touched {
				if got := [2]int{r.lo[x], r.hi[x]}; got != want[x] {
					t.Errorf("column %d rows %v, want %v", x, got, want[x])
				}
			}
		})
	}
}

func TestScalesShareOneAxisPerUnit(t *testing.T) {
	pens := []*pen{
		{Pen: Pen{Tag: "a", Units: "%"}},
		{Pen: Pen{Tag: "b", Units: "bar", Min: 0, Max: 10}},
		{Pen: Pen{Tag: "c", Units: "%"}},
		{Pen: Pen{Tag: "d", Units: "°C"}},
	}
	pens[0].pts = wave(t0, 10, 50, 10, 0)
	pens[2].pts = wave(t0, 10, 0, 1, 0)
	pens[2].pts[3].Value = math.NaN() // gaps do not widen the scale
	pens[3].pts = wave(t0, 1, 20, 0, 0)
	sc, idx := scales(pens)
	if len(sc) != 3 || idx[0] != idx[2] || idx[1] == idx[0] {
		t.Fatalf("scales %v idx %v: want 3 axes with the two %% pens on one", sc, idx)
	}
	if sc[idx[1]].lo != 0 || sc[idx[1]].hi != 10 {
		t.Errorf("fixed scale %v, want 0..10", sc[idx[1]])
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range append(pens[0].pts, pens[2].pts...) {
		if !math.IsNaN(p.Value) {
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
		}
	}
	d := (hi - lo) * 0.05
	if s := sc[idx[0]]; math.Abs(s.lo-(lo-d)) > 1e-9 || math.Abs(s.hi-(hi+d)) > 1e-9 {
		t.Errorf("auto scale %v, want %v..%v", s, lo-d, hi+d)
	}
	if s := sc[idx[3]]; !(s.lo < 20 && s.hi > 20) {
		t.Errorf("a flat pen's scale %v should centre its value", s)
	}
}

func TestTimeTicksAreRoundAndInRange(t *testing.T) {
	from := time.Date(2026, 11, 28, 12, 3, 7, 0, time.UTC)
	ticks := timeTicks(from, time.Hour, 800, 90, time.UTC)
	if len(ticks) == 0 {
		t.Fatal("no ticks")
	}
	for _, tk := range ticks {
		if tk.Before(from) || tk.After(from.Add(time.Hour)) || tk.Truncate(10*time.Minute) != tk {
			t.Errorf("tick %v is not a round time in range", tk)
		}
	}
}
