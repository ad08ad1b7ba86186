package poll

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
)

// plainNumber is the only number syntax an operator's setpoint may have: an
// optional sign, digits and at most one decimal point. No exponent, no hex,
// no thousands separators: what the operator typed is what is written.
var plainNumber = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

// ParseValue turns an operator's text into a value for a numeric tag: the
// faceplate's entry and `vigil run --commands` read setpoints with it. The
// error says, for the operator, why the text is not a number. It does not
// check the tag's limits or range: CheckValue does.
//
// Decisions (docs/faceplate.md): "1e3" is refused (an exponent is rare in a
// setpoint and easy to mistype); "," is refused with a message, because in
// some locales it is a decimal separator and in others a thousands
// separator, and guessing wrong writes a value 1000 times off.
func ParseValue(tag *datasource.Tag, text string) (datasource.Value, error) {
	s := strings.TrimSpace(text)
	low := strings.ToLower(s)
	switch {
	case strings.Contains(low, "nan"):
		return datasource.Value{}, errors.New("NaN is not a value: type a number")
	case strings.Contains(low, "inf"):
		return datasource.Value{}, errors.New("infinity is not a value: type a number")
	case strings.Contains(s, ","):
		return datasource.Value{}, errors.New("use a point as the decimal separator (55.5, not 55,5)")
	case plainNumber.MatchString(strings.ReplaceAll(low, "e", "")) && strings.Contains(low, "e"):
		return datasource.Value{}, errors.New("type the number in full, without an exponent")
	case !plainNumber.MatchString(s):
		return datasource.Value{}, errors.New("not a number: type digits with an optional sign and point")
	}
	return numberValue(tag, s), nil
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
