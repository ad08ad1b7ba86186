package calc

import (
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// tagSpec is a tag of a test project: a device tag when calc is nil.
type tagSpec struct {
	name string
	typ  datasource.DataType
	calc *datasource.CalcDef
}

// project builds tags numbered from 0, with calc fields on the line of their
// index + 10, so that a message's line says which tag it is about.
func project(specs ...tagSpec) []*datasource.Tag {
	tags := make([]*datasource.Tag, len(specs))
	for i, s := range specs {
		t := &datasource.Tag{ID: datasource.TagID(i), Name: s.name, Type: s.typ, Pos: datasource.Pos{File: "p.yaml", Line: 10 + i}}
		if s.calc != nil {
			c := *s.calc
			c.Pos = t.Pos
			t.Calc = &c
		} else {
			t.Device = "plc"
		}
		tags[i] = t
	}
	return tags
}

func exprTag(name, src string) tagSpec {
	return tagSpec{name: name, calc: &datasource.CalcDef{Kind: datasource.CalcExpr, Expr: src}}
}

func dev(name string, typ datasource.DataType) tagSpec { return tagSpec{name: name, typ: typ} }

// rig is a compiled project with an engine and a table that runs it.
type rig struct {
	t      testing.TB
	tags   []*datasource.Tag
	byName map[string]*datasource.Tag
	eng    *Engine
	table  *datasource.Table
	sub    *datasource.Subscription
}

// engineOf compiles the project of specs and returns its tags and an
// engine for them.
func engineOf(t testing.TB, opts Options, specs ...tagSpec) ([]*datasource.Tag, *Engine) {
	t.Helper()
	tags := project(specs...)
	set, errs := Compile(tags, opts)
	if len(errs) > 0 {
		t.Fatalf("compile: %v", errs)
	}
	eng, err := NewEngine(set, len(tags))
	if err != nil {
		t.Fatal(err)
	}
	return tags, eng
}

func newRig(t testing.TB, opts Options, specs ...tagSpec) *rig {
	t.Helper()
	tags, eng := engineOf(t, opts, specs...)
	r := &rig{t: t, tags: tags, byName: map[string]*datasource.Tag{}, eng: eng, table: datasource.NewTable(tags)}
	for _, tg := range tags {
		r.byName[tg.Name] = tg
	}
	r.table.Engine().SetDeriver(eng)
	r.sub = r.table.Subscribe("test", 1<<16)
	t.Cleanup(r.sub.Close)
	return r
}

func (r *rig) id(name string) datasource.TagID {
	tg, ok := r.byName[name]
	if !ok {
		r.t.Fatalf("no tag %s", name)
	}
	return tg.ID
}

// pub publishes one batch of name/value pairs, Good, at time at.
func (r *rig) pub(at time.Time, kv ...any) {
	var batch []datasource.Sample
	for i := 0; i+1 < len(kv); i += 2 {
		s := datasource.Sample{Tag: r.id(kv[i].(string)), Time: at}
		switch v := kv[i+1].(type) {
		case datasource.Sample:
			s.Value, s.Quality = v.Value, v.Quality
		case float64:
			s.Value = datasource.Float(v)
		case int:
			s.Value = datasource.Float(float64(v))
		case bool:
			s.Value = datasource.Bool(v)
		case string:
			s.Value = datasource.String(v)
		}
		batch = append(batch, s)
	}
	r.table.Publish(batch)
}

func (r *rig) get(name string) datasource.Sample { return r.table.Get(r.id(name)) }

// history drains the subscription and returns the samples of name, or of
// every tag for "".
func (r *rig) history(name string) []datasource.Sample {
	var id datasource.TagID
	if name != "" {
		id = r.id(name)
	}
	var out []datasource.Sample
	var buf []datasource.Sample
	for {
		buf = r.sub.TryRecv(buf[:0])
		if len(buf) == 0 {
			return out
		}
		for _, s := range buf {
			if name == "" || s.Tag == id {
				out = append(out, s)
			}
		}
	}
}
