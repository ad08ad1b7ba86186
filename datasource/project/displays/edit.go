package displays

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
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

// SetPair sets the [a, b] value of key (at or size) of element index of
// display name in data, a project file or display file, and returns the new
// text. An absent key is added to the element.
func SetPair(data []byte, name string, index int, key string, a, b float64) ([]byte, error) {
	el, err := findElement(data, name, index)
	if err != nil {
		return nil, err
	}
	text := "[" + num(a) + ", " + num(b) + "]"
	for i := 0; i+1 < len(el.Content); i += 2 {
		if el.Content[i].Value != key {
			continue
		}
		v := el.Content[i+1]
		if v.Kind != yaml.SequenceNode || v.Style&yaml.FlowStyle == 0 || v.Alias != nil {
			return nil, fmt.Errorf("displays[%s].elements[%d].%s: %w", name, index, key, ErrNotEditable)
		}
		start, err := offset(data, v.Line, v.Column)
		if err != nil {
			return nil, err
		}
		end := bytes.IndexByte(data[start:], ']')
		if end < 0 {
			return nil, fmt.Errorf("displays[%s].elements[%d].%s: no closing ]", name, index, key)
		}
		return splice(data, start, start+end+1, text), nil
	}
	// The key is absent: add it after the kind.
	kind := -1
	for i := 0; i+1 < len(el.Content); i += 2 {
		if el.Content[i].Value == "kind" {
			kind = i
		}
	}
	if kind < 0 {
		return nil, fmt.Errorf("displays[%s].elements[%d]: no kind", name, index)
	}
	kv := el.Content[kind+1]
	vstart, err := offset(data, kv.Line, kv.Column)
	if err != nil {
		return nil, err
	}
	vend := vstart + scalarLen(data[vstart:])
	if el.Style&yaml.FlowStyle != 0 {
		return splice(data, vend, vend, ", "+key+": "+text), nil
	}
	// A block mapping: a new line at the kind's indentation.
	kk := el.Content[kind]
	eol := bytes.IndexByte(data[vend:], '\n')
	if eol < 0 {
		eol = len(data) - vend
	}
	at := vend + eol
	nl := "\n"
	if at > 0 && data[at-1] == '\r' {
		at--
		nl = "\r\n"
	}
	return splice(data, at, at, nl+string(bytes.Repeat([]byte{' '}, kk.Column-1))+key+": "+text), nil
}

// findElement returns the mapping node of element index of display name.
func findElement(data []byte, name string, index int) (*yaml.Node, error) {
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
			if d.Kind != yaml.MappingNode || valueOf(d, "name") != name {
				continue
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
