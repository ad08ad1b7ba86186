package setpoint

import (
	"errors"
	"strconv"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// parseEntry turns the text of the setpoint entry into a value for tag.
// It returns the value, or a message for the operator (shown under the
// field) saying why it cannot be written: poll.ParseValue's for the syntax,
// the limits or range for a value the engine would refuse. An empty entry
// returns no value and no message.
func parseEntry(tag *datasource.Tag, text string) (datasource.Value, string) {
	if strings.TrimSpace(text) == "" {
		return datasource.Value{}, ""
	}
	v, err := poll.ParseValue(tag, text)
	if err != nil {
		return datasource.Value{}, err.Error()
	}
	if err := poll.CheckValue(tag, v); err != nil {
		return datasource.Value{}, refusal(tag, err)
	}
	return v, ""
}

// refusal turns a poll.CheckValue error into the message under the field:
// the limits for a LimitError ("must be between 0 and 100 %"), otherwise
// the error's own words without the tag name the faceplate already shows.
func refusal(tag *datasource.Tag, err error) string {
	var le *poll.LimitError
	if errors.As(err, &le) {
		return "must be between " + fmtNum(le.Limits.Min) + " and " + withUnits(tag, le.Limits.Max)
	}
	var re *poll.RangeError
	if errors.As(err, &re) {
		return "must be between " + fmtNum(re.Min) + " and " + fmtNum(re.Max) + " on the device (type " + tag.Type.String() + ")"
	}
	msg := strings.TrimPrefix(err.Error(), tag.Name+": ")
	return strings.TrimSuffix(msg, "; nothing was written")
}

// fmtNum formats f in its shortest exact form ("120", "0.5").
func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// withUnits formats f followed by the tag's units, if any ("100 %").
func withUnits(t *datasource.Tag, f float64) string {
	if t.Units == "" {
		return fmtNum(f)
	}
	return fmtNum(f) + " " + t.Units
}

// formatValue renders a value as the operator reads it: state text for
// digital tags, the tag's decimals and units for numbers, "—" for none.
func formatValue(tag *datasource.Tag, v datasource.Value) string {
	if v.IsNone() {
		return "—"
	}
	if len(tag.States) > 0 {
		if i, ok := v.AsInt(); ok {
			if st, ok := tag.States[i]; ok {
				return st
			}
		}
	}
	text := datasource.FormatValue(tag, v)
	if v.Kind() == datasource.KindInt || v.Kind() == datasource.KindUint {
		text = v.String()
		if f, ok := v.AsFloat(); ok && tag.Decimals > 0 && tag.Type.Numeric() && !isIntType(tag.Type) {
			text = strconv.FormatFloat(f, 'f', tag.Decimals, 64)
		}
	}
	if tag.Units != "" {
		text += " " + tag.Units
	}
	return text
}

// isIntType reports whether t is one of the integer data types.
func isIntType(t datasource.DataType) bool {
	return t.Numeric() && t != datasource.TypeFloat32 && t != datasource.TypeFloat64
}
