package theme

import (
	"fmt"
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	fynetheme "fyne.io/fyne/v2/theme"
)

// luminance is the WCAG 2 relative luminance of c.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xFFFF
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// Contrast is the WCAG 2 contrast ratio of two colours (1 to 21).
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

func TestContrastIsMeasuredAsWCAGDoes(t *testing.T) {
	if got := contrast(color.Black, color.White); math.Abs(got-21) > 0.01 {
		t.Fatalf("black on white = %.2f, want 21", got)
	}
	if got := contrast(color.NRGBA{0x76, 0x76, 0x76, 0xFF}, color.White); math.Abs(got-4.54) > 0.02 {
		t.Fatalf("#767676 on white = %.2f, want 4.54", got)
	}
}

// TestEveryTextColourReadsOnItsBackgroundInBothPalettes is ui.md's rule
// and issue 16 item 7: every pair of text colour and the background it is
// drawn on reaches 4.5:1, read from the theme as the widgets read it.
func TestEveryTextColourReadsOnItsBackgroundInBothPalettes(t *testing.T) {
	test.NewTempApp(t)
	for _, dark := range []bool{false, true} {
		th := New(dark)
		c := func(n fyne.ThemeColorName) color.Color { return th.Color(n, fynetheme.VariantLight) }
		name := map[bool]string{false: "day", true: "night"}[dark]
		type pair struct {
			text, on string
			fg, bg   color.Color
		}
		var pairs []pair
		// Fyne's own widgets: labels, entries, buttons, the selected
		// navigation button, placeholders and disabled text.
		for _, bg := range []fyne.ThemeColorName{fynetheme.ColorNameBackground, fynetheme.ColorNameInputBackground,
			fynetheme.ColorNameButton, fynetheme.ColorNameHeaderBackground, fynetheme.ColorNameOverlayBackground, fynetheme.ColorNameMenuBackground} {
			pairs = append(pairs, pair{"foreground", string(bg), c(fynetheme.ColorNameForeground), c(bg)})
		}
		pairs = append(pairs,
			pair{"foreground on primary", "primary", c(fynetheme.ColorNameForegroundOnPrimary), c(fynetheme.ColorNamePrimary)},
			pair{"placeholder", "input background", c(fynetheme.ColorNamePlaceHolder), c(fynetheme.ColorNameInputBackground)},
			pair{"hyperlink", "background", c(fynetheme.ColorNameHyperlink), c(fynetheme.ColorNameBackground)},
		)
		// Dim text as Fyne draws it (a low-importance label or button, a
		// disabled control, a placeholder) on every surface it can sit on:
		// the screen, the header strip, an entry and a disabled button.
		for _, fg := range []fyne.ThemeColorName{fynetheme.ColorNameDisabled, fynetheme.ColorNamePlaceHolder} {
			for _, bg := range []fyne.ThemeColorName{fynetheme.ColorNameBackground, fynetheme.ColorNameHeaderBackground,
				fynetheme.ColorNameInputBackground, fynetheme.ColorNameDisabledButton, fynetheme.ColorNameOverlayBackground} {
				pairs = append(pairs, pair{string(fg), string(bg), c(fg), c(bg)})
			}
		}
		// Vigil's own canvas texts: labels and units (Dim), Bad and
		// Uncertain readings, on the screen, panel and input backgrounds.
		p := th.P
		for _, bg := range []struct {
			name string
			c    color.Color
		}{{"background", p.Background}, {"panel", p.Panel}, {"input", p.Input}} {
			pairs = append(pairs,
				pair{"dim", bg.name, p.Dim, bg.c},
				pair{"bad quality", bg.name, p.BadQuality, bg.c},
				pair{"uncertain", bg.name, p.Uncertain, bg.c},
				pair{"foreground", bg.name, p.Foreground, bg.c})
		}
		// Labels and column titles also sit on the header strip.
		pairs = append(pairs, pair{"dim", "header", p.Dim, p.Header}, pair{"foreground", "header", p.Foreground, p.Header})
		for _, pr := range pairs {
			if r := contrast(pr.fg, pr.bg); r < 4.5 {
				t.Errorf("%s palette: %s %v on %s %v: contrast %.2f, want ≥ 4.5", name, pr.text, hex(pr.fg), pr.on, hex(pr.bg), r)
			}
		}
	}
}

// TestTheDarkPaletteIsThemeWideDark: a colour Vigil does not set comes
// from Fyne's dark variant at night, so no widget keeps a day colour (the
// disabled button stayed light grey).
func TestTheDarkPaletteIsThemeWideDark(t *testing.T) {
	test.NewTempApp(t)
	th := New(true)
	for _, n := range []fyne.ThemeColorName{fynetheme.ColorNameDisabledButton, fynetheme.ColorNameShadow, fynetheme.ColorNameInputBorder} {
		if l := luminance(th.Color(n, fynetheme.VariantLight)); l > 0.3 {
			t.Errorf("night palette: %s is light (luminance %.2f)", n, l)
		}
	}
}

func hex(c color.Color) string {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return fmt.Sprintf("#%02X%02X%02X", n.R, n.G, n.B)
}
