package trend

import (
	"image/color"

	vtheme "github.com/vigil-hmi/vigil/ui/theme"
)

// PenColors are the default pen colours on the day palette, used in order
// when a Pen has no Color. They come from the Okabe-Ito and Paul Tol
// colour-blind-safe sets, leaving out every hue near an alarm colour (red,
// orange, yellow, cyan) and the bad-quality purple of ui/theme, so a pen is
// never read as an alarm. They live here rather than in ui/theme because
// only the trend draws pens.
var PenColors = [MaxPens]color.NRGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	{0x33, 0x22, 0x88, 0xFF}, // indigo
	{0x99, 0x99, 0x33, 0xFF}, // olive
	{0x44, 0xAA, 0x99, 0xFF}, // teal
	{0x88, 0x22, 0x55, 0xFF}, // wine
	{0x00, 0x00, 0x00, 0xFF}, // black
}

// PenColorsNight are the same hues lightened for the night palette's dark
// plot, where indigo, wine and black would vanish; a pen keeps its place
// (the third pen is reddish purple by day and by night).
var PenColorsNight = [MaxPens]color.NRGBA{
	{0x5A, 0xA0, 0xE6, 0xFF}, // blue
	{0x2E, 0xC4, 0x96, 0xFF}, // bluish green
	{0xE0, 0x8C, 0xC0, 0xFF}, // reddish purple
	{0x9C, 0x8C, 0xF0, 0xFF}, // indigo
	{0xC0, 0xC0, 0x60, 0xFF}, // olive
	{0x66, 0xCC, 0xBB, 0xFF}, // teal
	{0xC8, 0x68, 0x98, 0xFF}, // wine
	{0xF0, 0xF0, 0xF0, 0xFF}, // white for black
}

// dark reports whether a palette is the night one: its background is dark.
func dark(p vtheme.Palette) bool {
	b := p.Background
	return int(b.R)+int(b.G)+int(b.B) < 3*0x80
}

// penColors is the pen palette that reads on p's plot: a copy, so that
// nothing drawing a frame can change the package's table.
func penColors(p vtheme.Palette) [MaxPens]color.NRGBA {
	if dark(p) {
		return PenColorsNight
	}
	return PenColors
}

// plotColors are the colours of the plot area in one palette.
type plotColors struct {
	background, grid, cursor, text, border color.NRGBA
}

// plotColorsOf derives the plot's colours from the theme's palette
// (docs/trend.md: a white plot area and a thin grey grid by day; the
// night palette's input colour, darker than its background, by night).
func plotColorsOf(p vtheme.Palette) plotColors {
	bg := color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	if dark(p) {
		bg = p.Input
	}
	return plotColors{background: bg, grid: mix(bg, p.Foreground, 0.14), cursor: mix(bg, p.Foreground, 0.75),
		text: p.Foreground, border: p.Line}
}

// mix is a + (b - a) × k per channel.
func mix(a, b color.NRGBA, k float64) color.NRGBA {
	f := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*k + 0.5) }
	return color.NRGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 0xFF}
}
