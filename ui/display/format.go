package display

import (
	"strconv"

	"github.com/vigil-hmi/vigil/datasource"
)

// ValueText formats v for tag without units: a digital tag's state text,
// the tag's decimals, or when it has none (-1) the shortest text that reads
// back as the same float32, or 6 significant digits of a float64: never
// float64 noise such as 49.94546890258789.
func ValueText(tag *datasource.Tag, v datasource.Value) string {
	if v.IsNone() {
		return "----"
	}
	if len(tag.States) > 0 {
		if i, ok := v.AsInt(); ok {
			if st, ok := tag.States[i]; ok {
				return st
			}
		}
	}
	if v.Kind() != datasource.KindFloat {
		return v.String()
	}
	f, _ := v.AsFloat()
	switch {
	case tag.Decimals >= 0:
		return strconv.FormatFloat(f, 'f', tag.Decimals, 64)
	case tag.Type == datasource.TypeFloat32 && tag.Scaling.IsIdentity():
		return strconv.FormatFloat(f, 'g', -1, 32)
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// on reports whether a state tag's sample says true (non-zero) with a
// quality that may be trusted for a state: Bad is not on.
func on(s datasource.Sample) bool {
	return !s.Quality.IsBad() && s.Value.AsBool()
}
