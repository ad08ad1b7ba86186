package project

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time_zone works on machines without a zone database (Windows)

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/calc"
)

// calcKinds are the keys of a calc mapping that name its kind and input.
var calcKinds = []string{"integrate", "counter", "run_hours", "starts", "avg", "min", "max", "stddev", "rms"}

// deviceOnly are the tag fields a calculated tag does not have: it is read
// from no device and cannot be written.
var deviceOnly = []string{"device", "address", "word_order", "length", "scaling", "writable", "limits", "critical", "scan_class"}

// tagCalc reads a tag's calc field: an expression string, or a mapping
// with one kind key naming the input tag and the kind's settings
// (docs/calc.md). Checks that need the other tags are done by calc.Compile
// in linkCalc.
func (p *parser) tagCalc(m *mapping, t *datasource.Tag) {
	v := m.get("calc")
	field := m.field("calc")
	for _, k := range deviceOnly {
		if m.has(k) {
			p.errorf(m.key(k), m.field(k), "a calculated tag (calc) has no %s", k)
		}
	}
	c := &datasource.CalcDef{Pos: p.pos(v), Typed: m.has("type")}
	t.Calc = c
	if r := resolve(v); r != nil && r.Kind == yaml.ScalarNode {
		if s, ok := p.str(v, field); ok {
			if strings.TrimSpace(s) == "" {
				p.errorf(v, field, "must not be empty: an expression such as Pump1.Flow / max(Pump1.Power, 0.1)")
			}
			c.Kind, c.Expr = datasource.CalcExpr, s
			if r.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				c.Pos.Line++ // a block scalar starts on the line after "calc: |"
			}
		}
		return
	}
	cm := p.mapping(v, field, append(slices.Clone(calcKinds), "per", "wrap", "reset", "window", "min_good")...)
	if cm == nil {
		return
	}
	var kinds []string
	for _, k := range calcKinds {
		if cm.has(k) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		p.errorf(cm.node, field, "give an expression, or exactly one of %s with its input tag (got %d)", strings.Join(calcKinds, ", "), len(kinds))
		return
	}
	c.Kind, _ = datasource.ParseCalcKind(kinds[0])
	c.Input, _ = p.str(cm.get(kinds[0]), cm.field(kinds[0]))
	allowed := map[string]bool{}
	switch {
	case c.Kind.Totalizer():
		allowed["reset"] = true
		if c.Kind == datasource.CalcIntegrate {
			allowed["per"] = true
		}
		if c.Kind == datasource.CalcCounter {
			allowed["wrap"] = true
		}
	case c.Kind.Rolling():
		allowed["window"], allowed["min_good"] = true, true
		if !cm.has("window") {
			p.errorf(cm.node, cm.field("window"), "required: the span of the statistic, e.g. 10m")
		}
	}
	for _, k := range []string{"per", "wrap", "reset", "window", "min_good"} {
		if cm.has(k) && !allowed[k] {
			p.errorf(cm.key(k), cm.field(k), "not a setting of %s", c.Kind)
		}
	}
	if n := cm.get("per"); n != nil && allowed["per"] {
		c.Per, _ = p.duration(n, cm.field("per"), true)
	}
	if n := cm.get("wrap"); n != nil && allowed["wrap"] {
		if w, ok := p.nonNegative(n, cm.field("wrap")); ok {
			c.Wrap = w
		}
	}
	if n := cm.get("reset"); n != nil && allowed["reset"] {
		if s, ok := p.enum(n, cm.field("reset"), "never", "hourly", "shift", "daily", "monthly"); ok {
			c.Reset, _ = datasource.ParseResetPeriod(s)
			if c.Reset == datasource.ResetShift && len(p.shifts) == 0 {
				p.errorf(n, cm.field("reset"), "reset: shift needs the project's shifts, e.g. shifts: [\"06:00\", \"14:00\", \"22:00\"]")
			}
		}
	}
	if n := cm.get("window"); n != nil && allowed["window"] {
		c.Window, _ = p.duration(n, cm.field("window"), true)
	}
	if n := cm.get("min_good"); n != nil && allowed["min_good"] {
		if f, ok := p.number(n, cm.field("min_good")); ok {
			if f <= 0 || f > 1 {
				p.errorf(n, cm.field("min_good"), "must be a share of the window above 0 and at most 1, got %g", f)
			} else {
				c.MinGood = f
			}
		}
	}
}

// timeZone reads time_zone: an IANA zone name such as Europe/Berlin.
func (p *parser) timeZone(n *yaml.Node) *time.Location {
	if n == nil {
		return time.Local
	}
	s, ok := p.str(n, "time_zone")
	if !ok {
		return time.Local
	}
	loc, err := time.LoadLocation(s)
	if err != nil || s == "" {
		p.errorf(n, "time_zone", "unknown time zone %q; use an IANA name such as Europe/Berlin or UTC", s)
		return time.Local
	}
	return loc
}

// shiftTimes reads shifts: the start times of the shifts, "HH:MM".
func (p *parser) shiftTimes(n *yaml.Node) []time.Duration {
	var out []time.Duration
	for i, item := range p.sequence(n, "shifts") {
		field := index("shifts", i)
		s, ok := p.str(item, field)
		if !ok {
			continue
		}
		tm, err := time.Parse("15:04", s)
		if err != nil {
			p.errorf(item, field, "must be a time of day HH:MM, got %q", s)
			continue
		}
		d := time.Duration(tm.Hour())*time.Hour + time.Duration(tm.Minute())*time.Minute
		if slices.Contains(out, d) {
			p.errorf(item, field, "shift start %s is given twice", s)
			continue
		}
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// linkCalc compiles the calculated tags now that every tag and its type is
// known: unknown inputs, type errors and cycles are reported at the line
// of the tag's calc field.
func (p *parser) linkCalc(proj *Project, srcs []*tagSrc) {
	paths := map[*datasource.Tag]string{}
	any := false
	for _, ts := range srcs {
		paths[ts.tag] = ts.path
		any = any || ts.tag.Calc != nil
	}
	if !any {
		return
	}
	set, errs := calc.Compile(proj.Tags, calc.Options{Location: proj.Location, Shifts: proj.Shifts})
	// A calc field the reading already refused (an empty expression) is
	// not refused again in the compiler's words ("unexpected token EOF").
	said := map[string]bool{}
	for _, e := range p.errs {
		said[fmt.Sprint(e.Pos.Line, e.Field)] = true
	}
	for _, e := range errs {
		if field := join(paths[e.Tag], "calc"); !said[fmt.Sprint(e.Line, field)] {
			p.errorAt(e.Line, field, e.Msg)
		}
	}
	proj.Calc = set
}
