package overview

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/vigil-hmi/vigil/datasource"
)

// rasterArea sums the area of the rasters shown in a row: every shown
// raster is a texture the renderer blends over its whole area at each
// repaint of the window.
func rasterArea(c *cell) float32 {
	var area float32
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *canvas.Raster:
			area += x.Size().Width * x.Size().Height
		case *fyne.Container:
			for _, ch := range x.Objects {
				walk(ch)
			}
		}
	}
	for _, d := range c.dashes {
		walk(d)
	}
	walk(c.row)
	return area
}

// A Good row shows no raster over its width (the dashed outline of a Bad
// row was a raster as large as the row, shown on every row and painted at
// every repaint); a Bad row shows its outline as four thin edges, dashed,
// and hides them again when the reading is Good.
func TestOnlyBadRowsShowTheirOutline(t *testing.T) {
	tags := demoTags(t)
	o, _ := setup(t, tags, Deps{})
	now := time.Unix(1_800_000_000, 0)
	lv := find(tags, "Tank1.Level")
	o.Update(normal(tags, now), now)
	c := cellOf(t, o, lv)
	o.Update(normal(tags, now), now)
	size := c.Size()
	if size.Width < 500 {
		t.Fatalf("row %v wide, want the window's width", size)
	}
	if a := rasterArea(c); a > 20*20 {
		t.Errorf("a Good row shows %.0f px² of rasters, want at most the alarm shape's", a)
	}

	s := normal(tags, now)
	s[lv.ID].Quality = datasource.BadQuality(datasource.NotConnected)
	o.Update(s, now)
	edges := 2*size.Width + 2*size.Height
	if a := rasterArea(c); a < edges-4 || a > edges+20*20 {
		t.Errorf("a Bad row shows %.0f px² of rasters, want its four 1 px edges (%.0f) and no more", a, edges)
	}
	top := c.drawDashes(16, 1, true)
	if _, _, _, a0 := top.At(1, 0).RGBA(); a0 == 0 {
		t.Error("the top edge's first dash is not drawn")
	}
	if _, _, _, a1 := top.At(5, 0).RGBA(); a1 != 0 {
		t.Error("the top edge is not dashed: its first gap is drawn")
	}
	if _, _, _, a := c.drawDashes(1, 16, false).At(0, 1).RGBA(); a == 0 {
		t.Error("the left edge's first dash is not drawn")
	}

	o.Update(normal(tags, now), now)
	if a := rasterArea(c); a > 20*20 {
		t.Errorf("the row Good again still shows %.0f px² of rasters", a)
	}
}

// The value column asks for the same size whatever its texts: Fyne answers
// a changed minimum size while painting by laying the parent out again,
// which marks the window dirty, so every value that changed width cost a
// second repaint of the whole window.
func TestValueColumnSizeDoesNotFollowItsText(t *testing.T) {
	tags := demoTags(t)
	o, _ := setup(t, tags, Deps{})
	now := time.Unix(1_800_000_000, 0)
	lv := find(tags, "Tank1.Level")
	s := normal(tags, now)
	o.Update(s, now)
	c := cellOf(t, o, lv)
	o.Update(s, now)
	min0 := c.row.MinSize()
	unitsAt := c.units.Position().X

	s[lv.ID].Value = datasource.Float(12345.6789)
	s[lv.ID].Quality = datasource.BadQuality(datasource.NotConnected)
	o.Update(s, now)
	if got := c.row.MinSize(); got != min0 {
		t.Errorf("value column asks for %v after a wider value, was %v", got, min0)
	}
	// The row is laid out again all the same: the units follow the value.
	if c.units.Position().X <= unitsAt {
		t.Errorf("units at x %.0f after a wider value, were at %.0f: not laid out again", c.units.Position().X, unitsAt)
	}
	if c.qual.Position().X <= c.units.Position().X {
		t.Errorf("quality reason at x %.0f, left of the units at %.0f", c.qual.Position().X, c.units.Position().X)
	}
}
