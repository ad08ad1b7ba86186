package displays

// ftype is the type of an element field, which decides how it is read and
// checked.
type ftype uint8

const (
	fTag         ftype = iota // any tag
	fNumTag                   // a numeric tag
	fStateTag                 // a bool or integer tag (running, open, fault)
	fWritableTag              // a writable tag
	fText                     // a string
	fBool                     // true or false
	fWindow                   // a duration > 0
	fDisplay                  // a display's name
	fTagList                  // a list of 1..MaxPens numeric tags
	fGroup                    // a tag group
	fFile                     // a PNG or SVG file in the project's directory
	fValue                    // a value for a write button's tag
	fPoints                   // a polyline [[x, y], ...]
)

// field is one field of an element kind's schema.
type field struct {
	key      string
	typ      ftype
	required bool
}

// spec is an element kind's schema.
type spec struct {
	fields []field
	size   Size // default size; zero: the kind has no box (pipes)
}

var (
	label    = field{key: "label", typ: fText}
	fault    = field{key: "fault", typ: fStateTag}
	manual   = field{key: "manual", typ: fStateTag}
	rotating = spec{size: Size{60, 60}, fields: []field{{"running", fStateTag, true}, fault, manual, label}}
	valve    = spec{size: Size{40, 40}, fields: []field{{"position", fNumTag, false}, {"open", fStateTag, false}, fault, manual, label, {"vertical", fBool, false}}}
	pipe     = spec{fields: []field{{"points", fPoints, true}, {"flow", fTag, false}}}
)

// specs is the schema of every kind (docs/displays.md, one section each).
var specs = [numKinds]spec{
	Tank:       {size: Size{160, 300}, fields: []field{{"level", fNumTag, true}, label}},
	Pump:       rotating,
	Motor:      rotating,
	Fan:        rotating,
	Compressor: rotating,
	Valve:      valve,
	Damper:     valve,
	Pipe:       pipe,
	Duct:       pipe,
	Value:      {size: Size{160, 30}, fields: []field{{"tag", fTag, true}, label}},
	Bar:        {size: Size{240, 40}, fields: []field{{"tag", fNumTag, true}, label}},
	Text:       {size: Size{200, 30}, fields: []field{{"text", fText, true}}},
	Button:     {size: Size{140, 40}, fields: []field{{"text", fText, true}, {"goto", fDisplay, false}, {"write", fWritableTag, false}, {"value", fValue, false}}},
	Setpoint:   {size: Size{160, 40}, fields: []field{{"tag", fWritableTag, true}, label}},
	Sparkline:  {size: Size{200, 50}, fields: []field{{"tag", fNumTag, true}, {"window", fWindow, false}}},
	Trend:      {size: Size{600, 300}, fields: []field{{"tags", fTagList, true}, {"window", fWindow, false}}},
	Alarms:     {size: Size{120, 40}, fields: []field{{"tag", fTag, false}, {"group", fGroup, false}, {"display", fDisplay, false}}},
	Group:      {size: Size{400, 300}, fields: []field{{"title", fText, false}}},
	Image:      {size: Size{200, 200}, fields: []field{{"file", fFile, true}}},
}

// fieldType is the type of the kind's field key; fText when it has none.
func (s *spec) fieldType(key string) ftype {
	for _, f := range s.fields {
		if f.key == key {
			return f.typ
		}
	}
	return fText
}

// keys returns the fields an element of the kind may have, kind first.
func (s *spec) keys() []string {
	out := []string{"kind"}
	if s.size != (Size{}) {
		out = append(out, "at", "size")
	}
	for _, f := range s.fields {
		out = append(out, f.key)
	}
	return out
}

// kindNamed returns the kind written as name; instance is not a Kind (it
// expands to its template's elements) and is handled apart.
func kindNamed(name string) (Kind, bool) {
	for i, n := range kindNames {
		if n == name {
			return Kind(i), true
		}
	}
	return 0, false
}

// kindList is every kind a file may name, for messages.
func kindList() []string { return append(kindNames[:len(kindNames):len(kindNames)], "instance") }

// FieldInfo describes one field of an element kind, for the editor's
// property panel and palette.
type FieldInfo struct {
	Key      string
	Tag      bool // names tags (one, or a trend's list): the tag picker offers the project's tags
	Required bool
	List     bool // a list (trend pens, pipe points): not edited in the panel
}

// Fields returns the fields of the element kind named kind (not kind, at
// and size), in the order docs/displays.md lists them; nil for an unknown
// kind.
func Fields(kind string) []FieldInfo {
	k, ok := kindNamed(kind)
	if !ok {
		return nil
	}
	var out []FieldInfo
	for _, f := range specs[k].fields {
		out = append(out, FieldInfo{Key: f.key, Required: f.required,
			Tag:  f.typ == fTag || f.typ == fNumTag || f.typ == fStateTag || f.typ == fWritableTag || f.typ == fTagList,
			List: f.typ == fTagList || f.typ == fPoints})
	}
	return out
}

// PaletteKinds are the kinds the editor's palette adds: every kind (a
// trend with the one pen picked, a pipe or duct as a straight line that
// its points field then bends).
func PaletteKinds() []string {
	out := make([]string, 0, numKinds)
	for k := Kind(0); k < numKinds; k++ {
		out = append(out, k.String())
	}
	return out
}

// defaultLine is the extent of a new pipe or duct: a horizontal line.
var defaultLine = Size{W: 200}

// DefaultSizeOf returns the size a new element of the kind gets; for a
// pipe or duct (no box) the extent of its line, from its first point to
// its last (NewElement).
func DefaultSizeOf(kind string) Size {
	if k, ok := kindNamed(kind); ok {
		if specs[k].size == (Size{}) {
			return defaultLine
		}
		return specs[k].size
	}
	return Size{}
}
