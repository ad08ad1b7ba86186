package displays

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Edit mode changes a display file as text: each edit replaces or inserts
// the bytes of one value, so comments, key order, formatting and every
// other element keep their bytes (the way datasource/tagcsv edits tags).
// The file is never written back from structs.

// ErrNotEditable is returned when the file writes the value in a form an
// edit cannot change in place (a block list for at:, an alias); the
// engineer edits the file by hand then.
var ErrNotEditable = errors.New("written in a form edit mode does not change; edit the file")

// ErrChanged is returned when a Change no longer applies: the file's bytes
// where it was made are not the ones it recorded (the file was edited
// since), so undoing or redoing it would damage the file.
var ErrChanged = errors.New("the file changed since this edit; edit it by hand")

// Change is one edit of a file's text: the bytes Old at Offset become New.
// Its Inverse is the edit that undoes it, byte for byte.
type Change struct {
	Offset   int
	Old, New string
}

// Apply returns data with the change made, or ErrChanged when data does not
// hold Old at Offset.
func (c Change) Apply(data []byte) ([]byte, error) {
	if c.Offset < 0 || c.Offset+len(c.Old) > len(data) || string(data[c.Offset:c.Offset+len(c.Old)]) != c.Old {
		return nil, ErrChanged
	}
	return splice(data, c.Offset, c.Offset+len(c.Old), c.New), nil
}

// Inverse is the change that undoes c.
func (c Change) Inverse() Change { return Change{Offset: c.Offset, Old: c.New, New: c.Old} }

// SetPair sets the [a, b] value of key (at or size) of element index of
// display name in data, a project file or display file, and returns the new
// text. An absent key is added to the element.
func SetPair(data []byte, name string, index int, key string, a, b float64) ([]byte, error) {
	c, err := PairChange(data, name, index, key, a, b)
	if err != nil {
		return nil, err
	}
	return c.Apply(data)
}

// PairChange is SetPair's edit, to apply and to undo.
func PairChange(data []byte, name string, index int, key string, a, b float64) (Change, error) {
	el, err := findElement(data, name, index)
	if err != nil {
		return Change{}, err
	}
	text := "[" + num(a) + ", " + num(b) + "]"
	for i := 0; i+1 < len(el.Content); i += 2 {
		if el.Content[i].Value != key {
			continue
		}
		v := el.Content[i+1]
		if v.Kind != yaml.SequenceNode || v.Style&yaml.FlowStyle == 0 || v.Alias != nil {
			return Change{}, fmt.Errorf("displays[%s].elements[%d].%s: %w", name, index, key, ErrNotEditable)
		}
		start, err := offset(data, v.Line, v.Column)
		if err != nil {
			return Change{}, err
		}
		end := bytes.IndexByte(data[start:], ']')
		if end < 0 {
			return Change{}, fmt.Errorf("displays[%s].elements[%d].%s: no closing ]", name, index, key)
		}
		return change(data, start, start+end+1, text), nil
	}
	return addAfterKind(data, el, name, index, key, text)
}

// FieldChange sets the scalar field key of element index of display name
// to value, written plain when it reads back the same and quoted
// otherwise; an absent key is added after the kind. A value written as a
// block scalar, a list or an alias is not edited (ErrNotEditable).
func FieldChange(data []byte, name string, index int, key, value string) (Change, error) {
	el, err := findElement(data, name, index)
	if err != nil {
		return Change{}, err
	}
	text := scalarText(value)
	flow := el.Style&yaml.FlowStyle != 0
	for i := 0; i+1 < len(el.Content); i += 2 {
		if el.Content[i].Value != key {
			continue
		}
		v := el.Content[i+1]
		notEditable := fmt.Errorf("displays[%s].elements[%d].%s: %w", name, index, key, ErrNotEditable)
		if v.Kind != yaml.ScalarNode || v.Alias != nil || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || key == "kind" {
			return Change{}, notEditable
		}
		start, err := offset(data, v.Line, v.Column)
		if err != nil {
			return Change{}, err
		}
		n := scalarExtent(data[start:], flow)
		// A plain scalar folded over lines, or one this reading got wrong,
		// is left to the engineer.
		var back string
		if err := yaml.Unmarshal(append([]byte("v: "), data[start:start+n]...), &struct{ V *string }{&back}); err != nil || back != v.Value {
			return Change{}, notEditable
		}
		return change(data, start, start+n, text), nil
	}
	return addAfterKind(data, el, name, index, key, text)
}

// addAfterKind adds "key: text" to element el, after its kind.
func addAfterKind(data []byte, el *yaml.Node, name string, index int, key, text string) (Change, error) {
	kind := -1
	for i := 0; i+1 < len(el.Content); i += 2 {
		if el.Content[i].Value == "kind" {
			kind = i
		}
	}
	if kind < 0 {
		return Change{}, fmt.Errorf("displays[%s].elements[%d]: no kind", name, index)
	}
	kv := el.Content[kind+1]
	vstart, err := offset(data, kv.Line, kv.Column)
	if err != nil {
		return Change{}, err
	}
	vend := vstart + scalarLen(data[vstart:])
	if el.Style&yaml.FlowStyle != 0 {
		return change(data, vend, vend, ", "+key+": "+text), nil
	}
	// A block mapping: a new line at the kind's indentation.
	kk := el.Content[kind]
	at, nl := lineEnd(data, vend)
	return change(data, at, at, nl+string(bytes.Repeat([]byte{' '}, kk.Column-1))+key+": "+text), nil
}

// lineEnd returns the offset of the end of the line holding from (before
// its \r\n or \n) and the file's line break.
func lineEnd(data []byte, from int) (int, string) {
	eol := bytes.IndexByte(data[from:], '\n')
	if eol < 0 {
		eol = len(data) - from
	}
	at := from + eol
	if at > 0 && at > from && data[at-1] == '\r' {
		return at - 1, "\r\n"
	}
	if bytes.Contains(data, []byte("\r\n")) {
		return at, "\r\n"
	}
	return at, "\n"
}

// AddElement appends element text (a flow mapping, NewElement) to the end
// of display name's elements list, as a new line after the last element at
// its indentation; every other byte is kept. A display whose elements are
// written as a flow list, or that has none, is not edited
// (ErrNotEditable).
func AddElement(data []byte, name, text string) (Change, error) {
	d, err := findDisplay(data, name)
	if err != nil {
		return Change{}, err
	}
	var els *yaml.Node
	for j := 0; j+1 < len(d.Content); j += 2 {
		if d.Content[j].Value == "elements" {
			els = d.Content[j+1]
		}
	}
	if els == nil || els.Kind != yaml.SequenceNode || els.Style&yaml.FlowStyle != 0 || len(els.Content) == 0 {
		return Change{}, fmt.Errorf("displays[%s].elements: %w", name, ErrNotEditable)
	}
	last := els.Content[len(els.Content)-1]
	start, err := offset(data, last.Line, last.Column)
	if err != nil {
		return Change{}, err
	}
	// The dash of the last item, and the indentation before it.
	ls := bytes.LastIndexByte(data[:start], '\n') + 1
	dash := bytes.IndexByte(data[ls:start], '-')
	if dash < 0 || len(bytes.TrimLeft(data[ls:ls+dash], " ")) != 0 {
		return Change{}, fmt.Errorf("displays[%s].elements: %w", name, ErrNotEditable)
	}
	// The item goes on to the last line indented deeper than its dash;
	// blank lines and comments at the dash's column or left of it belong to
	// what follows.
	end, nl := lineEnd(data, start)
	for next := end; next < len(data); {
		i := bytes.IndexByte(data[next:], '\n')
		if i < 0 {
			break
		}
		line := data[next+i+1:]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		body := bytes.TrimLeft(bytes.TrimRight(line, "\r"), " ")
		indent := len(line) - len(bytes.TrimLeft(line, " "))
		next += i + 1
		if len(body) == 0 {
			continue
		}
		if indent <= dash {
			break
		}
		end, _ = lineEnd(data, next)
	}
	return change(data, end, end, nl+string(data[ls:ls+dash])+"- "+text), nil
}

// NewElement is the text of a new element: a flow mapping of its kind, at,
// size and fields in the order given (pairs of key and value). A kind
// without a box (pipe, duct) gets points instead of at and size: a
// straight line from at to at+size. A list of tags (a trend's tags) is
// written as a flow list of the one tag given.
func NewElement(kind string, at Point, size Size, fields ...string) string {
	var b strings.Builder
	b.WriteString("{kind: " + kind)
	k, known := kindNamed(kind)
	if known && specs[k].size == (Size{}) {
		b.WriteString(", points: [[" + num(at.X) + ", " + num(at.Y) + "], [" + num(at.X+size.W) + ", " + num(at.Y+size.H) + "]]")
	} else {
		b.WriteString(", at: [" + num(at.X) + ", " + num(at.Y) + "], size: [" + num(size.W) + ", " + num(size.H) + "]")
	}
	for i := 0; i+1 < len(fields); i += 2 {
		v := scalarText(fields[i+1])
		if known && specs[k].fieldType(fields[i]) == fTagList {
			v = "[" + v + "]"
		}
		b.WriteString(", " + fields[i] + ": " + v)
	}
	b.WriteString("}")
	return b.String()
}

// Values returns the scalar fields of element index of display name as
// written (a tag's name, a text, "true"), by key; lists and mappings are
// left out.
func Values(data []byte, name string, index int) (map[string]string, error) {
	el, err := findElement(data, name, index)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for i := 0; i+1 < len(el.Content); i += 2 {
		if v := el.Content[i+1]; v.Kind == yaml.ScalarNode {
			out[el.Content[i].Value] = v.Value
		}
	}
	return out, nil
}

// plainRE is a value written without quotes: it reads back as itself in a
// flow mapping or a block one.
var plainRE = regexp.MustCompile(`^[A-Za-z0-9_./][A-Za-z0-9_./ -]*$`)

// scalarText writes value as a YAML scalar.
func scalarText(value string) string {
	if plainRE.MatchString(value) && !strings.HasSuffix(value, " ") && !strings.Contains(value, " #") {
		var back string
		if yaml.Unmarshal([]byte("v: "+value), &struct{ V *string }{&back}) == nil && back == value {
			return value
		}
	}
	return strconv.Quote(value)
}

// scalarExtent is the length of the scalar at the start of b: a quoted one
// to its closing quote, a plain one to the end of its value (a comment,
// the line's end, or in a flow mapping a , or }), trailing spaces left out.
func scalarExtent(b []byte, flow bool) int {
	if len(b) > 0 && (b[0] == '"' || b[0] == '\'') {
		for i := 1; i < len(b); i++ {
			switch {
			case b[0] == '"' && b[i] == '\\':
				i++
			case b[i] == b[0] && b[0] == '\'' && i+1 < len(b) && b[i+1] == '\'':
				i++
			case b[i] == b[0]:
				return i + 1
			}
		}
		return len(b)
	}
	i := 0
	for i < len(b) && b[i] != '\n' && b[i] != '\r' && !(flow && (b[i] == ',' || b[i] == '}' || b[i] == ']')) && !(b[i] == '#' && i > 0 && b[i-1] == ' ') {
		i++
	}
	for i > 0 && (b[i-1] == ' ' || b[i-1] == '\t') {
		i--
	}
	return i
}

// change is the Change replacing data[from:to] by text.
func change(data []byte, from, to int, text string) Change {
	return Change{Offset: from, Old: string(data[from:to]), New: text}
}

// findElement returns the mapping node of element index of display name.
func findElement(data []byte, name string, index int) (*yaml.Node, error) {
	d, err := findDisplay(data, name)
	if err != nil {
		return nil, err
	}
	for j := 0; j+1 < len(d.Content); j += 2 {
		if d.Content[j].Value == "elements" && d.Content[j+1].Kind == yaml.SequenceNode {
			els := d.Content[j+1].Content
			if index < 0 || index >= len(els) || els[index].Kind != yaml.MappingNode {
				return nil, fmt.Errorf("displays[%s] has no element %d", name, index)
			}
			return els[index], nil
		}
	}
	return nil, fmt.Errorf("displays[%s] has no elements", name)
}

// findDisplay returns the mapping node of display name.
func findDisplay(data []byte, name string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a mapping")
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "displays" || root.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for _, d := range root.Content[i+1].Content {
			if d.Kind == yaml.MappingNode && valueOf(d, "name") == name {
				return d, nil
			}
		}
	}
	return nil, fmt.Errorf("no display %q in this file", name)
}

func valueOf(m *yaml.Node, key string) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1].Value
		}
	}
	return ""
}

// offset turns a node's 1-based line and column (in characters) into a
// byte offset.
func offset(data []byte, line, col int) (int, error) {
	o := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[o:], '\n')
		if i < 0 {
			return 0, fmt.Errorf("line %d is beyond the file", line)
		}
		o += i + 1
	}
	for c := 1; c < col && o < len(data); c++ {
		_, w := utf8.DecodeRune(data[o:])
		o += w
	}
	return o, nil
}

// scalarLen is the length of the plain or quoted scalar at the start of b.
func scalarLen(b []byte) int {
	if len(b) > 0 && (b[0] == '"' || b[0] == '\'') {
		if i := bytes.IndexByte(b[1:], b[0]); i >= 0 {
			return i + 2
		}
	}
	i := 0
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != '\n' && b[i] != '\r' && b[i] != ' ' && b[i] != '#' {
		i++
	}
	return i
}

func splice(data []byte, from, to int, text string) []byte {
	out := make([]byte, 0, len(data)-(to-from)+len(text))
	out = append(out, data[:from]...)
	out = append(out, text...)
	return append(out, data[to:]...)
}

// num writes a coordinate as short as it reads back.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
