package display

import (
	"github.com/vigil-hmi/vigil/datasource"
)

// ValueText formats v for tag without units: a digital tag's state text,
// or datasource.FormatValueShort: the tag's decimals, or when it has none
// the shortest text at the tag's own precision, at most 6 significant digits:
// never float64 noise such as 49.94546890258789.
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
	return datasource.FormatValueShort(tag, v)
}

// on reports whether a state tag's sample says true (non-zero) with a
// quality that may be trusted for a state: Bad is not on.
func on(s datasource.Sample) bool {
	return !s.Quality.IsBad() && s.Value.AsBool()
}
