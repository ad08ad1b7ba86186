package calc

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/file"

	"github.com/vigil-hmi/vigil/datasource"
)

// Options are the project-wide settings calculated tags depend on.
type Options struct {
	// Location is the project's time zone, for resets on schedule and the
	// clock functions of expressions; nil means time.Local.
	Location *time.Location
	// Shifts are the start times of the shifts, as offsets from local
	// midnight, for ResetShift.
	Shifts []time.Duration
}

// Error is a problem with one calculated tag's definition. Line is the line
// of the project file it is on.
type Error struct {
	Tag  *datasource.Tag
	Line int
	Msg  string
}

// Error renders "file:line: tag NAME: calc: message".
func (e *Error) Error() string {
	p := datasource.Pos{File: e.Tag.Pos.File, Line: e.Line}
	return p.String() + ": tag " + e.Tag.Name + ": calc: " + e.Msg
}

// Set is the compiled calculated tags of a project, in dependency order.
// Compile makes it once when the project loads; NewEngine runs it, as
// often as the project is started.
type Set struct {
	opts Options
	defs []*def
	// mu guards ctx, which the compiled programs' functions read: engines
	// sharing the set take turns evaluating.
	mu  sync.Mutex
	ctx *evalCtx
	// shapes are the programs compiled so far by shapeKey, while Compile
	// runs.
	shapes map[string]*program
}

// def is one compiled calculated tag.
type def struct {
	tag      *datasource.Tag
	calc     *datasource.CalcDef
	inputs   []*datasource.Tag // expression: in order of first use; others: the one input
	prog     *program          // CalcExpr only
	volatile bool              // calls a clock function
	level    int               // 0 reads device tags only; else 1 + the highest level it reads
}

// Len returns the number of calculated tags.
func (s *Set) Len() int { return len(s.defs) }

// Tags returns the calculated tags in the order they are evaluated.
func (s *Set) Tags() []*datasource.Tag {
	out := make([]*datasource.Tag, len(s.defs))
	for i, d := range s.defs {
		out[i] = d.tag
	}
	return out
}

// Compile checks and compiles the calculated tags among tags (those with
// Calc set; tags indexed by TagID). It resolves every input, rejects
// unknown tags, type errors and cycles, infers the type of an expression
// tag whose type the project did not give (setting Tag.Type), and compiles
// each expression once. Every problem is reported, at its line.
func Compile(tags []*datasource.Tag, opts Options) (*Set, []*Error) {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	s := &Set{opts: opts, ctx: &evalCtx{}}
	byName := make(map[string]*datasource.Tag, len(tags))
	for _, t := range tags {
		byName[t.Name] = t
	}
	isTag := func(n string) bool { _, ok := byName[n]; return ok }
	var errs []*Error
	bad := func(t *datasource.Tag, line int, format string, args ...any) {
		errs = append(errs, &Error{Tag: t, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	defs := map[*datasource.Tag]*def{}
	var order []*def // file order
	for _, t := range tags {
		c := t.Calc
		if c == nil || c.Kind == 0 {
			continue // no calculated tag, or one whose definition is in error already
		}
		d := &def{tag: t, calc: c}
		line := c.Pos.Line
		if c.Kind == datasource.CalcExpr {
			refs, vol, unknown, err := parseRefs(c.Expr, isTag)
			if err != nil {
				l, msg := exprError(err, line)
				bad(t, l, "%s", msg)
				continue
			}
			d.volatile = vol || len(refs) == 0 // a constant is evaluated at the first publish
			for _, r := range refs {
				d.inputs = append(d.inputs, byName[r])
			}
			if len(unknown) > 0 {
				slices.Sort(unknown)
				bad(t, line, "unknown tag %s", strings.Join(slices.Compact(unknown), ", "))
				continue
			}
		} else {
			in, ok := byName[c.Input]
			if !ok {
				bad(t, line, "unknown tag %q", c.Input)
				continue
			}
			d.inputs = []*datasource.Tag{in}
		}
		defs[t] = d
		order = append(order, d)
	}
	// Depth-first in file order: a cycle is reported once, at the tag where
	// the walk met it; tags on it are not compiled.
	const (
		unseen = iota
		onPath
		done
	)
	state := map[*def]int{}
	failed := map[*def]bool{}
	var path []*def
	var visit func(d *def) bool
	visit = func(d *def) bool {
		switch state[d] {
		case onPath:
			i := slices.Index(path, d)
			names := make([]string, 0, len(path)-i+1)
			for _, p := range path[i:] {
				names = append(names, p.tag.Name)
				failed[p] = true
			}
			names = append(names, d.tag.Name)
			bad(d.tag, d.calc.Pos.Line, "cycle: %s", strings.Join(names, " uses "))
			return false
		case done:
			return !failed[d]
		}
		state[d] = onPath
		path = append(path, d)
		ok := true
		for _, in := range d.inputs {
			if up := defs[in]; up != nil {
				if !visit(up) {
					ok = false
				} else {
					d.level = max(d.level, up.level+1)
				}
			}
		}
		path = path[:len(path)-1]
		state[d] = done
		if !ok {
			failed[d] = true
			return false
		}
		if l, msg := s.compile(d, isTag); msg != "" {
			bad(d.tag, l, "%s", msg)
			failed[d] = true
			return false
		}
		s.defs = append(s.defs, d) // post-order: after everything it reads
		return true
	}
	for _, d := range order {
		visit(d)
	}
	s.shapes = nil
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b *Error) int { return a.Line - b.Line })
		return nil, errs
	}
	return s, nil
}

// compile type-checks d (its inputs are compiled already) and compiles its
// expression; it returns the line and message of a problem, "" when d is
// fine.
func (s *Set) compile(d *def, isTag func(string) bool) (int, string) {
	c, t := d.calc, d.tag
	line := c.Pos.Line
	if c.Typed && t.Type.Numeric() && t.Type != datasource.TypeFloat64 {
		// Its value is computed as a float64; declared int16 it still
		// showed 49.9412. Whole numbers are a matter of display.
		return line, fmt.Sprintf("a calculated number is float64, not %s: for whole numbers on screen give decimals: 0", t.Type)
	}
	if c.Kind == datasource.CalcExpr {
		var want *datasource.DataType
		if c.Typed {
			want = &t.Type
		}
		typeOf := func(n string) datasource.DataType {
			for _, in := range d.inputs {
				if in.Name == n {
					return in.Type
				}
			}
			return datasource.TypeFloat64
		}
		p, err := s.program(c.Expr, names(d.inputs), typeOf, isTag, want)
		if err != nil {
			return exprError(err, line)
		}
		d.prog = p
		if !c.Typed {
			t.Type = p.out
		}
		return line, ""
	}
	in := d.inputs[0]
	switch {
	case c.Kind == datasource.CalcRunHours || c.Kind == datasource.CalcStarts:
		if in.Type != datasource.TypeBool {
			return line, fmt.Sprintf("%s needs a bool input, %s is %s", c.Kind, in.Name, in.Type)
		}
	case !in.Type.Numeric():
		return line, fmt.Sprintf("%s needs a numeric input, %s is %s", c.Kind, in.Name, in.Type)
	}
	if c.Typed && !t.Type.Numeric() {
		return line, fmt.Sprintf("a %s tag is numeric, not %s", c.Kind, t.Type)
	}
	if !c.Typed {
		t.Type = datasource.TypeFloat64
	}
	if c.Kind == datasource.CalcCounter && c.Wrap == 0 {
		c.Wrap = counterWrap(in)
	}
	return line, ""
}

// program returns the programs of expression src over the tags refs: the
// ones another tag of the same formula over other tags already has
// (shapeKey), else compiled. Ten thousand tags of one formula hold one
// program, not ten thousand of a few kilobytes each, and compile once.
func (s *Set) program(src string, refs []string, typeOf func(string) datasource.DataType, isTag func(string) bool, want *datasource.DataType) (*program, error) {
	key, kerr := shapeKey(src, refs, typeOf, isTag, want)
	if kerr == nil {
		if p, ok := s.shapes[key]; ok {
			return p, nil
		}
	}
	// Checked with the tags' own names first: an error says it in the
	// words of the file.
	if _, err := compileExpr(s.ctx, src, refs, typeOf, isTag, want, false); err != nil {
		return nil, err
	}
	p, err := compileExpr(s.ctx, src, refs, typeOf, isTag, want, true)
	if err != nil {
		return nil, err
	}
	if kerr == nil {
		if s.shapes == nil {
			s.shapes = map[string]*program{}
		}
		s.shapes[key] = p
	}
	return p, nil
}

func names(tags []*datasource.Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.Name
	}
	return out
}

// exprError returns the project-file line and the message of an expr
// error: the library's message with the column, without its source snippet.
func exprError(err error, line int) (int, string) {
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
			msg = "unknown tag or function " + name
		}
		if fe.Line > 1 {
			line += fe.Line - 1
		}
		if fe.Column > 0 || fe.Line > 0 {
			msg += fmt.Sprintf(" (column %d)", fe.Column+1)
		}
		return line, msg
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return line, msg
}
