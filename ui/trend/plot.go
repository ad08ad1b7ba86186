package trend

import (
	"image"
	"image/color"
	"math"
	"sort"
	"time"

	"github.com/vigil-hmi/vigil/history"
	vtheme "github.com/vigil-hmi/vigil/ui/theme"
)

// scale maps one unit's values to the plot's y axis. A discrete pen
// (bool, state) has a scale of its own whose ticks are its states.
type scale struct {
	units  string
	lo, hi float64
	states map[int64]string // discrete: tick values and their words
}

// ticks are the values the axis labels and the grid mark.
func (s scale) ticks() []float64 {
	if s.states != nil {
		out := make([]float64, 0, len(s.states))
		for k := range s.states {
			out = append(out, float64(k))
		}
		sort.Float64s(out)
		return out
	}
	return niceTicks(s.lo, s.hi, yTickCount)
}

// label is a tick's text: the state's word, or the number with as many
// decimals as the tick step needs.
func (s scale) label(v float64) string {
	if s.states != nil {
		if w, ok := s.states[int64(math.Round(v))]; ok {
			return w
		}
	}
	return formatTick(v, s)
}

// y returns the pixel row of v in a plot h pixels high (may be outside it).
func (s scale) y(v float64, h int) float64 {
	return float64(h-1) - (v-s.lo)/(s.hi-s.lo)*float64(h-1)
}

// frame is a consistent copy of what one paint needs, taken under the lock.
type frame struct {
	from     time.Time
	span     time.Duration
	pens     []*pen
	penScale []int // index into scales for each pen
	scales   []scale
	selected int
	cursor   time.Time
	holdTo   time.Time // every pen's last value is drawn up to here: now, or the range's end
	pal      vtheme.Palette
	colors   plotColors
}

// snapshot copies the drawing state (caller holds c.mu). The pens' point
// slices are shared: they are replaced, never modified, once loaded.
func (c *Chart) snapshot() frame {
	f := frame{from: c.to.Add(-c.span), span: c.span, selected: c.selected, cursor: c.cursor,
		holdTo: c.to, pal: c.pal, colors: plotColorsOf(c.pal)}
	if now := c.opts.Now(); now.Before(f.holdTo) {
		f.holdTo = now // nothing is known after now
	}
	pc := penColors(c.pal)
	for _, p := range c.pens {
		cp := *p
		if cp.palette >= 0 {
			cp.col = pc[cp.palette]
		}
		f.pens = append(f.pens, &cp)
	}
	if c.scalesStale {
		c.scales, c.penScale = scales(c.pens)
		c.scalesStale = false
	}
	f.scales, f.penScale = c.scales, c.penScale
	return f
}

// scales gives one scale per distinct unit, in pen order: the first fixed
// Min/Max of the unit's pens, else the range of their points plus 5 %.
func scales(pens []*pen) ([]scale, []int) {
	var out []scale
	idx := make([]int, len(pens))
	byUnit := map[string]int{}
	auto := map[int]bool{}
	for i, p := range pens {
		if len(p.States) > 0 {
			idx[i] = len(out)
			out = append(out, discreteScale(p.Units, p.States))
			continue
		}
		j, ok := byUnit[p.Units]
		if !ok {
			j = len(out)
			byUnit[p.Units] = j
			out = append(out, scale{units: p.Units, lo: math.Inf(1), hi: math.Inf(-1)})
			auto[j] = true
		}
		idx[i] = j
		if auto[j] && (p.Min != 0 || p.Max != 0) && p.Max > p.Min {
			out[j].lo, out[j].hi, auto[j] = p.Min, p.Max, false
		}
	}
	for i, p := range pens {
		j := idx[i]
		if !auto[j] || len(p.States) > 0 {
			continue
		}
		for _, pt := range p.pts {
			if !math.IsNaN(pt.Value) && !math.IsInf(pt.Value, 0) {
				out[j].lo = math.Min(out[j].lo, pt.Value)
				out[j].hi = math.Max(out[j].hi, pt.Value)
			}
		}
	}
	for j := range out {
		s := &out[j]
		switch {
		case s.states != nil:
		case math.IsInf(s.lo, 1): // no data
			s.lo, s.hi = 0, 1
		case !auto[j]:
		case s.lo == s.hi:
			d := math.Max(math.Abs(s.lo)*0.05, 0.5)
			s.lo, s.hi = s.lo-d, s.hi+d
		default:
			d := (s.hi - s.lo) * 0.05
			s.lo, s.hi = s.lo-d, s.hi+d
		}
	}
	return out, idx
}

// discreteScale spans a discrete pen's states with a quarter step of room
// above and below, so the lines at its lowest and highest state are not
// drawn on the plot's border.
func discreteScale(units string, states map[int64]string) scale {
	lo, hi := math.Inf(1), math.Inf(-1)
	for k := range states {
		lo, hi = math.Min(lo, float64(k)), math.Max(hi, float64(k))
	}
	pad := math.Max(hi-lo, 1) * 0.25
	return scale{units: units, lo: lo - pad, hi: hi + pad, states: states}
}

// plotImage is the reused pixel buffer of the plot.
type plotImage struct {
	img *image.RGBA
}

// draw paints f into a w×h image and returns it; the buffer is reused
// between frames, so the result is valid until the next draw.
func (pi *plotImage) draw(f frame, w, h int, xTicks []time.Time, yTicks []float64) *image.RGBA {
	if w < 1 || h < 1 {
		w, h = 1, 1
	}
	if pi.img == nil || pi.img.Rect.Dx() != w || pi.img.Rect.Dy() != h {
		pi.img = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	img := pi.img
	fill(img, f.colors.background)
	xOf := func(t time.Time) float64 {
		return float64(t.Sub(f.from)) / float64(f.span) * float64(w-1)
	}
	for _, t := range xTicks {
		vline(img, int(math.Round(xOf(t))), f.colors.grid, 0)
	}
	if len(f.scales) > 0 {
		for _, v := range yTicks {
			hline(img, int(math.Round(f.scales[0].y(v, h))), f.colors.grid, 0)
		}
	}
	if f.selected >= 0 && f.selected < len(f.pens) {
		p := f.pens[f.selected]
		s := f.scales[f.penScale[f.selected]]
		for _, l := range p.Limits {
			hline(img, int(math.Round(s.y(l, h))), p.col, 6)
		}
	}
	hold := -1
	if f.holdTo.After(f.from) {
		hold = int(math.Round(xOf(f.holdTo)))
	}
	for i, p := range f.pens {
		drawPen(img, p.pts, p.col, f.scales[f.penScale[i]], f.from, f.span, w, h, p.Step, hold)
	}
	if !f.cursor.IsZero() {
		vline(img, int(math.Round(xOf(f.cursor))), f.colors.cursor, 0)
	}
	return img
}

// drawPen draws straight lines between consecutive points, or steps when
// step is set (the value holds, then jumps at the next point's time), and
// breaks the line at a gap (NaN) point. The last value holds up to column
// hold (now, or the range's end) when hold >= 0: the historian stores
// changes, so a value is in force until the next one.
//
// Decimated (M4) data puts 4 points in most pixel columns, and the lines
// between them run up and down the same column several times. So the pen
// is first reduced to one vertical run per column (the pixels its lines
// cover there) and each run is filled once: the cost is the number of
// columns plus the points, not the length of the lines.
func drawPen(img *image.RGBA, pts []history.Point, col color.NRGBA, s scale, from time.Time, span time.Duration, w, h int, step bool, hold int) {
	kx := float64(w-1) / float64(span)
	f0 := from.UnixNano()
	lo, hi := -1.0, float64(h) // values off the scale are pinned just outside
	runs := newColumnRuns(w)
	havePrev := false
	var px, py int
	for _, p := range pts {
		x := int(math.Round(float64(p.Time.UnixNano()-f0) * kx))
		if math.IsNaN(p.Value) {
			if havePrev && step {
				runs.line(px, py, x, py) // the value held until the gap began
			}
			havePrev = false
			runs.flush(img, col) // two runs either side of a gap stay apart
			continue
		}
		y := int(math.Round(math.Min(math.Max(s.y(p.Value, h), lo), hi)))
		switch {
		case !havePrev:
			runs.add(x, y, y)
		case step:
			runs.line(px, py, x, py)
			runs.add(x, min(py, y), max(py, y))
		default:
			runs.line(px, py, x, y)
		}
		px, py, havePrev = x, y, true
	}
	if havePrev && hold > px {
		runs.line(px, py, min(hold, w-1), py)
	}
	runs.flush(img, col)
}

// columnRuns collects, per pixel column, the vertical run a pen covers.
type columnRuns struct {
	lo, hi  []int
	touched []int // columns with a run, to flush
}

func newColumnRuns(w int) *columnRuns {
	r := &columnRuns{lo: make([]int, w), hi: make([]int, w)}
	for i := range r.lo {
		r.lo[i] = math.MaxInt
	}
	return r
}

// add extends column x's run to cover y0..y1 (y0 <= y1).
func (r *columnRuns) add(x, y0, y1 int) {
	if x < 0 || x >= len(r.lo) {
		return
	}
	if r.lo[x] == math.MaxInt {
		r.lo[x], r.hi[x] = y0, y1
		r.touched = append(r.touched, x)
		return
	}
	r.lo[x] = min(r.lo[x], y0)
	r.hi[x] = max(r.hi[x], y1)
}

// line adds the pixels of a Bresenham line from (x0, y0) to (x1, y1).
func (r *columnRuns) line(x0, y0, x1, y1 int) {
	if x0 == x1 {
		r.add(x0, min(y0, y1), max(y0, y1))
		return
	}
	if x0 > x1 {
		x0, y0, x1, y1 = x1, y1, x0, y0
	}
	if y0 == y1 { // a held value: only the visible columns, however far it starts
		for x := max(x0, 0); x <= min(x1, len(r.lo)-1); x++ {
			r.add(x, y0, y0)
		}
		return
	}
	if x1 < 0 || x0 >= len(r.lo) {
		return
	}
	dx, dy := x1-x0, -abs(y1-y0)
	sy := sign(y1 - y0)
	e := dx + dy
	runStart := y0
	for {
		if x0 == x1 {
			r.add(x0, min(runStart, y1), max(runStart, y1))
			return
		}
		e2 := 2 * e
		ny := y0
		if e2 <= dx {
			ny = y0 + sy
		}
		if e2 >= dy { // the line leaves this column
			r.add(x0, min(runStart, y0), max(runStart, y0))
			e += dy
			x0++
			runStart = ny
		}
		if e2 <= dx {
			e += dx
		}
		y0 = ny
	}
}

// flush fills the collected runs in col and empties them.
func (r *columnRuns) flush(img *image.RGBA, col color.NRGBA) {
	h := img.Rect.Dy()
	for _, x := range r.touched {
		y0, y1 := max(r.lo[x], 0), min(r.hi[x], h-1)
		if y0 <= y1 {
			pix, stride := img.Pix[y0*img.Stride+x*4:y1*img.Stride+x*4+4], img.Stride
			for i := 0; i+3 < len(pix); i += stride {
				p := pix[i : i+4 : i+4]
				p[0], p[1], p[2], p[3] = col.R, col.G, col.B, col.A
			}
		}
		r.lo[x] = math.MaxInt
	}
	r.touched = r.touched[:0]
}

func fill(img *image.RGBA, c color.NRGBA) {
	pix := img.Pix
	if len(pix) < 4 {
		return
	}
	pix[0], pix[1], pix[2], pix[3] = c.R, c.G, c.B, c.A
	for n := 4; n < len(pix); n *= 2 {
		copy(pix[n:], pix[:n])
	}
}

func set(img *image.RGBA, x, y int, c color.NRGBA) {
	if x < 0 || y < 0 || x >= img.Rect.Dx() || y >= img.Rect.Dy() {
		return
	}
	i := y*img.Stride + x*4
	p := img.Pix[i : i+4 : i+4]
	p[0], p[1], p[2], p[3] = c.R, c.G, c.B, c.A
}

// hline draws a horizontal line; dash > 0 makes it dash on, dash*2/3 off.
func hline(img *image.RGBA, y int, c color.NRGBA, dash int) {
	for x := 0; x < img.Rect.Dx(); x++ {
		if dash > 0 && x%(dash+dash*2/3) >= dash {
			continue
		}
		set(img, x, y, c)
	}
}

// vline draws a vertical line; dash > 0 dashes it like hline.
func vline(img *image.RGBA, x int, c color.NRGBA, dash int) {
	for y := 0; y < img.Rect.Dy(); y++ {
		if dash > 0 && y%(dash+dash*2/3) >= dash {
			continue
		}
		set(img, x, y, c)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// valueAt returns the pen's point in force at t: the last point at or before
// t (the historian stores changes, so a value holds until the next one).
func valueAt(pts []history.Point, t time.Time) (history.Point, bool) {
	i := sort.Search(len(pts), func(i int) bool { return pts[i].Time.After(t) })
	if i == 0 {
		return history.Point{}, false
	}
	return pts[i-1], true
}
