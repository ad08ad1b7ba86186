package yamlfield

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

// Reader reads the fields of one file and reports each problem through
// Report. The project loader makes one per file; a driver's schema gets it
// with the device it reads.
type Reader struct {
	File string // named in positions (Pos)
	Dir  string // the base of relative paths: the directory of File
	// Report records one problem at a line: field is its path, msg the
	// message. The loader collects, bounds and sorts them.
	Report func(line int, field, msg string)
	// LookupEnv and ReadFile resolve secrets (env:NAME, file:PATH).
	LookupEnv func(string) (string, bool)
	ReadFile  func(string) ([]byte, error)

	afterTags []func(Tags)
}

// Tags looks a tag of the project up by name, once every tag is known.
type Tags func(name string) (*datasource.Tag, bool)

// AfterTags defers a check that needs the project's tags (a sim fault names
// one): the loader runs every deferred check once it has linked them.
func (r *Reader) AfterTags(check func(Tags)) { r.afterTags = append(r.afterTags, check) }

// RunAfterTags runs the checks deferred with AfterTags, in order.
func (r *Reader) RunAfterTags(tags Tags) {
	for _, c := range r.afterTags {
		c(tags)
	}
}

// Errorf records a problem at node n (its line; line 1 when n is nil).
func (r *Reader) Errorf(n *yaml.Node, field, format string, args ...any) {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	r.Report(line, field, fmt.Sprintf(format, args...))
}

// Pos returns the file position of node n.
func (r *Reader) Pos(n *yaml.Node) datasource.Pos {
	return datasource.Pos{File: r.File, Line: n.Line}
}

// Relative makes a path in the file relative to its directory, so a
// project works whatever the current directory.
func (r *Reader) Relative(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(r.Dir, path)
}

// Join appends a field name to a path: Join("tags[A]", "units").
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index names the i-th item of a list: "scan_classes[0]".
func Index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// OrNode returns n, or def when n is nil (for the line of a missing field).
func OrNode(n, def *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return def
}

// Resolve follows aliases (*name) to the node they refer to.
func Resolve(n *yaml.Node) *yaml.Node {
	// The YAML library refuses anchors that contain themselves; the bound
	// only guards against a cycle it might let through.
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// Describe names the kind of a node for messages: "a list", "a mapping".
func Describe(n *yaml.Node) string {
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

// Mapping is one YAML mapping checked against the keys its section allows.
type Mapping struct {
	Node *yaml.Node // the mapping, aliases resolved
	Path string     // its field path
	vals map[string]*yaml.Node
	keys map[string]*yaml.Node
}

// Mapping checks that n is a mapping whose keys are all in allowed and
// appear once, and returns it; it returns nil (after recording why) when n
// is not a mapping. Unknown keys are recorded and then ignored.
func (r *Reader) Mapping(n *yaml.Node, path string, allowed ...string) *Mapping {
	m := new(Mapping)
	if !r.ReadMapping(m, n, path, allowed...) {
		return nil
	}
	return m
}

// ReadMapping is Mapping into m, for a caller that keeps the Mapping
// inside a type of its own (the project loader's, one per tag) without a
// second allocation. It reports whether n is a mapping.
func (r *Reader) ReadMapping(m *Mapping, n *yaml.Node, path string, allowed ...string) bool {
	res := Resolve(n)
	if res == nil || res.Kind != yaml.MappingNode {
		what := "nothing"
		if res != nil {
			what = Describe(res)
		}
		r.Errorf(n, path, "must be a mapping of fields, got %s", what)
		return false
	}
	*m = Mapping{Node: res, Path: path, vals: make(map[string]*yaml.Node, len(res.Content)/2), keys: make(map[string]*yaml.Node, len(res.Content)/2)}
	seen := make(map[string]*yaml.Node, len(res.Content)/2)
	for i := 0; i+1 < len(res.Content); i += 2 {
		k, v := Resolve(res.Content[i]), res.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			r.Errorf(res.Content[i], path, "field names must be plain words")
			continue
		}
		if k.ShortTag() == "!!merge" {
			r.Errorf(k, Join(path, k.Value), "merge keys (<<) are not supported; write the fields out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			r.Errorf(k, Join(path, k.Value), "given twice (first at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		if !contains(allowed, k.Value) {
			r.Errorf(k, Join(path, k.Value), "unknown field; allowed here: %s", strings.Join(allowed, ", "))
			continue
		}
		m.vals[k.Value] = v
		m.keys[k.Value] = k
	}
	return true
}

// Get returns the value node of key, or nil when the key is absent.
func (m *Mapping) Get(key string) *yaml.Node { return m.vals[key] }

// Key returns the key node of key (for the line of a section), or nil.
func (m *Mapping) Key(key string) *yaml.Node { return m.keys[key] }

// Has reports whether key was given.
func (m *Mapping) Has(key string) bool { return m.vals[key] != nil }

// Field returns the path of key.
func (m *Mapping) Field(key string) string { return Join(m.Path, key) }

// Sequence checks that n is a list and returns its items; a null value (the
// key given with nothing after it) is an empty list.
func (r *Reader) Sequence(n *yaml.Node, field string) []*yaml.Node {
	res := Resolve(n)
	if res == nil || (res.Kind == yaml.ScalarNode && res.ShortTag() == "!!null") {
		return nil
	}
	if res.Kind != yaml.SequenceNode {
		r.Errorf(n, field, "must be a list, got %s", Describe(res))
		return nil
	}
	return res.Content
}

// Scalar returns the scalar node of n, recording an error when n is a list
// or mapping.
func (r *Reader) Scalar(n *yaml.Node, field, want string) (*yaml.Node, bool) {
	res := Resolve(n)
	if res == nil || res.Kind != yaml.ScalarNode {
		what := "nothing"
		if res != nil {
			what = Describe(res)
		}
		r.Errorf(n, field, "must be %s, got %s", want, what)
		return nil, false
	}
	return res, true
}

// Str reads a string. A null is the empty string; numbers and booleans are
// taken as written (a description of 42 is "42").
func (r *Reader) Str(n *yaml.Node, field string) (string, bool) {
	res, ok := r.Scalar(n, field, "a string")
	if !ok {
		return "", false
	}
	if res.ShortTag() == "!!null" {
		return "", true
	}
	return res.Value, true
}

// Integer reads an integer in [lo, hi].
func (r *Reader) Integer(n *yaml.Node, field string, lo, hi int64) (int64, bool) {
	res, ok := r.Scalar(n, field, "an integer")
	if !ok {
		return 0, false
	}
	var v int64
	if res.ShortTag() != "!!int" || res.Decode(&v) != nil {
		r.Errorf(n, field, "must be an integer, got %s", Describe(res))
		return 0, false
	}
	if v < lo || v > hi {
		r.Errorf(n, field, "must be %s, got %d", rangeText(lo, hi), v)
		return 0, false
	}
	return v, true
}

// Int reads m's key, when given, as an integer in [lo, hi] into dst.
func (r *Reader) Int(m *Mapping, key string, lo, hi int64, dst *int) {
	if v := m.Get(key); v != nil {
		if x, ok := r.Integer(v, m.Field(key), lo, hi); ok {
			*dst = int(x)
		}
	}
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

// Number reads a finite number (integer or decimal).
func (r *Reader) Number(n *yaml.Node, field string) (float64, bool) {
	res, ok := r.Scalar(n, field, "a number")
	if !ok {
		return 0, false
	}
	var v float64
	tag := res.ShortTag()
	if (tag != "!!int" && tag != "!!float") || res.Decode(&v) != nil {
		r.Errorf(n, field, "must be a number, got %s", Describe(res))
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.Errorf(n, field, "must be a finite number, got %s", res.Value)
		return 0, false
	}
	return v, true
}

// Boolean reads true or false.
func (r *Reader) Boolean(n *yaml.Node, field string) (bool, bool) {
	res, ok := r.Scalar(n, field, "true or false")
	if !ok {
		return false, false
	}
	var v bool
	if res.ShortTag() != "!!bool" || res.Decode(&v) != nil {
		r.Errorf(n, field, "must be true or false, got %s", Describe(res))
		return false, false
	}
	return v, true
}

// Duration reads a Go duration ("250ms", "5s", "1h30m"); a bare 0 is zero.
// positive requires > 0, otherwise >= 0 is required.
func (r *Reader) Duration(n *yaml.Node, field string, positive bool) (time.Duration, bool) {
	res, ok := r.Scalar(n, field, "a duration")
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(res.Value)
	if err != nil || res.ShortTag() == "!!null" {
		r.Errorf(n, field, "must be a duration such as 250ms, 5s or 10m, got %s", Describe(res))
		return 0, false
	}
	switch {
	case positive && d <= 0:
		r.Errorf(n, field, "must be > 0, got %s", res.Value)
		return 0, false
	case d < 0:
		r.Errorf(n, field, "must be >= 0, got %s", res.Value)
		return 0, false
	}
	return d, true
}

// Enum reads one of the allowed words.
func (r *Reader) Enum(n *yaml.Node, field string, allowed ...string) (string, bool) {
	res, ok := r.Scalar(n, field, "one of "+strings.Join(allowed, ", "))
	if !ok {
		return "", false
	}
	if !contains(allowed, res.Value) || res.ShortTag() == "!!null" {
		r.Errorf(n, field, "must be one of %s, got %s", strings.Join(allowed, ", "), Describe(res))
		return "", false
	}
	return res.Value, true
}

// Secret reads a secret field: a plain value, "env:NAME" (the environment
// variable NAME) or "file:PATH" (the file's contents without the final line
// break; PATH relative to the file). The value never appears in a message.
func (r *Reader) Secret(n *yaml.Node, field string) (string, bool) {
	s, ok := r.Str(n, field)
	if !ok {
		return "", false
	}
	switch {
	case strings.HasPrefix(s, "env:"):
		name := strings.TrimPrefix(s, "env:")
		if name == "" {
			r.Errorf(n, field, "env: needs a variable name, e.g. env:VIGIL_OPCUA_PASSWORD")
			return "", false
		}
		v, ok := r.LookupEnv(name)
		if !ok {
			r.Errorf(n, field, "environment variable %s is not set", name)
			return "", false
		}
		return v, true
	case strings.HasPrefix(s, "file:"):
		path := strings.TrimPrefix(s, "file:")
		if path == "" {
			r.Errorf(n, field, "file: needs a path, e.g. file:secrets/opcua.txt")
			return "", false
		}
		full := r.Relative(path)
		data, err := r.ReadFile(full)
		if err != nil {
			// Only the path and the reason: an error of reading never holds
			// the contents, but say it plainly rather than pass err on.
			reason := "cannot read it"
			switch {
			case errors.Is(err, fs.ErrNotExist):
				reason = "no such file"
			case errors.Is(err, fs.ErrPermission):
				reason = "permission denied"
			}
			r.Errorf(n, field, "secret file %s: %s", full, reason)
			return "", false
		}
		return strings.TrimRight(string(data), "\r\n"), true
	}
	return s, true
}

// Credentials reads a section's username and password (a secret: plain,
// env: or file:) into user and pass.
func (r *Reader) Credentials(m *Mapping, user, pass *string) {
	if v := m.Get("username"); v != nil {
		*user, _ = r.Str(v, m.Field("username"))
	}
	if v := m.Get("password"); v != nil {
		*pass, _ = r.Secret(v, m.Field("password"))
		if *user == "" {
			r.Errorf(v, m.Field("password"), "given without a username")
		}
	}
}

// PathField is a file or directory field of a section and where it goes.
type PathField struct {
	Key string
	Dst *string
}

// Paths reads a section's file fields, relative to the file, and checks
// that cert_file and key_file come together.
func (r *Reader) Paths(m *Mapping, fields []PathField) {
	for _, f := range fields {
		if v := m.Get(f.Key); v != nil {
			if str, ok := r.Str(v, m.Field(f.Key)); ok {
				*f.Dst = r.Relative(str)
			}
		}
	}
	if (m.Get("cert_file") == nil) != (m.Get("key_file") == nil) {
		r.Errorf(OrNode(m.Get("cert_file"), m.Get("key_file")), m.Path, "cert_file and key_file go together: give both or neither")
	}
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
