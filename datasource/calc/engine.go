package calc

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/vigil-hmi/vigil/datasource"
)

// Engine evaluates a Set's calculated tags from the samples published into
// a table: install it with TableEngine.SetDeriver. Its methods may be called from
// any goroutine.
type Engine struct {
	mu  sync.Mutex // guards everything below: Derive runs under the table's lock, then this one
	set *Set
	vm  vm.VM
	st  [fastStack]float64 // the fast path's stack

	slot []int32 // by TagID: 1 + the index into ins of a tag some calculated tag reads; 0 if none does
	ins  []input
	// cur is the latest sample of each input (stamped), apart from ins so
	// that the check "did it change?" of every sample published reads one
	// cache line.
	cur []datasource.Sample
	// deps[depOf[k]:depOf[k+1]] are the nodes reading input k, all inputs'
	// in one array.
	deps  []dep
	depOf []int32
	nodes []node  // in the Set's order (dependencies first)
	self  []int32 // by node: 1 + the index into ins of the node's own tag when another node reads it

	levels    [][]int32 // the marked nodes to evaluate, by level
	marked    []bool    // by node
	volatile  []int32   // nodes that call a clock function
	scheduled []int32   // totalizers with a reset schedule
	pending   []int32   // totalizers reset on demand, not yet done
	layouts   map[layoutKey][]inputAt
}

// input is the latest sample of a tag some calculated tag reads.
type input struct {
	name string
	typ  datasource.DataType
	deps []dep // the nodes reading it, while NewEngine builds Engine.deps
}

// dep is a node reading an input, and where in its inputs.
type dep struct{ node, pos int32 }

// node is the running state of one calculated tag.
//
// The fields the evaluation of an expression reads come first, and NewEngine
// lays out all nodes, their inputs' values and their fast programs in three
// contiguous arrays: with thousands of calculated tags, an evaluation then
// touches a handful of cache lines rather than a dozen scattered objects.
type node struct {
	// Read by every evaluation of an expression, in two cache lines.
	ops      []op      // the fast program; nil when the expression needs the VM
	vals     []float64 // the inputs as the fast path reads them (bools 0 or 1), kept by take; nil without ops
	newest   time.Time // the time of the newest input sample, kept by take
	notGood  int32     // inputs not Good (or without a value), kept by take
	id       datasource.TagID
	level    int32 // of d, for mark
	expr     bool  // an expression (the others are totalizers and statistics)
	isBool   bool  // ops gives a bool
	volatile bool  // calls a clock function

	d   *def
	ins []int32 // indices into Engine.ins, parallel to d.inputs
	env map[string]any
	msg string // why the last evaluation was Bad/CalcError
	// last is the latest sample published for the tag.
	last  datasource.Sample
	total *totalizer
	roll  *rolling
}

// NewEngine returns an engine for set over a table of ntags tags.
func NewEngine(set *Set, ntags int) (*Engine, error) {
	e := &Engine{set: set, slot: make([]int32, ntags)}
	maxLevel := 0
	nodes := make([]node, len(set.defs))
	var nvals, nops int
	for _, d := range set.defs {
		if d.prog != nil && d.prog.quick != nil {
			nvals += len(d.inputs)
			nops += len(d.prog.quick.ops)
		}
	}
	vals, ops := make([]float64, 0, nvals), make([]op, 0, nops)
	for i, d := range set.defs {
		if int(d.tag.ID) >= ntags {
			return nil, fmt.Errorf("calc: tag %s: ID %d is outside the table of %d tags", d.tag.Name, d.tag.ID, ntags)
		}
		n := &nodes[i]
		*n = node{d: d, id: d.tag.ID, level: int32(d.level), volatile: d.volatile, notGood: int32(len(d.inputs)),
			last: datasource.Sample{Tag: d.tag.ID, Quality: datasource.BadQuality(datasource.WaitingForInitialData)}}
		if d.prog != nil {
			n.expr, n.isBool = true, d.prog.out == datasource.TypeBool
			n.env = make(map[string]any, len(d.inputs))
			if q := d.prog.quick; q != nil {
				vals = append(vals, make([]float64, len(d.inputs))...)
				n.vals = vals[len(vals)-len(d.inputs):]
				ops = append(ops, q.ops...)
				n.ops = ops[len(ops)-len(q.ops):]
			}
		}
		for j, in := range d.inputs {
			k := e.input(in)
			n.ins = append(n.ins, k)
			e.ins[k].deps = append(e.ins[k].deps, dep{node: int32(i), pos: int32(j)})
			if n.env != nil {
				n.env[in.Name] = zeroOf(in.Type)
			}
		}
		switch c := d.calc; {
		case c.Kind.Totalizer():
			n.total = newTotalizer(c, set.opts)
			if c.Reset != datasource.ResetNever {
				e.scheduled = append(e.scheduled, int32(i))
			}
		case c.Kind.Rolling():
			n.roll = newRolling(c)
		}
		if d.volatile {
			e.volatile = append(e.volatile, int32(i))
		}
		maxLevel = max(maxLevel, d.level)
	}
	e.nodes = nodes
	// The dependents of all inputs in one array, in input order.
	var ndeps int
	for k := range e.ins {
		ndeps += len(e.ins[k].deps)
	}
	e.deps = make([]dep, 0, ndeps)
	e.depOf = make([]int32, len(e.ins)+1)
	for k := range e.ins {
		e.deps = append(e.deps, e.ins[k].deps...)
		e.ins[k].deps = nil
		e.depOf[k+1] = int32(len(e.deps))
	}
	e.self = make([]int32, len(e.nodes))
	for i := range e.nodes {
		e.self[i] = e.slot[e.nodes[i].id]
	}
	e.levels = make([][]int32, maxLevel+1)
	e.marked = make([]bool, len(e.nodes))
	return e, nil
}

// input returns the index into ins of tag t, adding it on first use.
func (e *Engine) input(t *datasource.Tag) int32 {
	if k := e.slot[t.ID]; k > 0 {
		return k - 1
	}
	e.ins = append(e.ins, input{name: t.Name, typ: t.Type})
	e.cur = append(e.cur, datasource.Sample{Tag: t.ID, Quality: datasource.BadQuality(datasource.WaitingForInitialData)})
	e.slot[t.ID] = int32(len(e.ins))
	return int32(len(e.ins) - 1)
}

// Derive implements datasource.Deriver: it takes the samples of batch that
// calculated tags read, evaluates the tags whose inputs changed (and the
// totalizers and statistics of every input sample, the clock functions and
// the resets due at now), and appends their samples to out.
func (e *Engine) Derive(batch []datasource.Sample, now time.Time, out []datasource.Sample) []datasource.Sample {
	e.mu.Lock()
	defer e.mu.Unlock()
	if now.IsZero() { // Table.Publish: the samples carry their times
		for i := range batch {
			if batch[i].Time.After(now) {
				now = batch[i].Time
			}
		}
		if now.IsZero() {
			return out
		}
	}
	e.takeBatch(batch, now)
	for _, n := range e.volatile {
		e.mark(n)
	}
	for _, n := range e.scheduled {
		if z := e.nodes[n].total; !now.Before(z.next) {
			e.mark(n)
		}
	}
	for _, n := range e.pending {
		e.mark(n)
	}
	e.set.mu.Lock()
	defer e.set.mu.Unlock()
	return e.run(now, out)
}

// layoutKey identifies the layout of a batch the way datasource.Feed does:
// a scan class's batches have the same length and the same tags at the
// ends, and the same tags in between.
type layoutKey struct {
	n           int
	first, last datasource.TagID
}

// maxLayouts bounds the layouts remembered: one per scan class is the
// normal case; batches of every other shape (a device failing, a write's
// read-back) are small and scanned.
const maxLayouts = 256

// minLayoutBatch is the smallest batch whose layout is remembered.
const minLayoutBatch = 64

// takeBatch takes the samples of batch that calculated tags read. A large
// batch is read through the positions of the inputs in the last batch of
// its layout, checking that each still holds its tag, so that a scan of
// thousands of tags of which a few are inputs costs a few reads, not a
// pass over the batch. A position that no longer holds its tag means the
// layout changed: the batch is scanned and its positions remembered anew.
// (As with a Feed, a batch of the same length and ends that carries an
// input at a new place while every remembered place still holds its input
// would not be seen; scan classes never do that.)
func (e *Engine) takeBatch(batch []datasource.Sample, now time.Time) {
	if len(batch) < minLayoutBatch {
		e.scan(batch, now, nil)
		return
	}
	key := layoutKey{n: len(batch), first: batch[0].Tag, last: batch[len(batch)-1].Tag}
	if pos, ok := e.layouts[key]; ok {
		fits := true
		for _, p := range pos {
			if batch[p.at].Tag != p.tag {
				fits = false
				break
			}
		}
		if fits {
			for _, p := range pos {
				e.take(p.in, &batch[p.at], now)
			}
			return
		}
	}
	if e.layouts == nil || len(e.layouts) >= maxLayouts {
		e.layouts = map[layoutKey][]inputAt{}
	}
	e.layouts[key] = e.scan(batch, now, []inputAt{})
}

// inputAt is where in a batch of some layout an input was.
type inputAt struct {
	at  int32
	in  int32
	tag datasource.TagID
}

// scan takes the inputs of batch by looking at every sample, and appends
// where they were to pos unless pos is nil.
func (e *Engine) scan(batch []datasource.Sample, now time.Time, pos []inputAt) []inputAt {
	slot := e.slot
	for i := range batch {
		id := batch[i].Tag
		if int(id) >= len(slot) || slot[id] == 0 {
			continue
		}
		e.take(slot[id]-1, &batch[i], now)
		if pos != nil {
			pos = append(pos, inputAt{at: int32(i), in: slot[id] - 1, tag: id})
		}
	}
	return pos
}

// take stores s as the latest sample of input k and marks the nodes that
// must see it: totalizers and statistics every sample, expressions a change,
// whose variables it updates.
func (e *Engine) take(k int32, s *datasource.Sample, now time.Time) {
	cur := &e.cur[k]
	changed := cur.Value != s.Value || cur.Quality != s.Quality
	wasGood := usable(cur)
	*cur = *s
	if cur.Time.IsZero() {
		cur.Time = now
	}
	deps := e.deps[e.depOf[k]:e.depOf[k+1]]
	if !changed {
		for _, d := range deps {
			if n := &e.nodes[d.node]; !n.expr {
				e.mark(d.node)
			} else if cur.Time.After(n.newest) {
				n.newest = cur.Time
			}
		}
		return
	}
	f, ok := s.Value.AsFloat()
	if !ok {
		f = math.NaN()
	}
	flip := 0
	if good := usable(cur); good != wasGood {
		flip = 1
		if good {
			flip = -1
		}
	}
	for _, d := range deps {
		n := &e.nodes[d.node]
		if n.expr {
			if n.vals != nil {
				n.vals[d.pos] = f
			}
			n.notGood += int32(flip)
			if cur.Time.After(n.newest) {
				n.newest = cur.Time
			}
		}
		e.mark(d.node)
	}
}

// usable reports whether an input sample is Good with a value.
func usable(s *datasource.Sample) bool { return s.Quality.IsGood() && !s.Value.IsNone() }

// box converts v to the Go value an expression sees for a tag of type t.
func box(v datasource.Value, t datasource.DataType) any {
	switch t {
	case datasource.TypeBool:
		return v.AsBool()
	case datasource.TypeString:
		return v.AsString()
	}
	f, _ := v.AsFloat()
	return f
}

func (e *Engine) mark(n int32) {
	if e.marked[n] {
		return
	}
	e.marked[n] = true
	lv := e.nodes[n].level
	e.levels[lv] = append(e.levels[lv], n)
}

// run evaluates the marked nodes, level by level so that a tag computed
// from calculated tags sees their new values, and appends the samples.
func (e *Engine) run(now time.Time, out []datasource.Sample) []datasource.Sample {
	for lv := range e.levels {
		// A node marks only higher levels, so this level's list is final.
		for _, i := range e.levels[lv] {
			e.marked[i] = false
			n := &e.nodes[i]
			start := len(out)
			switch {
			case n.expr:
				s, changed := e.evalExpr(n, now)
				if !changed {
					continue
				}
				out = append(out, s)
			case n.total != nil:
				out = e.stepTotal(n, i, now, out)
			case n.roll != nil:
				out = e.stepRolling(n, now, out)
			}
			if len(out) > start {
				n.last = out[len(out)-1]
				if k := e.self[i]; k > 0 {
					for j := start; j < len(out); j++ {
						e.take(k-1, &out[j], now)
					}
				}
			}
		}
		e.levels[lv] = e.levels[lv][:0]
	}
	return out
}

// evalExpr evaluates an expression node. changed is false when a volatile
// node's result is what it last published.
func (e *Engine) evalExpr(n *node, now time.Time) (s datasource.Sample, changed bool) {
	s = datasource.Sample{Tag: n.id, Time: n.newest}
	allGood := n.notGood == 0
	if n.volatile || s.Time.IsZero() {
		s.Time = now
	}
	var v datasource.Value
	var verr error
	if allGood && n.ops != nil {
		f, err := runOps(n.ops, n.vals, &e.st)
		switch {
		case err != nil:
			verr = err
		case n.isBool:
			v = datasource.Bool(f != 0)
		case math.IsNaN(f) || math.IsInf(f, 0):
			v, verr = value(f, nil, datasource.TypeFloat64) // its message
		default:
			v = datasource.Float(f)
		}
	} else {
		p := n.d.prog
		for j, k := range n.ins {
			n.env[n.d.inputs[j].Name] = box(e.cur[k].Value, e.ins[k].typ)
		}
		ctx := e.set.ctx // run holds e.set.mu
		ctx.now = now.In(e.set.opts.Location)
		prog := p.fast
		if !allGood {
			prog = p.tracked
			ctx.env, ctx.track = n.env, ctx.track[:0]
		}
		res, err := e.vm.Run(prog, n.env)
		if !allGood {
			s.Quality = e.worst(n, ctx.track)
			ctx.env = nil
		}
		v, verr = value(res, err, p.out)
	}
	switch {
	case s.Quality.IsBad():
		// The cause is the input, not the arithmetic: keep the last value
		// (as a failed device's tags do) when this one cannot be computed.
		if verr != nil {
			v = n.last.Value
		}
		n.msg = ""
	case verr != nil:
		s.Quality = datasource.BadQuality(datasource.CalcError)
		n.msg = e.explain(n, verr)
	default:
		n.msg = ""
	}
	s.Value = v
	if n.volatile && s.Value == n.last.Value && s.Quality == n.last.Quality {
		return s, false
	}
	return s, true
}

// worst returns the worst quality of the inputs an evaluation read, with
// that input's reason; an input without a value yet is Bad.
func (e *Engine) worst(n *node, read []string) datasource.Quality {
	q := datasource.QualityGood
	for _, name := range read {
		for j, in := range n.d.inputs {
			if in.Name != name {
				continue
			}
			iq := e.cur[n.ins[j]].Quality
			if e.cur[n.ins[j]].Value.IsNone() && !iq.IsBad() {
				iq = datasource.BadQuality(datasource.WaitingForInitialData)
			}
			if iq.Status > q.Status {
				q = iq
			}
		}
	}
	return q
}

// value converts an expression's result to a Value of type out; NaN, ±Inf
// and a failed run are errors.
func value(res any, err error, out datasource.DataType) (datasource.Value, error) {
	if err != nil {
		if errors.Is(err, errDivZero) {
			return datasource.Value{}, errDivZero
		}
		_, msg := exprError(err, 0)
		return datasource.Value{}, errors.New(msg)
	}
	switch r := res.(type) {
	case bool:
		return datasource.Bool(r), nil
	case string:
		return datasource.String(r), nil
	case float64:
		switch {
		case math.IsNaN(r):
			return datasource.Value{}, errors.New("the result is not a number (NaN)")
		case math.IsInf(r, 0):
			return datasource.Value{}, fmt.Errorf("the result is %v (an overflow or a logarithm of 0)", r)
		}
		return datasource.Float(r), nil
	case int:
		return datasource.Float(float64(r)), nil
	}
	return datasource.Value{}, fmt.Errorf("the result %v is not a %s", res, out)
}

// explain says what went wrong with the expression and the values it had.
func (e *Engine) explain(n *node, err error) string {
	var b strings.Builder
	b.WriteString(n.d.calc.Expr)
	b.WriteString(": ")
	b.WriteString(err.Error())
	for j, in := range n.d.inputs {
		if j == 0 {
			b.WriteString(", with ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(in.Name)
		b.WriteString(" = ")
		b.WriteString(e.cur[n.ins[j]].Value.Format(-1))
	}
	return b.String()
}

// Explain returns why calculated tag id is Bad/CalcError — the expression,
// what failed and the values of its inputs — or "" when it is not.
func (e *Engine) Explain(id datasource.TagID) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.nodes {
		if n := &e.nodes[i]; n.id == id {
			return n.msg
		}
	}
	return ""
}
