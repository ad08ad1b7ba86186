package setpoint

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// plainNumber is the only number syntax the entry accepts: an optional
// sign, digits and at most one decimal point. No exponent, no hex, no
// thousands separators: what the operator typed is what is written.
var plainNumber = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

// parseEntry turns the text of the setpoint entry into a value for tag.
// It returns the value, or a message for the operator (shown under the
// field) saying why it cannot be written. An empty entry returns no value
// and no message.
//
// Decisions (docs/faceplate.md): "1e3" is refused (an exponent is rare in a
// setpoint and easy to mistype); "," is refused with a message, because in
// some locales it is a decimal separator and in others a thousands
// separator, and guessing wrong writes a value 1000 times off.
func parseEntry(tag *datasource.Tag, text string) (datasource.Value, string) {
	s := strings.TrimSpace(text)
	if s == "" {
		return datasource.Value{}, ""
	}
	low := strings.ToLower(s)
	switch {
	case strings.Contains(low, "nan"):
		return datasource.Value{}, "NaN is not a value: type a number"
	case strings.Contains(low, "inf"):
		return datasource.Value{}, "infinity is not a value: type a number"
	case strings.Contains(s, ","):
		return datasource.Value{}, "use a point as the decimal separator (55.5, not 55,5)"
	case plainNumber.MatchString(strings.ReplaceAll(low, "e", "")) && strings.Contains(low, "e"):
		return datasource.Value{}, "type the number in full, without an exponent"
	case !plainNumber.MatchString(s):
		return datasource.Value{}, "not a number: type digits with an optional sign and point"
	}
	v := numberValue(tag, s)
	if err := poll.CheckValue(tag, v); err != nil {
		return datasource.Value{}, refusal(tag, err)
	}
	return v, ""
}

// numberValue makes the Value for a syntactically valid number: an exact
// integer for unscaled integer tags written without a point (so 64-bit
// values are not rounded through float64), a float otherwise.
func numberValue(tag *datasource.Tag, s string) datasource.Value {
	if tag.Scaling.IsIdentity() && !strings.Contains(s, ".") {
		switch tag.Type {
		case datasource.TypeUint16, datasource.TypeUint32, datasource.TypeUint64:
			if u, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
				return datasource.Uint(u)
			}
		case datasource.TypeInt16, datasource.TypeInt32, datasource.TypeInt64:
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return datasource.Int(i)
			}
		}
	}
	// The syntax is checked, so the only error left is a value too large
	// for float64, which ParseFloat returns as ±Inf; CheckValue refuses it.
	f, _ := strconv.ParseFloat(s, 64)
	return datasource.Float(f)
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
	text := v.Format(tag.Decimals)
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
