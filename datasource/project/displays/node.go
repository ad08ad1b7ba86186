package displays

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file reads YAML nodes into values and reports what is wrong with
// them in the loader's words ("must be a number, got \"abc\"").

// deref follows aliases (*name) to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// what names a node's kind for messages: "a list", "a mapping", "\"abc\"".
func what(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return fmt.Sprintf("a list of %d", len(n.Content))
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return "nothing"
	case n.Kind == yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "an unsupported YAML node"
}

// fields is a mapping node's values and key nodes by key.
type fields struct {
	node *yaml.Node
	vals map[string]*yaml.Node
	keys map[string]*yaml.Node
}

func (f *fields) get(k string) *yaml.Node { return f.vals[k] }

// where is where a problem is: the file and the field path of a node.
type where struct {
	file string
	path string
}

func (w where) at(key string) where {
	if w.path == "" {
		return where{w.file, key}
	}
	return where{w.file, w.path + "." + key}
}

func (w where) item(i int) where { return where{w.file, w.path + "[" + strconv.Itoa(i) + "]"} }

// reporter records a problem at a node.
type reporter interface {
	report(w where, n *yaml.Node, format string, args ...any)
}

// readFields checks that n is a mapping whose keys are among allowed and
// appear once; unknown and repeated keys are reported and left out.
func readFields(r reporter, w where, n *yaml.Node, allowed []string) *fields {
	m := deref(n)
	if m == nil || m.Kind != yaml.MappingNode {
		r.report(w, n, "must be a mapping of fields, got %s", what(n))
		return nil
	}
	f := &fields{node: m, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			r.report(w, m.Content[i], "field names must be plain words")
			continue
		}
		switch {
		case k.ShortTag() == "!!merge":
			r.report(w.at(k.Value), k, "merge keys (<<) are not supported; write the fields out")
		case f.keys[k.Value] != nil:
			r.report(w.at(k.Value), k, "given twice (first at line %d)", f.keys[k.Value].Line)
		case !has(allowed, k.Value):
			r.report(w.at(k.Value), k, "unknown field; allowed here: %s", strings.Join(allowed, ", "))
		default:
			f.vals[k.Value], f.keys[k.Value] = m.Content[i+1], k
		}
	}
	return f
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// list returns the items of a list node; null is the empty list.
func list(r reporter, w where, n *yaml.Node) []*yaml.Node {
	m := deref(n)
	if m == nil || (m.Kind == yaml.ScalarNode && m.ShortTag() == "!!null") {
		return nil
	}
	if m.Kind != yaml.SequenceNode {
		r.report(w, n, "must be a list, got %s", what(n))
		return nil
	}
	return m.Content
}

// text reads a string scalar; numbers and booleans are taken as written.
func text(r reporter, w where, n *yaml.Node) (string, bool) {
	m := deref(n)
	if m == nil || m.Kind != yaml.ScalarNode {
		r.report(w, n, "must be a string, got %s", what(n))
		return "", false
	}
	if m.ShortTag() == "!!null" {
		return "", true
	}
	return m.Value, true
}

// number reads a finite number.
func number(r reporter, w where, n *yaml.Node) (float64, bool) {
	m := deref(n)
	var v float64
	if m == nil || m.Kind != yaml.ScalarNode || (m.ShortTag() != "!!int" && m.ShortTag() != "!!float") || m.Decode(&v) != nil {
		r.report(w, n, "must be a number, got %s", what(n))
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.report(w, n, "must be a finite number, got %s", m.Value)
		return 0, false
	}
	return v, true
}

// boolean reads true or false.
func boolean(r reporter, w where, n *yaml.Node) (bool, bool) {
	m := deref(n)
	var v bool
	if m == nil || m.Kind != yaml.ScalarNode || m.ShortTag() != "!!bool" || m.Decode(&v) != nil {
		r.report(w, n, "must be true or false, got %s", what(n))
		return false, false
	}
	return v, true
}

// pair reads [a, b]; hint names the two for messages ("[x, y]").
func pair(r reporter, w where, n *yaml.Node, hint string) ([2]float64, bool) {
	m := deref(n)
	if m == nil || m.Kind != yaml.SequenceNode || len(m.Content) != 2 {
		r.report(w, n, "must be a list of two numbers %s, got %s", hint, what(n))
		return [2]float64{}, false
	}
	a, ok1 := number(r, w.item(0), m.Content[0])
	b, ok2 := number(r, w.item(1), m.Content[1])
	return [2]float64{a, b}, ok1 && ok2
}
