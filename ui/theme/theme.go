// Package theme is Vigil's ISA-101 high-performance HMI theme: a grey, quiet
// background where colour is reserved for abnormal states (alarm priorities
// and bad quality), in a light variant and a dark one for night shifts. Every
// colour that carries a meaning (alarm priorities, qualities, states) and
// every surface colour is defined here, in one place. The trend's pen colours
// are the one other table (ui/trend/colors.go): only the trend draws pens,
// and they are chosen to stay clear of every colour defined here.
package theme

import (
	"image/color"

	"fyne.io/fyne/v2"
	fynetheme "fyne.io/fyne/v2/theme"

	"github.com/vigil-hmi/vigil/datasource"
)

// Alarm priority colours (docs/alarm-screens.md): the same in both variants, always doubled
// by a shape and a digit.
var (
	Critical = color.NRGBA{0xD0, 0x00, 0x00, 0xFF} // red, square, "1"
	High     = color.NRGBA{0xF0, 0x70, 0x00, 0xFF} // orange, triangle, "2"
	Medium   = color.NRGBA{0xE8, 0xC8, 0x00, 0xFF} // yellow, inverted triangle, "3"
	Low      = color.NRGBA{0x00, 0xA0, 0xC0, 0xFF} // cyan, diamond, "4"
)

// PriorityColor returns the colour of an alarm priority.
func PriorityColor(p datasource.Priority) color.Color {
	switch p {
	case datasource.PriorityCritical:
		return Critical
	case datasource.PriorityHigh:
		return High
	case datasource.PriorityMedium:
		return Medium
	}
	return Low
}

// Palette is one variant's set of colours. Every text colour reaches a
// contrast of 4.5:1 (WCAG AA) against every background it is drawn on, in
// both variants; theme_test.go measures it.
type Palette struct {
	Background, Panel, Header, Foreground, Dim, Line, Input, Button, Focus color.NRGBA
	// OnFocus is the text on the Focus colour (the selected navigation
	// button, primary buttons).
	OnFocus color.NRGBA
	// BadQuality marks Bad readings: a colour no alarm priority uses, so a
	// dead sensor is never mistaken for an alarm.
	BadQuality color.NRGBA
	// Uncertain marks Uncertain readings (together with a "?" marker).
	Uncertain color.NRGBA
}

// Light is the default day palette: light grey, near-black text.
var Light = Palette{
	Background: color.NRGBA{0xDC, 0xDC, 0xDC, 0xFF},
	Panel:      color.NRGBA{0xE6, 0xE6, 0xE6, 0xFF},
	Header:     color.NRGBA{0xC8, 0xC8, 0xC8, 0xFF},
	Foreground: color.NRGBA{0x1A, 0x1A, 0x1A, 0xFF},
	// Dim (labels, units, disabled text) was #5E5E5E: 4.7:1 on the
	// background by the formula, but under 4.5:1 on the header and
	// button greys, and thin anti-aliased glyphs read lighter still
	// (about 2.9:1 measured off a screenshot, issue 16). #464646 keeps
	// 5:1 on the darkest grey it is drawn on and stays lighter than text.
	Dim:        color.NRGBA{0x46, 0x46, 0x46, 0xFF},
	Line:       color.NRGBA{0x9A, 0x9A, 0x9A, 0xFF},
	Input:      color.NRGBA{0xF4, 0xF4, 0xF4, 0xFF},
	Button:     color.NRGBA{0xC4, 0xC4, 0xC4, 0xFF},
	Focus:      color.NRGBA{0x44, 0x5E, 0x7A, 0xFF},
	OnFocus:    color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF},
	BadQuality: color.NRGBA{0x80, 0x20, 0x90, 0xFF},
	Uncertain:  color.NRGBA{0x6A, 0x4C, 0x93, 0xFF},
}

// Dark is the night-shift palette: dark grey, the same alarm colours.
var Dark = Palette{
	Background: color.NRGBA{0x2A, 0x2A, 0x2A, 0xFF},
	Panel:      color.NRGBA{0x33, 0x33, 0x33, 0xFF},
	Header:     color.NRGBA{0x40, 0x40, 0x40, 0xFF},
	Foreground: color.NRGBA{0xE0, 0xE0, 0xE0, 0xFF},
	// Dim at night: #9E9E9E fell under 4.5:1 on the header (see Light).
	Dim:        color.NRGBA{0xB4, 0xB4, 0xB4, 0xFF},
	Line:       color.NRGBA{0x60, 0x60, 0x60, 0xFF},
	Input:      color.NRGBA{0x22, 0x22, 0x22, 0xFF},
	Button:     color.NRGBA{0x48, 0x48, 0x48, 0xFF},
	Focus:      color.NRGBA{0x7A, 0x9A, 0xC0, 0xFF},
	OnFocus:    color.NRGBA{0x1A, 0x1A, 0x1A, 0xFF},
	BadQuality: color.NRGBA{0xD0, 0x80, 0xE0, 0xFF},
	Uncertain:  color.NRGBA{0xA8, 0x90, 0xD0, 0xFF},
}

// HMI is a fyne.Theme with a fixed palette: the operator's choice of variant
// wins over the desktop's, because a control room's lighting, not the
// workstation's settings, decides it.
type HMI struct {
	P Palette
}

// New returns the light theme, or the dark one when dark is true.
func New(dark bool) *HMI {
	if dark {
		return &HMI{P: Dark}
	}
	return &HMI{P: Light}
}

// QualityColor returns the text colour of a reading of quality q.
func (t *HMI) QualityColor(q datasource.Quality) color.Color {
	switch q.Status {
	case datasource.Bad:
		return t.P.BadQuality
	case datasource.Uncertain:
		return t.P.Uncertain
	}
	return t.P.Foreground
}

// Color implements fyne.Theme.
func (t *HMI) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	p := t.P
	switch n {
	case fynetheme.ColorNameBackground, fynetheme.ColorNameOverlayBackground, fynetheme.ColorNameMenuBackground:
		return p.Background
	case fynetheme.ColorNameHeaderBackground:
		return p.Header
	case fynetheme.ColorNameForeground:
		return p.Foreground
	case fynetheme.ColorNameForegroundOnPrimary:
		return p.OnFocus
	case fynetheme.ColorNameDisabled, fynetheme.ColorNamePlaceHolder:
		return p.Dim
	case fynetheme.ColorNameSeparator, fynetheme.ColorNameInputBorder, fynetheme.ColorNameScrollBar:
		return p.Line
	case fynetheme.ColorNameInputBackground:
		return p.Input
	case fynetheme.ColorNameButton:
		return p.Button
	case fynetheme.ColorNameDisabledButton:
		return p.Panel
	case fynetheme.ColorNamePrimary, fynetheme.ColorNameFocus, fynetheme.ColorNameHyperlink:
		return p.Focus
	case fynetheme.ColorNameSelection, fynetheme.ColorNameHover, fynetheme.ColorNamePressed:
		c := p.Focus
		c.A = 0x40
		return c
	case fynetheme.ColorNameError:
		return Critical
	case fynetheme.ColorNameWarning:
		return High
	case fynetheme.ColorNameSuccess:
		return p.Foreground // "success" is normal, and normal is not coloured
	}
	variant := fynetheme.VariantLight
	if t.Dark() {
		variant = fynetheme.VariantDark
	}
	return fynetheme.DefaultTheme().Color(n, variant)
}

// Dark reports whether the night palette is on.
func (t *HMI) Dark() bool { return t.P == Dark }

// Font implements fyne.Theme.
func (t *HMI) Font(s fyne.TextStyle) fyne.Resource { return fynetheme.DefaultTheme().Font(s) }

// Icon implements fyne.Theme.
func (t *HMI) Icon(n fyne.ThemeIconName) fyne.Resource { return fynetheme.DefaultTheme().Icon(n) }

// Size implements fyne.Theme: slightly tighter padding than the default so a
// dense tag table fits, and no rounded corners (no decoration).
func (t *HMI) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case fynetheme.SizeNameInputRadius, fynetheme.SizeNameSelectionRadius, fynetheme.SizeNameScrollBarRadius:
		return 0
	case fynetheme.SizeNamePadding:
		return 3
	}
	return fynetheme.DefaultTheme().Size(n)
}
