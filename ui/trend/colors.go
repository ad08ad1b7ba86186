package trend

import "image/color"

// PenColors are the default pen colours, used in order when a Pen has no
// Color. They come from the Okabe-Ito and Paul Tol colour-blind-safe sets,
// leaving out every hue near an alarm colour (red, orange, yellow, cyan) and
// the bad-quality purple of ui/theme, so a pen is never read as an alarm.
// They live here rather than in ui/theme because only the trend draws pens.
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

// Plot colours: ui.md asks for a white plot area and a thin grey grid.
var (
	plotBackground = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	gridColor      = color.NRGBA{0xE0, 0xE0, 0xE0, 0xFF}
	cursorColor    = color.NRGBA{0x40, 0x40, 0x40, 0xFF}
)
