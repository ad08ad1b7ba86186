package project

import (
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

// parser walks the YAML node tree of one file and collects every problem.
type parser struct {
	faults    []faultRef // sim fault tags, checked once all tags are known
	mqtt      map[*datasource.Device]*MQTTSettings
	file      string
	dir       string // directory of file, for relative paths in the project
	errs      Errors
	truncated bool // more than maxErrors problems; the rest were dropped

	lookupEnv func(string) (string, bool)
	readFile  func(string) ([]byte, error)
	shifts    []time.Duration // the project's shifts, for reset: shift
	fsys      fs.FS           // where display files are read; nil: the disk under dir
}

// errorf records a problem at node n (its line; line 1 when n is nil).
func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	p.errorAt(line, field, fmt.Sprintf(format, args...))
}

// errorAt records a problem at a line.
func (p *parser) errorAt(line int, field, msg string) {
	if len(p.errs) >= maxErrors {
		p.truncated = true
		return
	}
	p.errs = append(p.errs, &Error{Pos: datasource.Pos{File: p.file, Line: line}, Field: field, Msg: msg})
}

// pos returns the file position of node n.
func (p *parser) pos(n *yaml.Node) datasource.Pos {
	return datasource.Pos{File: p.file, Line: n.Line}
}

// join appends a field name to a path: join("tags[A]", "units").
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index names the i-th item of a list: "scan_classes[0]".
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// resolve follows aliases (*name) to the node they refer to.
func resolve(n *yaml.Node) *yaml.Node {
	// The YAML library refuses anchors that contain themselves; the bound
	// only guards against a cycle it might let through.
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// describe names the kind of a node for messages: "a list", "a mapping".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "an unsupported YAML node"
}

// mapping is one YAML mapping checked against the keys its section allows.
type mapping struct {
	node *yaml.Node
	path string
	vals map[string]*yaml.Node
	keys map[string]*yaml.Node
}

// mapping checks that n is a mapping whose keys are all in allowed and
// appear once, and returns it; it returns nil (after recording why) when n
// is not a mapping. Unknown keys are recorded and then ignored.
func (p *parser) mapping(n *yaml.Node, path string, allowed ...string) *mapping {
	r := resolve(n)
	if r == nil || r.Kind != yaml.MappingNode {
		what := "nothing"
		if r != nil {
			what = describe(r)
		}
		p.errorf(n, path, "must be a mapping of fields, got %s", what)
		return nil
	}
	m := &mapping{node: r, path: path, vals: make(map[string]*yaml.Node, len(r.Content)/2), keys: make(map[string]*yaml.Node, len(r.Content)/2)}
	seen := make(map[string]*yaml.Node, len(r.Content)/2)
	for i := 0; i+1 < len(r.Content); i += 2 {
		k, v := resolve(r.Content[i]), r.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			p.errorf(r.Content[i], path, "field names must be plain words")
			continue
		}
		if k.ShortTag() == "!!merge" {
			p.errorf(k, join(path, k.Value), "merge keys (<<) are not supported; write the fields out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorf(k, join(path, k.Value), "given twice (first at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		if !contains(allowed, k.Value) {
			p.errorf(k, join(path, k.Value), "unknown field; allowed here: %s", strings.Join(allowed, ", "))
			continue
		}
		m.vals[k.Value] = v
		m.keys[k.Value] = k
	}
	return m
}

// get returns the value node of key, or nil when the key is absent.
func (m *mapping) get(key string) *yaml.Node { return m.vals[key] }

// key returns the key node of key (for the line of a section), or nil.
func (m *mapping) key(key string) *yaml.Node { return m.keys[key] }

// has reports whether key was given.
func (m *mapping) has(key string) bool { return m.vals[key] != nil }

// field returns the path of key.
func (m *mapping) field(key string) string { return join(m.path, key) }

// sequence checks that n is a list and returns its items; a null value (the
// key given with nothing after it) is an empty list.
func (p *parser) sequence(n *yaml.Node, field string) []*yaml.Node {
	r := resolve(n)
	if r == nil || (r.Kind == yaml.ScalarNode && r.ShortTag() == "!!null") {
		return nil
	}
	if r.Kind != yaml.SequenceNode {
		p.errorf(n, field, "must be a list, got %s", describe(r))
		return nil
	}
	return r.Content
}

// scalar returns the scalar node of n, recording an error when n is a list
// or mapping.
func (p *parser) scalar(n *yaml.Node, field, want string) (*yaml.Node, bool) {
	r := resolve(n)
	if r == nil || r.Kind != yaml.ScalarNode {
		what := "nothing"
		if r != nil {
			what = describe(r)
		}
		p.errorf(n, field, "must be %s, got %s", want, what)
		return nil, false
	}
	return r, true
}

// isNull reports whether n is an explicit null (~, null or nothing).
func isNull(n *yaml.Node) bool {
	r := resolve(n)
	return r != nil && r.Kind == yaml.ScalarNode && r.ShortTag() == "!!null"
}

// str reads a string. A null is the empty string; numbers and booleans are
// taken as written (a description of 42 is "42").
func (p *parser) str(n *yaml.Node, field string) (string, bool) {
	r, ok := p.scalar(n, field, "a string")
	if !ok {
		return "", false
	}
	if r.ShortTag() == "!!null" {
		return "", true
	}
	return r.Value, true
}

// integer reads an integer in [lo, hi].
func (p *parser) integer(n *yaml.Node, field string, lo, hi int64) (int64, bool) {
	r, ok := p.scalar(n, field, "an integer")
	if !ok {
		return 0, false
	}
	var v int64
	if r.ShortTag() != "!!int" || r.Decode(&v) != nil {
		p.errorf(n, field, "must be an integer, got %s", describe(r))
		return 0, false
	}
	if v < lo || v > hi {
		p.errorf(n, field, "must be %s, got %d", rangeText(lo, hi), v)
		return 0, false
	}
	return v, true
}

// rangeText renders an integer range for messages.
func rangeText(lo, hi int64) string {
	switch {
	case hi == math.MaxInt64 || hi == math.MaxInt32:
		return fmt.Sprintf(">= %d", lo)
	default:
		return fmt.Sprintf("%d..%d", lo, hi)
	}
}

// number reads a finite number (integer or decimal).
func (p *parser) number(n *yaml.Node, field string) (float64, bool) {
	r, ok := p.scalar(n, field, "a number")
	if !ok {
		return 0, false
	}
	var v float64
	tag := r.ShortTag()
	if (tag != "!!int" && tag != "!!float") || r.Decode(&v) != nil {
		p.errorf(n, field, "must be a number, got %s", describe(r))
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		p.errorf(n, field, "must be a finite number, got %s", r.Value)
		return 0, false
	}
	return v, true
}

// nonNegative reads a number >= 0.
func (p *parser) nonNegative(n *yaml.Node, field string) (float64, bool) {
	v, ok := p.number(n, field)
	if ok && v < 0 {
		p.errorf(n, field, "must be >= 0, got %g", v)
		return 0, false
	}
	return v, ok
}

// boolean reads true or false.
func (p *parser) boolean(n *yaml.Node, field string) (bool, bool) {
	r, ok := p.scalar(n, field, "true or false")
	if !ok {
		return false, false
	}
	var v bool
	if r.ShortTag() != "!!bool" || r.Decode(&v) != nil {
		p.errorf(n, field, "must be true or false, got %s", describe(r))
		return false, false
	}
	return v, true
}

// duration reads a Go duration ("250ms", "5s", "1h30m"); a bare 0 is zero.
// positive requires > 0, otherwise >= 0 is required.
func (p *parser) duration(n *yaml.Node, field string, positive bool) (time.Duration, bool) {
	r, ok := p.scalar(n, field, "a duration")
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(r.Value)
	if err != nil || r.ShortTag() == "!!null" {
		p.errorf(n, field, "must be a duration such as 250ms, 5s or 10m, got %s", describe(r))
		return 0, false
	}
	switch {
	case positive && d <= 0:
		p.errorf(n, field, "must be > 0, got %s", r.Value)
		return 0, false
	case d < 0:
		p.errorf(n, field, "must be >= 0, got %s", r.Value)
		return 0, false
	}
	return d, true
}

// enum reads one of the allowed words.
func (p *parser) enum(n *yaml.Node, field string, allowed ...string) (string, bool) {
	r, ok := p.scalar(n, field, "one of "+strings.Join(allowed, ", "))
	if !ok {
		return "", false
	}
	if !contains(allowed, r.Value) || r.ShortTag() == "!!null" {
		p.errorf(n, field, "must be one of %s, got %s", strings.Join(allowed, ", "), describe(r))
		return "", false
	}
	return r.Value, true
}

// pair reads a two-number list [lo, hi].
func (p *parser) pair(n *yaml.Node, field string) ([2]float64, bool) {
	r := resolve(n)
	if r == nil || r.Kind != yaml.SequenceNode || len(r.Content) != 2 {
		what := "nothing"
		if r != nil {
			what = describe(r)
			if r.Kind == yaml.SequenceNode {
				what = fmt.Sprintf("a list of %d", len(r.Content))
			}
		}
		p.errorf(n, field, "must be a list of two numbers [low, high], got %s", what)
		return [2]float64{}, false
	}
	a, ok1 := p.number(r.Content[0], index(field, 0))
	b, ok2 := p.number(r.Content[1], index(field, 1))
	return [2]float64{a, b}, ok1 && ok2
}

var (
	deviceNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	tagNameRE    = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// name reads a required name matching re; what describes the allowed
// characters for the message.
func (p *parser) name(n *yaml.Node, field string, re *regexp.Regexp, what string) (string, bool) {
	s, ok := p.str(n, field)
	if !ok {
		return "", false
	}
	if s == "" {
		p.errorf(n, field, "must not be empty")
		return "", false
	}
	if !re.MatchString(s) {
		p.errorf(n, field, "%q may only contain %s", s, what)
		return "", false
	}
	return s, true
}

// itemPath names the i-th item of list: "list[NAME]" when the item has a
// valid name, else "list[i]".
func itemPath(list string, i int, item *yaml.Node, re *regexp.Regexp) string {
	r := resolve(item)
	if r != nil && r.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(r.Content); j += 2 {
			k, v := resolve(r.Content[j]), resolve(r.Content[j+1])
			if k != nil && k.Value == "name" && v != nil && v.Kind == yaml.ScalarNode && re.MatchString(v.Value) {
				return list + "[" + v.Value + "]"
			}
		}
	}
	return index(list, i)
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
