package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// formatValue renders a sample's value as the operator reads it: state text
// for digital tags, the tag's decimals for numbers, units beside it, and a
// "?" marker when the reading is Uncertain. Bad readings keep their last
// value (dimmed by the caller) or show "—" when there never was one.
func formatValue(tag *datasource.Tag, s datasource.Sample) string {
	if s.Value.IsNone() {
		return "—"
	}
	var text string
	if len(tag.States) > 0 {
		if i, ok := s.Value.AsInt(); ok {
			if st, ok := tag.States[i]; ok {
				text = st
			}
		}
	}
	if text == "" {
		text = s.Value.Format(tag.Decimals)
		if tag.Units != "" {
			text += " " + tag.Units
		}
	}
	if s.Quality.Status == datasource.Uncertain {
		text += " ?"
	}
	return text
}

// formatTime renders a sample time as local wall-clock time with seconds.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("15:04:05")
}

// qualityCounts is the number of tags per quality status.
type qualityCounts struct{ good, uncertain, bad int }

// statusLine is the text of the bottom line: devices, tag health and clock.
func statusLine(devs []poll.DeviceStatus, q qualityCounts, now time.Time) string {
	ok := 0
	for _, d := range devs {
		if d.State == poll.Connected {
			ok++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "devices %d/%d ok · tags %d good", ok, len(devs), q.good)
	if q.uncertain > 0 {
		fmt.Fprintf(&b, " · %d uncertain", q.uncertain)
	}
	if q.bad > 0 {
		fmt.Fprintf(&b, " · %d bad", q.bad)
	}
	_, off := now.Zone()
	fmt.Fprintf(&b, " · %s (UTC%+d)", now.Format("2006-01-02 15:04:05"), off/3600)
	return b.String()
}
