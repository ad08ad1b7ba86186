package trend

import (
	"encoding/csv"
	"fmt"
	"image/png"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/vigil-hmi/vigil/history"
)

// exportW, exportH are the PNG size when the chart has not been laid out yet.
const exportW, exportH = 1200, 600

// ExportCSV writes the visible range's raw (undecimated) samples of every
// pen as RFC 4180 CSV: a header "time,<label> [<units>],...", then one row
// per distinct sample time in ISO-8601 UTC (RFC 3339 with nanoseconds), one
// column per pen. A cell is empty when that pen has no sample at that time
// or the sample is a gap (bad quality). It queries the Source on the
// calling goroutine, so call it off the UI goroutine for long ranges.
func (c *Chart) ExportCSV(w io.Writer) error {
	c.mu.Lock()
	from, to := c.to.Add(-c.span), c.to
	pens := make([]Pen, len(c.pens))
	for i, p := range c.pens {
		pens[i] = p.Pen
	}
	c.mu.Unlock()
	series := make([][]history.Point, len(pens))
	for i, p := range pens {
		pts, err := c.src.Query(c.ctx, p.Tag, from, to, 0)
		if err != nil {
			return fmt.Errorf("export csv: pen %s: %w", p.Tag, err)
		}
		series[i] = pts
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	head := []string{"time"}
	for _, p := range pens {
		h := p.label()
		if p.Units != "" {
			h += " [" + p.Units + "]"
		}
		head = append(head, h)
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	next := make([]int, len(pens)) // each series' next point
	row := make([]string, len(pens)+1)
	for {
		// The earliest time any series has next.
		var t time.Time
		found := false
		for i, s := range series {
			if next[i] < len(s) && (!found || s[next[i]].Time.Before(t)) {
				t, found = s[next[i]].Time, true
			}
		}
		if !found {
			break
		}
		row[0] = t.UTC().Format(time.RFC3339Nano)
		for i, s := range series {
			row[i+1] = ""
			if next[i] < len(s) && s[next[i]].Time.Equal(t) {
				if v := s[next[i]].Value; !math.IsNaN(v) {
					row[i+1] = strconv.FormatFloat(v, 'g', -1, 64)
				}
				next[i]++
			}
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("export csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	return nil
}

// ExportPNG writes the plot as shown (grid, pens, gaps, selected pen's
// limits, cursor) as a PNG at its on-screen pixel size (1200×600 before the
// first layout). Labels are not part of the image.
func (c *Chart) ExportPNG(w io.Writer) error {
	c.mu.Lock()
	f := c.snapshot()
	pw, ph := c.plotW, c.plotH
	c.mu.Unlock()
	if pw <= 0 || ph <= 0 {
		pw, ph = exportW, exportH
	}
	xt, yt := ticksFor(f, pw, c.opts.Location, 1)
	img := (&plotImage{}).draw(f, pw, ph, xt, yt)
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("export png: %w", err)
	}
	return nil
}
