package project

import (
	"fmt"
	"io/fs"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/yamlfield"
)

// parser walks the YAML node tree of one file and collects every problem.
type parser struct {
	rd        *yamlfield.Reader // made by reader
	file      string
	dir       string // directory of file, for relative paths in the project
	errs      Errors
	truncated bool // more than maxErrors problems; the rest were dropped

	lookupEnv func(string) (string, bool)
	readFile  func(string) ([]byte, error)
	shifts    []time.Duration // the project's shifts, for reset: shift
	fsys      fs.FS           // where display files are read; nil: the disk under dir
}

// reader returns the field reader of p's file, made on first use: it
// reports through errorAt, so the problems it finds count against
// maxErrors like every other. The helpers below forward to it; the driver
// schemas (datasource/drivers) use it directly.
func (p *parser) reader() *yamlfield.Reader {
	if p.rd == nil {
		p.rd = &yamlfield.Reader{File: p.file, Dir: p.dir, Report: p.errorAt, LookupEnv: p.lookupEnv, ReadFile: p.readFile}
	}
	return p.rd
}

// errorf records a problem at node n (its line; line 1 when n is nil).
func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	p.reader().Errorf(n, field, format, args...)
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
func (p *parser) pos(n *yaml.Node) datasource.Pos { return p.reader().Pos(n) }

// join appends a field name to a path: join("tags[A]", "units").
func join(path, key string) string { return yamlfield.Join(path, key) }

// index names the i-th item of a list: "scan_classes[0]".
func index(path string, i int) string { return yamlfield.Index(path, i) }

// resolve follows aliases (*name) to the node they refer to.
func resolve(n *yaml.Node) *yaml.Node { return yamlfield.Resolve(n) }

// describe names the kind of a node for messages: "a list", "a mapping".
func describe(n *yaml.Node) string { return yamlfield.Describe(n) }

// orNode returns n, or def when n is nil (for the line of a missing field).
func orNode(n, def *yaml.Node) *yaml.Node { return yamlfield.OrNode(n, def) }

// mapping is one YAML mapping checked against the keys its section allows
// (yamlfield.Mapping, with the short names this package's code uses).
type mapping struct {
	yamlfield.Mapping
	node *yaml.Node
	path string
}

// mapping checks that n is a mapping whose keys are all in allowed and
// appear once, and returns it; it returns nil (after recording why) when n
// is not a mapping. Unknown keys are recorded and then ignored.
func (p *parser) mapping(n *yaml.Node, path string, allowed ...string) *mapping {
	m := new(mapping)
	if !p.reader().ReadMapping(&m.Mapping, n, path, allowed...) {
		return nil
	}
	m.node, m.path = m.Node, m.Path
	return m
}

// get returns the value node of key, or nil when the key is absent.
func (m *mapping) get(key string) *yaml.Node { return m.Get(key) }

// key returns the key node of key (for the line of a section), or nil.
func (m *mapping) key(key string) *yaml.Node { return m.Key(key) }

// has reports whether key was given.
func (m *mapping) has(key string) bool { return m.Has(key) }

// field returns the path of key.
func (m *mapping) field(key string) string { return m.Field(key) }

// sequence checks that n is a list and returns its items; a null value (the
// key given with nothing after it) is an empty list.
func (p *parser) sequence(n *yaml.Node, field string) []*yaml.Node {
	return p.reader().Sequence(n, field)
}

// isNull reports whether n is an explicit null (~, null or nothing).
func isNull(n *yaml.Node) bool {
	r := resolve(n)
	return r != nil && r.Kind == yaml.ScalarNode && r.ShortTag() == "!!null"
}

// str reads a string (yamlfield.Reader.Str).
func (p *parser) str(n *yaml.Node, field string) (string, bool) { return p.reader().Str(n, field) }

// integer reads an integer in [lo, hi].
func (p *parser) integer(n *yaml.Node, field string, lo, hi int64) (int64, bool) {
	return p.reader().Integer(n, field, lo, hi)
}

// number reads a finite number (integer or decimal).
func (p *parser) number(n *yaml.Node, field string) (float64, bool) {
	return p.reader().Number(n, field)
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
	return p.reader().Boolean(n, field)
}

// duration reads a Go duration; positive requires > 0, otherwise >= 0.
func (p *parser) duration(n *yaml.Node, field string, positive bool) (time.Duration, bool) {
	return p.reader().Duration(n, field, positive)
}

// enum reads one of the allowed words.
func (p *parser) enum(n *yaml.Node, field string, allowed ...string) (string, bool) {
	return p.reader().Enum(n, field, allowed...)
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

// The names of a project: devices, scan classes and roles take letters,
// digits, _ and -; tags and users . too; alarms single spaces between words
// as well.
var (
	deviceNameRE = nameRule{extra: "_-"}
	tagNameRE    = nameRule{extra: "_.-"}
	alarmNameRE  = nameRule{extra: "_.-", words: true}
)

// nameRule is the characters a name may hold: ASCII letters, digits and
// the punctuation in extra, and with words single spaces between words.
// A loop rather than a regexp: it runs for every tag and alarm of a
// project, and the regexps were 4 % of vigil check's CPU at 100,000 tags.
type nameRule struct {
	extra string
	words bool
}

// MatchString reports whether s is a valid name: not empty, and every
// character allowed.
func (r nameRule) MatchString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == ' ':
			if !r.words || i == 0 || i == len(s)-1 || s[i-1] == ' ' {
				return false
			}
		case strings.IndexByte(r.extra, c) < 0:
			return false
		}
	}
	return true
}

// name reads a required name matching re; what describes the allowed
// characters for the message.
func (p *parser) name(n *yaml.Node, field string, re nameRule, what string) (string, bool) {
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
func itemPath(list string, i int, item *yaml.Node, re nameRule) string {
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

// scalar returns the scalar node of n, recording an error when n is a list
// or mapping.
func (p *parser) scalar(n *yaml.Node, field, want string) (*yaml.Node, bool) {
	return p.reader().Scalar(n, field, want)
}
