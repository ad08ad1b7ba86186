package tagbrowser

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/vigil-hmi/vigil/datasource"
)

// formatValue renders a sample's value as the operator reads it: state text
// for digital tags, the tag's decimals and units for numbers, and " ?" when
// the reading is Uncertain. It mirrors package ui's formatter, which this
// package cannot import (ui will import tagbrowser).
func formatValue(tag *datasource.Tag, s datasource.Sample) string {
	if s.Value.IsNone() {
		return "—"
	}
	var text string
	if len(tag.States) > 0 {
		if i, ok := s.Value.AsInt(); ok {
			text = tag.States[i]
		}
	}
	if text == "" {
		text = datasource.FormatValue(tag, s.Value)
		if tag.Units != "" {
			text += " " + tag.Units
		}
	}
	if s.Quality.Status == datasource.Uncertain {
		text += " ?"
	}
	return text
}

// formatQuality is the quality column: quiet "Good", else status and reason.
func formatQuality(q datasource.Quality) string { return q.String() }

// formatTime renders a sample time as local wall-clock time with seconds.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("15:04:05")
}

// fit shortens text with "…" so it fits width: canvas.Text does not clip.
func fit(text string, size float32, style fyne.TextStyle, width float32) string {
	if fyne.MeasureText(text, size, style).Width <= width {
		return text
	}
	r := []rune(text)
	for len(r) > 0 {
		r = r[:len(r)-1]
		s := string(r) + "…"
		if fyne.MeasureText(s, size, style).Width <= width {
			return s
		}
	}
	return ""
}
