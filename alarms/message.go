package alarms

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// formatValue renders a reading for people: the tag's state text for
// digital values that have one, else the value with the tag's decimals.
func formatValue(t *datasource.Tag, v datasource.Value) string {
	if v.IsNone() {
		return "?"
	}
	if len(t.States) > 0 && v.Kind() != datasource.KindFloat && v.Kind() != datasource.KindString {
		if i, ok := v.AsInt(); ok {
			if s, ok := t.States[i]; ok {
				return s
			}
		}
	}
	return datasource.FormatValue(t, v)
}

// withUnits appends the tag's units to a formatted value ("96.2 %").
func withUnits(t *datasource.Tag, s string) string {
	if t.Units == "" {
		return s
	}
	return s + " " + t.Units
}

// message renders an alarm's operator text. The template may use {value},
// {units}, {limit} and {ttl}; the default is "<tag> <name>". When the
// template does not place the value itself, the value and units are
// appended, so every message says where the process is.
func message(d *def, s *state) string {
	val := formatValue(d.tag, s.value)
	tmpl := d.message
	if tmpl == "" {
		tmpl = d.tag.Name + " " + d.name
	}
	msg := tmpl
	if strings.Contains(tmpl, "{") {
		msg = strings.NewReplacer(
			"{value}", val,
			"{units}", d.tag.Units,
			"{limit}", strconv.FormatFloat(d.limit, 'f', -1, 64),
			"{ttl}", ttlText(s.ttl),
		).Replace(tmpl)
	}
	if !strings.Contains(tmpl, "{value}") {
		msg += " " + withUnits(d.tag, val)
		if d.kind == datasource.AlarmPredictive {
			msg += ", limit " + strconv.FormatFloat(d.limit, 'f', -1, 64) + " in " + ttlText(s.ttl)
		}
	}
	return msg
}

// ttlText renders a forecast time to limit ("1h25m"), "?" when there is
// none and "never" when the trend moves away from the limit.
func ttlText(sec float64) string {
	switch {
	case math.IsNaN(sec):
		return "?"
	case math.IsInf(sec, 1) || sec > float64(100*365*24*time.Hour/time.Second):
		return "never"
	}
	d := time.Duration(sec * float64(time.Second)).Round(time.Minute)
	if d < time.Minute {
		return "<1m"
	}
	return strings.TrimSuffix(d.String(), "0s")
}
