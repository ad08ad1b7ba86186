package displays

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

// MaxFileSize is the largest display file Compile reads, like the project
// file's bound.
const MaxFileSize = 16 << 20

// MaxWindow bounds the time window of a sparkline or trend element.
const MaxWindow = 7 * 24 * time.Hour

// Input is what Compile reads.
type Input struct {
	// File is the project file: messages name it, and display files and
	// images are found relative to its directory.
	File string
	// Node is the value of the project's displays: key; nil when absent.
	Node *yaml.Node
	// Tags are the project's compiled tags.
	Tags []*datasource.Tag
	// FS is the project file's directory; nil reads the real directory.
	// Display files and images must lie inside it.
	FS fs.FS
}

var (
	displayNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	paramRE       = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	paramNameRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Compile reads the displays the project lists, in one pass, and returns
// them compiled, or every problem found (then the Set is nil).
func Compile(in Input) (*Set, []*Error) {
	c := &compiler{in: in, dir: filepath.Dir(in.File), tags: map[string]*datasource.Tag{},
		groups: map[string]bool{}, templates: map[string]*template{}, names: map[string]*source{}}
	if c.in.FS == nil {
		c.in.FS = os.DirFS(c.dir)
	}
	for _, t := range in.Tags {
		c.tags[t.Name] = t
		if t.Group != "" {
			c.groups[t.Group] = true
		}
	}
	set := c.compile()
	if len(c.errs.errs) > 0 {
		errs := c.errs.sorted()
		if c.errs.truncated {
			last := errs[len(errs)-1]
			errs = append(errs, &Error{Pos: last.Pos, Msg: "too many errors; fix these first"})
		}
		return nil, errs
	}
	return set, nil
}

// source is one display's node and the file it is in.
type source struct {
	file string
	node *yaml.Node
	path string // "displays[NAME]" or "displays[i]"
	name string
}

// template is a parameterised list of elements.
type template struct {
	name     string
	file     string
	node     *yaml.Node // the template's mapping
	params   []string
	elements []*yaml.Node
	path     string // "templates[NAME]"
}

type compiler struct {
	in        Input
	dir       string
	errs      errorList
	tags      map[string]*datasource.Tag
	groups    map[string]bool
	templates map[string]*template
	sources   []*source
	names     map[string]*source
	files     []string
}

// report records a problem at node n of file w.file.
func (c *compiler) report(w where, n *yaml.Node, format string, args ...any) {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	c.errs.add(Error{Pos: datasource.Pos{File: w.file, Line: line}, Field: w.path, Msg: fmt.Sprintf(format, args...)})
}

func (c *compiler) compile() *Set {
	top := where{c.in.File, "displays"}
	for i, item := range list(c, top, c.in.Node) {
		if n := deref(item); n != nil && n.Kind == yaml.ScalarNode {
			c.readFiles(top.item(i), n)
			continue
		}
		c.addSource(c.in.File, top, i, item)
	}
	for _, s := range c.sources {
		c.readTemplatesOf(s)
	}
	set := &Set{byName: map[string]*Display{}, Files: c.files, in: c.in}
	srcs := map[*Display]*source{}
	for _, s := range c.sources {
		if d := c.display(s); d != nil {
			set.Displays = append(set.Displays, d)
			srcs[d] = s
			if s.name != "" {
				set.byName[s.name] = d
			}
		}
	}
	c.checkParents(set, srcs)
	return set
}

// readFiles reads the display files a glob names.
func (c *compiler) readFiles(w where, n *yaml.Node) {
	pattern := filepath.ToSlash(n.Value)
	if !fs.ValidPath(pattern) {
		c.report(w, n, "%q must be a path inside the project's directory (relative, without ..)", n.Value)
		return
	}
	matches, err := fs.Glob(c.in.FS, pattern)
	if err != nil {
		c.report(w, n, "bad pattern %q: %v", n.Value, err)
		return
	}
	if len(matches) == 0 {
		c.report(w, n, "no file matches %q", n.Value)
		return
	}
	for _, m := range matches {
		c.readFile(w, n, m)
	}
}

// readFile reads one display file: a mapping with displays and templates.
func (c *compiler) readFile(w where, n *yaml.Node, name string) {
	file := filepath.Join(c.dir, filepath.FromSlash(name))
	data, err := readBounded(c.in.FS, name)
	if err != nil {
		c.report(w, n, "%v", err)
		return
	}
	c.files = append(c.files, file)
	root, ok := c.decode(file, data)
	if !ok {
		return
	}
	f := readFields(c, where{file, ""}, root, []string{"displays", "templates"})
	if f == nil {
		return
	}
	if f.get("displays") == nil && f.get("templates") == nil {
		c.report(where{file, ""}, root, "a display file holds displays and templates; this one has neither")
	}
	dw := where{file, "displays"}
	for i, item := range list(c, dw, f.get("displays")) {
		c.addSource(file, dw, i, item)
	}
	c.readTemplates(where{file, "templates"}, f.get("templates"))
}

// readBounded reads a file of at most MaxFileSize bytes.
func readBounded(fsys fs.FS, name string) ([]byte, error) {
	fh, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close() // read-only: a close error cannot lose data
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB; is it a display file?", name, MaxFileSize>>20)
	}
	return data, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode parses one YAML document; problems are reported at their line.
func (c *compiler) decode(file string, data []byte) (root *yaml.Node, ok bool) {
	w := where{file: file}
	defer func() {
		// The YAML library is outside code: a panic on some input is a bad
		// file, not a crash of the HMI.
		if r := recover(); r != nil {
			c.errs.add(Error{Pos: datasource.Pos{File: file, Line: 1}, Msg: fmt.Sprintf("invalid YAML: %v", r)})
			root, ok = nil, false
		}
	}()
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			c.report(w, nil, "file is empty")
			return nil, false
		}
		line, msg := 1, strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			fmt.Sscan(m[1], &line)
			msg = m[2]
			// For its parser's problems the YAML library names the 0-based
			// line of the enclosing collection (as the project loader notes).
			if strings.HasPrefix(msg, "did not find expected") || strings.HasPrefix(msg, "found ") {
				line++
				msg += " (in the block that starts here)"
			}
		}
		c.errs.add(Error{Pos: datasource.Pos{File: file, Line: line}, Msg: "invalid YAML: " + msg})
		return nil, false
	}
	if len(doc.Content) != 1 {
		c.report(w, nil, "file is empty")
		return nil, false
	}
	return doc.Content[0], true
}

// addSource records one display node, checking its name is unique.
func (c *compiler) addSource(file string, list where, i int, item *yaml.Node) {
	s := &source{file: file, node: item, path: list.item(i).path}
	if m := deref(item); m != nil && m.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(m.Content); j += 2 {
			if k, v := deref(m.Content[j]), deref(m.Content[j+1]); k.Value == "name" && v.Kind == yaml.ScalarNode {
				w := where{file, s.path + ".name"}
				switch {
				case v.Value == "" || v.ShortTag() == "!!null":
					c.report(w, v, "must not be empty")
				case !displayNameRE.MatchString(v.Value):
					c.report(w, v, "%q may only contain letters, digits, _ and -", v.Value)
				default:
					s.name = v.Value
					s.path = "displays[" + v.Value + "]"
					if first := c.names[v.Value]; first != nil {
						c.report(where{file, s.path + ".name"}, v, "display %q is defined twice (first at %s:%d)", v.Value, first.file, first.node.Line)
					} else {
						c.names[v.Value] = s
					}
				}
			}
		}
	}
	c.sources = append(c.sources, s)
}

// readTemplatesOf reads the templates: of one display.
func (c *compiler) readTemplatesOf(s *source) {
	m := deref(s.node)
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for j := 0; j+1 < len(m.Content); j += 2 {
		if deref(m.Content[j]).Value == "templates" {
			c.readTemplates(where{s.file, s.path + ".templates"}, m.Content[j+1])
		}
	}
}

// readTemplates reads a templates: mapping of name to template. Template
// names are shared by every display of the project.
func (c *compiler) readTemplates(w where, n *yaml.Node) {
	m := deref(n)
	if m == nil || (m.Kind == yaml.ScalarNode && m.ShortTag() == "!!null") {
		return
	}
	if m.Kind != yaml.MappingNode {
		c.report(w, n, "must be a mapping of template name to template, got %s", what(n))
		return
	}
	for j := 0; j+1 < len(m.Content); j += 2 {
		k := deref(m.Content[j])
		name := k.Value
		if !displayNameRE.MatchString(name) {
			c.report(w, k, "template name %q may only contain letters, digits, _ and -", name)
			continue
		}
		tw := where{w.file, "templates[" + name + "]"}
		if first := c.templates[name]; first != nil {
			c.report(tw, k, "template %q is defined twice (first at %s:%d)", name, first.file, first.node.Line)
			continue
		}
		t := &template{name: name, file: w.file, node: k, path: tw.path}
		c.templates[name] = t
		f := readFields(c, tw, m.Content[j+1], []string{"params", "elements"})
		if f == nil {
			continue
		}
		pw := tw.at("params")
		for i, p := range list(c, pw, f.get("params")) {
			s, ok := text(c, pw.item(i), p)
			switch {
			case !ok:
			case !paramNameRE.MatchString(s):
				c.report(pw.item(i), p, "parameter name %q must be a word of letters, digits and _", s)
			case has(t.params, s):
				c.report(pw.item(i), p, "parameter %q is given twice", s)
			default:
				t.params = append(t.params, s)
			}
		}
		ew := tw.at("elements")
		t.elements = list(c, ew, f.get("elements"))
		if len(t.elements) == 0 {
			c.report(ew, orNode(f.get("elements"), k), "a template needs at least one element")
		}
		kept := t.elements[:0:0]
		for i, e := range t.elements {
			if c.checkParamRefs(t, ew.item(i), e) {
				kept = append(kept, e)
			}
		}
		t.elements = kept
	}
}

// checkParamRefs reports every {name} in a template's element that is not
// one of its parameters; it returns false for an instance, which a template
// may not hold.
func (c *compiler) checkParamRefs(t *template, w where, n *yaml.Node) bool {
	if m := deref(n); m != nil && m.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(m.Content); j += 2 {
			k, v := deref(m.Content[j]), deref(m.Content[j+1])
			if k.Value == "kind" && v.Value == "instance" {
				c.report(w.at("kind"), v, "templates do not nest: write the other template's elements here")
				return false
			}
		}
	}
	c.paramRefs(t, w, n)
	return true
}

// paramRefs reports the undeclared {name}s under n.
func (c *compiler) paramRefs(t *template, w where, n *yaml.Node) {
	m := deref(n)
	if m == nil {
		return
	}
	if m.Kind == yaml.ScalarNode {
		for _, ref := range paramRE.FindAllStringSubmatch(m.Value, -1) {
			if !has(t.params, ref[1]) {
				c.report(w, m, "{%s} is not a parameter of template %s (params: %s)", ref[1], t.name, paramText(t.params))
			}
		}
		return
	}
	for i, sub := range m.Content {
		field := w
		if m.Kind == yaml.MappingNode && i%2 == 1 {
			field = w.at(deref(m.Content[i-1]).Value)
		} else if m.Kind == yaml.SequenceNode {
			field = w.item(i)
		}
		c.paramRefs(t, field, sub)
	}
}

func paramText(ps []string) string {
	if len(ps) == 0 {
		return "none"
	}
	return strings.Join(ps, ", ")
}

func orNode(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

// displayKeys are the fields of a display.
var displayKeys = []string{"name", "title", "level", "parent", "size", "grid", "templates", "elements"}

// display compiles one display.
func (c *compiler) display(s *source) *Display {
	w := where{s.file, s.path}
	f := readFields(c, w, s.node, displayKeys)
	if f == nil {
		return nil
	}
	d := &Display{Name: s.name, Title: s.name, Level: DefaultLevel, Size: DefaultSize, Grid: 10,
		Pos: datasource.Pos{File: s.file, Line: f.node.Line}}
	if f.get("name") == nil {
		c.report(w.at("name"), f.node, "required: the display's name, used by goto, parent and --screen")
	}
	if n := f.get("title"); n != nil {
		if t, ok := text(c, w.at("title"), n); ok && t != "" {
			d.Title = t
		}
	}
	if n := f.get("level"); n != nil {
		if v, ok := number(c, w.at("level"), n); ok {
			if v != float64(int(v)) || v < LevelOverview || v > LevelDiagnostic {
				c.report(w.at("level"), n, "must be 1 (plant overview), 2 (unit), 3 (detail) or 4 (diagnostic), got %g", v)
			} else {
				d.Level = int(v)
			}
		}
	}
	if n := f.get("parent"); n != nil {
		if p, ok := text(c, w.at("parent"), n); ok {
			d.Parent = p
			c.displayRef(w.at("parent"), n, p)
		}
	}
	if n := f.get("size"); n != nil {
		if v, ok := pair(c, w.at("size"), n, "[width, height]"); ok {
			if v[0] <= 0 || v[1] <= 0 {
				c.report(w.at("size"), n, "width and height must be > 0, got [%g, %g]", v[0], v[1])
			} else {
				d.Size = Size{v[0], v[1]}
			}
		}
	}
	if n := f.get("grid"); n != nil {
		if v, ok := number(c, w.at("grid"), n); ok {
			if v <= 0 {
				c.report(w.at("grid"), n, "must be > 0, got %g", v)
			} else {
				d.Grid = v
			}
		}
	}
	ew := w.at("elements")
	for i, item := range list(c, ew, f.get("elements")) {
		d.Elements = append(d.Elements, c.elementOrInstance(d, ew.item(i), i, item)...)
	}
	seen := map[*datasource.Tag]bool{}
	for _, e := range d.Elements {
		for _, t := range append([]*datasource.Tag{e.Tag, e.Fault, e.Manual, e.Open}, e.Tags...) {
			if t != nil && !seen[t] {
				seen[t] = true
				d.Tags = append(d.Tags, t)
			}
		}
	}
	return d
}

// displayRef checks that name is a display.
func (c *compiler) displayRef(w where, n *yaml.Node, name string) bool {
	if _, ok := c.names[name]; ok {
		return true
	}
	names := make([]string, 0, len(c.names))
	for k := range c.names {
		names = append(names, k)
	}
	sort.Strings(names)
	known := "none are defined"
	if len(names) > 0 {
		known = "defined: " + strings.Join(names, ", ")
	}
	c.report(w, n, "unknown display %q (%s)", name, known)
	return false
}

// checkParents checks the navigation tree: a parent is a display of a
// higher level (smaller number), and the tree has no cycle.
func (c *compiler) checkParents(set *Set, srcs map[*Display]*source) {
	for _, d := range set.Displays {
		if d.Parent == "" {
			continue
		}
		s := srcs[d]
		pw := where{s.file, s.path + ".parent"}
		pn := parentNode(s.node)
		p, ok := set.byName[d.Parent]
		if !ok {
			continue // reported as unknown already
		}
		if p.Level >= d.Level {
			c.report(pw, pn, "parent %q is level %d; a parent must have a smaller level than this display's %d", p.Name, p.Level, d.Level)
		}
		if p == d {
			c.report(pw, pn, "a display cannot be its own parent")
		}
	}
}

func parentNode(n *yaml.Node) *yaml.Node {
	m := deref(n)
	for j := 0; j+1 < len(m.Content); j += 2 {
		if deref(m.Content[j]).Value == "parent" {
			return m.Content[j+1]
		}
	}
	return m
}

// elementOrInstance compiles one entry of a display's elements: an element,
// or an instance expanded to its template's elements.
func (c *compiler) elementOrInstance(d *Display, w where, i int, n *yaml.Node) []*Element {
	m := deref(n)
	if m != nil && m.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(m.Content); j += 2 {
			if k, v := deref(m.Content[j]), deref(m.Content[j+1]); k.Value == "kind" && v.Value == "instance" {
				return c.instance(d, w, i, n)
			}
		}
	}
	e := c.element(d, c, w, n, Point{})
	if e == nil {
		return nil
	}
	e.Index = i
	return []*Element{e}
}

// instance expands an instance of a template.
func (c *compiler) instance(d *Display, w where, i int, n *yaml.Node) []*Element {
	f := readFields(c, w, n, []string{"kind", "template", "at", "params"})
	if f == nil {
		return nil
	}
	tn := f.get("template")
	if tn == nil {
		c.report(w.at("template"), f.node, "required: the name of the template to place")
		return nil
	}
	name, ok := text(c, w.at("template"), tn)
	if !ok {
		return nil
	}
	t := c.templates[name]
	if t == nil {
		names := make([]string, 0, len(c.templates))
		for k := range c.templates {
			names = append(names, k)
		}
		sort.Strings(names)
		c.report(w.at("template"), tn, "unknown template %q (defined: %s)", name, paramText(names))
		return nil
	}
	var origin Point
	if an := f.get("at"); an == nil {
		c.report(w.at("at"), f.node, "required: where the template's [0, 0] goes")
	} else if v, ok := pair(c, w.at("at"), an, "[x, y]"); ok {
		origin = Point{v[0], v[1]}
	}
	values := map[string]string{}
	pw := w.at("params")
	if pn := f.get("params"); pn != nil {
		pm := deref(pn)
		if pm.Kind != yaml.MappingNode {
			c.report(pw, pn, "must be a mapping of parameter to value, got %s", what(pn))
		} else {
			for j := 0; j+1 < len(pm.Content); j += 2 {
				k := deref(pm.Content[j])
				if !has(t.params, k.Value) {
					c.report(pw.at(k.Value), k, "template %s has no parameter %q (params: %s)", t.name, k.Value, paramText(t.params))
					continue
				}
				if v, ok := text(c, pw.at(k.Value), pm.Content[j+1]); ok {
					values[k.Value] = v
				}
			}
		}
	}
	missing := false
	for _, p := range t.params {
		if _, ok := values[p]; !ok {
			missing = true
			c.report(pw, orNode(f.get("params"), f.node), "missing parameter %s of template %s (defined at %s:%d)", p, t.name, t.file, t.node.Line)
			c.report(where{t.file, t.path + ".params"}, t.node, "parameter %s is not given by the instance at %s:%d (%s)", p, w.file, f.node.Line, w.path)
		}
	}
	if missing {
		return nil
	}
	ir := &instanceReporter{c: c, inst: w, line: f.node.Line, template: t.name}
	var out []*Element
	for j, tn := range t.elements {
		ir.elem = j
		copied := substitute(tn, values)
		e := c.element(d, ir, where{t.file, t.path + ".elements[" + fmt.Sprint(j) + "]"}, copied, origin)
		if e == nil {
			continue
		}
		e.Index, e.Via, e.Origin = i, datasource.Pos{File: w.file, Line: f.node.Line}, origin
		out = append(out, e)
	}
	return out
}

// instanceReporter reports a problem in an element expanded from a template
// twice: at the template's line, where it is written, and at the
// instance's, whose parameters made it.
type instanceReporter struct {
	c        *compiler
	inst     where
	line     int
	template string
	elem     int
}

func (r *instanceReporter) report(w where, n *yaml.Node, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.c.report(w, n, "%s", msg)
	field := strings.TrimPrefix(w.path, "templates["+r.template+"].")
	r.c.errs.add(Error{Pos: datasource.Pos{File: r.inst.file, Line: r.line}, Field: r.inst.path,
		Msg: fmt.Sprintf("template %s, %s: %s", r.template, field, msg)})
}

// substitute copies a template's node with every {param} in its strings
// replaced by the instance's value; line numbers are kept.
func substitute(n *yaml.Node, values map[string]string) *yaml.Node {
	n = deref(n)
	cp := *n
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		cp.Value = paramRE.ReplaceAllStringFunc(n.Value, func(ref string) string {
			if v, ok := values[ref[1:len(ref)-1]]; ok {
				return v
			}
			return ref
		})
		return &cp
	}
	if len(n.Content) > 0 {
		cp.Content = make([]*yaml.Node, len(n.Content))
		for i, sub := range n.Content {
			cp.Content[i] = substitute(sub, values)
		}
	}
	return &cp
}

// element compiles one element; offset moves it (an instance's at).
func (c *compiler) element(d *Display, r reporter, w where, n *yaml.Node, offset Point) *Element {
	m := deref(n)
	if m == nil || m.Kind != yaml.MappingNode {
		r.report(w, n, "must be a mapping with a kind, got %s", what(n))
		return nil
	}
	var kn *yaml.Node
	for j := 0; j+1 < len(m.Content); j += 2 {
		if deref(m.Content[j]).Value == "kind" {
			kn = m.Content[j+1]
		}
	}
	if kn == nil {
		r.report(w.at("kind"), m, "required: one of %s", strings.Join(kindList(), ", "))
		return nil
	}
	name, _ := text(r, w.at("kind"), kn)
	kind, ok := kindNamed(name)
	if !ok {
		r.report(w.at("kind"), kn, "unknown kind %q; one of %s", name, strings.Join(kindList(), ", "))
		return nil
	}
	sp := specs[kind] // a copy: the schema table is only read
	f := readFields(r, w, n, sp.keys())
	if f == nil {
		return nil
	}
	e := &Element{Kind: kind, Window: DefaultWindow, Pos: datasource.Pos{File: w.file, Line: m.Line}}
	if sp.size != (Size{}) {
		e.Box.Size = sp.size
		if an := f.get("at"); an == nil {
			r.report(w.at("at"), m, "required: the element's top-left corner [x, y]")
		} else if v, ok := pair(r, w.at("at"), an, "[x, y]"); ok {
			e.Box.Point = Point{v[0] + offset.X, v[1] + offset.Y}
		}
		if sn := f.get("size"); sn != nil {
			if v, ok := pair(r, w.at("size"), sn, "[width, height]"); ok {
				if v[0] <= 0 || v[1] <= 0 {
					r.report(w.at("size"), sn, "width and height must be > 0, got [%g, %g]", v[0], v[1])
				} else {
					e.Box.Size = Size{v[0], v[1]}
				}
			}
		}
	}
	for _, fd := range sp.fields {
		v := f.get(fd.key)
		if v == nil {
			if fd.required {
				r.report(w.at(fd.key), m, "required for kind %s", kind)
			}
			continue
		}
		c.field(r, w.at(fd.key), v, fd, e, offset)
	}
	c.checkKind(r, w, f, e)
	c.checkCanvas(d, r, w, f, e)
	return e
}

// field reads one field of an element into e.
func (c *compiler) field(r reporter, w where, n *yaml.Node, fd field, e *Element, offset Point) {
	switch fd.typ {
	case fTag, fNumTag, fStateTag, fWritableTag:
		t := c.tag(r, w, n, fd.typ)
		switch fd.key {
		case "fault":
			e.Fault = t
		case "manual":
			e.Manual = t
		case "open":
			e.Open = t
			if e.Tag == nil {
				e.Tag = t
			}
		default: // level, running, position, flow, tag, write
			e.Tag = t
		}
	case fText:
		e.Label, _ = text(r, w, n)
	case fBool:
		e.Vertical, _ = boolean(r, w, n)
	case fWindow:
		s, ok := text(r, w, n)
		if !ok {
			return
		}
		dur, err := time.ParseDuration(s)
		switch {
		case err != nil:
			r.report(w, n, "must be a duration such as 10m, 1h or 8h, got %q", s)
		case dur <= 0 || dur > MaxWindow:
			r.report(w, n, "must be > 0 and at most %s, got %s", "7 days (168h)", s)
		default:
			e.Window = dur
		}
	case fDisplay:
		s, ok := text(r, w, n)
		if ok && c.displayRef(w, n, s) {
			if fd.key == "goto" {
				e.Goto = s
			} else {
				e.Scope = s
			}
		}
	case fTagList:
		items := list(r, w, n)
		if len(items) == 0 || len(items) > MaxPens {
			r.report(w, n, "must list 1 to %d tags, got %s", MaxPens, what(n))
		}
		for i, it := range items {
			if t := c.tag(r, w.item(i), it, fNumTag); t != nil {
				e.Tags = append(e.Tags, t)
			}
		}
	case fGroup:
		if s, ok := text(r, w, n); ok {
			if !c.groups[s] {
				r.report(w, n, "unknown tag group %q (no tag has group: %s)", s, s)
			} else {
				e.Area = s
			}
		}
	case fFile:
		c.image(r, w, n, e)
	case fValue:
		e.Write, _ = text(r, w, n)
	case fPoints:
		items := list(r, w, n)
		if len(items) < 2 {
			r.report(w, n, "a line needs at least two points [[x, y], [x, y]], got %s", what(n))
		}
		for i, it := range items {
			if v, ok := pair(r, w.item(i), it, "[x, y]"); ok {
				e.Line = append(e.Line, Point{v[0] + offset.X, v[1] + offset.Y})
			}
		}
		e.Box = bounds(e.Line)
	}
}

// tag resolves a tag name and checks it suits the field.
func (c *compiler) tag(r reporter, w where, n *yaml.Node, typ ftype) *datasource.Tag {
	name, ok := text(r, w, n)
	if !ok {
		return nil
	}
	t := c.tags[name]
	switch {
	case name == "":
		r.report(w, n, "must name a tag")
	case t == nil:
		r.report(w, n, "unknown tag %q", name)
	case typ == fNumTag && !t.Type.Numeric():
		r.report(w, n, "tag %q is %s; this field needs a number", name, t.Type)
	case typ == fStateTag && t.Type != datasource.TypeBool && (!t.Type.Numeric() || t.Type == datasource.TypeFloat32 || t.Type == datasource.TypeFloat64):
		r.report(w, n, "tag %q is %s; this field needs a bool or integer tag", name, t.Type)
	case typ == fWritableTag && !t.Writable:
		r.report(w, n, "tag %q is not writable (give it writable: true)", name)
	default:
		return t
	}
	return nil
}

// image checks an image file: PNG or SVG, inside the project directory.
func (c *compiler) image(r reporter, w where, n *yaml.Node, e *Element) {
	s, ok := text(r, w, n)
	if !ok {
		return
	}
	name := filepath.ToSlash(s)
	ext := strings.ToLower(path.Ext(name))
	switch {
	case !fs.ValidPath(name):
		r.report(w, n, "%q must be a path inside the project's directory (relative, without ..)", s)
	case ext != ".png" && ext != ".svg":
		r.report(w, n, "%q is not a .png or .svg file", s)
	default:
		if _, err := fs.Stat(c.in.FS, name); err != nil {
			r.report(w, n, "%v", err)
			return
		}
		e.File = filepath.Join(c.dir, filepath.FromSlash(name))
	}
}

// checkKind checks what one field alone cannot: fields that go together.
func (c *compiler) checkKind(r reporter, w where, f *fields, e *Element) {
	switch {
	case e.Kind == Valve || e.Kind == Damper:
		if f.get("position") == nil && f.get("open") == nil {
			r.report(w.at("position"), f.node, "a %s needs position (a number in %%) or open (a bool), or both", e.Kind)
		}
	case e.Kind == Button:
		gotoN, writeN, valueN := f.get("goto"), f.get("write"), f.get("value")
		switch {
		case gotoN != nil && writeN != nil:
			r.report(w.at("write"), writeN, "a button either goes to a display (goto) or writes a value (write and value), not both")
		case gotoN == nil && writeN == nil:
			r.report(w.at("goto"), f.node, "a button needs goto (a display) or write (a tag) and value")
		case writeN != nil && valueN == nil:
			r.report(w.at("value"), f.node, "required with write: the value the button writes")
		case valueN != nil && writeN == nil:
			r.report(w.at("value"), valueN, "only with write")
		case e.Tag != nil && valueN != nil:
			if _, err := WriteValue(e.Tag, e.Write); err != nil {
				r.report(w.at("value"), valueN, "%v", err)
			}
		}
	case e.Kind == Alarms:
		given := 0
		for _, k := range []string{"tag", "group", "display"} {
			if f.get(k) != nil {
				given++
			}
		}
		if given > 1 {
			r.report(w, f.node, "an alarm indicator counts one tag, one group or one display: give one of tag, group, display")
		}
	}
}

// checkCanvas reports an element that reaches beyond its display's canvas.
func (c *compiler) checkCanvas(d *Display, r reporter, w where, f *fields, e *Element) {
	b := e.Box
	if b.X >= 0 && b.Y >= 0 && b.X+b.W <= d.Size.W && b.Y+b.H <= d.Size.H {
		return
	}
	key := "at"
	if e.Line != nil {
		key = "points"
	}
	n := orNode(f.get(key), f.node)
	r.report(w.at(key), n, "the %s spans [%g, %g]..[%g, %g], beyond the canvas [0, 0]..[%g, %g]",
		e.Kind, b.X, b.Y, b.X+b.W, b.Y+b.H, d.Size.W, d.Size.H)
}

// bounds is the bounding box of a polyline.
func bounds(ps []Point) Rect {
	if len(ps) == 0 {
		return Rect{}
	}
	lo, hi := ps[0], ps[0]
	for _, p := range ps[1:] {
		lo.X, lo.Y = min(lo.X, p.X), min(lo.Y, p.Y)
		hi.X, hi.Y = max(hi.X, p.X), max(hi.Y, p.Y)
	}
	return Rect{Point: lo, Size: Size{hi.X - lo.X, hi.Y - lo.Y}}
}
