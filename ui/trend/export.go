package trend

import (
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/software"

	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/ui/internal/duration"
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
					row[i+1] = exportValue(v, pens[i].Float32)
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

// exportValue is v in its shortest exact text: as a float32 when the pen's
// values come from one and v is one (a scaled float32 tag's values are
// not, and keep every float64 digit).
func exportValue(v float64, float32s bool) string {
	if float32s && float64(float32(v)) == v {
		return strconv.FormatFloat(v, 'g', -1, 32)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ExportPNG writes the chart as a report would show it: the plot (grid,
// pens, gaps, the selected pen's limits, the cursor) with its legend, value
// axes, time axis and, below them, the time span it covers, in UTC like
// every export. The image has the chart's on-screen size (1200×600 before
// the first layout). It renders text through Fyne, so call it on the UI
// goroutine.
func (c *Chart) ExportPNG(w io.Writer) error {
	c.mu.Lock()
	f := c.snapshot()
	size := c.geo.size
	c.mu.Unlock()
	if size.Width < 300 || size.Height < 200 {
		size = fyne.NewSize(exportW, exportH)
	}
	if err := png.Encode(w, exportImage(f, size)); err != nil {
		return fmt.Errorf("export png: %w", err)
	}
	return nil
}

// spanRow is the height of the export's bottom line naming its time span.
const spanRow = 22

// exportImage renders f at size plus the span line, off screen.
func exportImage(f frame, size fyne.Size) image.Image {
	g := layoutOf(size, f, nil)
	pw, ph := int(g.plotSize.Width), int(g.plotSize.Height)
	xt, yt := ticksFor(f, pw, time.UTC, 1)
	plot := canvas.NewImageFromImage((&plotImage{}).draw(f, pw, ph, xt, yt))
	plot.ScaleMode = canvas.ImageScalePixels
	plot.Move(g.plotPos)
	plot.Resize(g.plotSize)
	bg := canvas.NewRectangle(f.pal.Background)
	full := fyne.NewSize(size.Width, size.Height+spanRow)
	bg.Resize(full)
	border := canvas.NewRectangle(color.Transparent)
	border.StrokeColor, border.StrokeWidth = f.colors.border, 1
	border.Move(g.plotPos)
	border.Resize(g.plotSize)
	to := f.from.Add(f.span)
	span := canvas.NewText(f.from.UTC().Format("2006-01-02 15:04:05")+" – "+to.UTC().Format("2006-01-02 15:04:05")+" UTC ("+duration.Format(f.span)+")", f.colors.text)
	span.TextSize = textSize()
	span.TextStyle.Monospace = true
	span.Move(fyne.NewPos(g.plotPos.X, size.Height+2))
	span.Resize(span.MinSize())
	objs := append([]fyne.CanvasObject{bg, plot, border}, labels(f, g, time.UTC, nil)...)
	cv := software.NewCanvas()
	cv.SetPadded(false)
	cv.SetContent(container.NewWithoutLayout(append(objs, span)...))
	cv.Resize(full)
	return cv.Capture()
}
