package calc

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/vigil-hmi/vigil/datasource"
)

// Engine evaluates a Set's calculated tags from the samples published into
// a table: install it with TableEngine.SetDeriver. Its methods may be called from
// any goroutine.
//
// Its state is laid out for the publish path, where a plant of thousands
// of calculated tags must cost a few cache lines per changed input and per
// evaluation, not a dozen scattered objects: flat slices indexed by input
// and by node rather than maps and pointers, an input's latest value and
// its readers in one 32-byte word, what a change writes to a node (mark)
// and what an evaluation reads (hot) apart from the rest (node), the fast
// programs' inputs and constants in one array of frames, and each distinct
// fast program once.
type Engine struct {
	mu  sync.Mutex // guards everything below: Derive runs under the table's lock, then this one
	set *Set
	vm  vm.VM
	st  [fastStack]float64 // the fast path's stack

	slot []int32 // by TagID: 1 + the index of a tag some calculated tag reads among the inputs; 0 if none does
	// By input: word is its latest value and quality, packed, with the
	// nodes reading it; cur the latest sample of an input whose word does
	// not say all (a string, an input of a totalizer or a statistic), ins
	// its name and type. A change of an input costs its word and the mark
	// of its readers, both small: a scan of thousands of inputs streams
	// through the words (a quarter of what the samples take), and the
	// inputs are read again only when an expression is evaluated.
	word []word
	cur  []datasource.Sample
	ins  []input
	deps []int32 // word[k].off: the nodes reading all inputs, in one array

	// By node, in the Set's order (dependencies first).
	hot    []hot
	marks  []mark              // what mark writes: small, so that it stays in the cache
	last   []datasource.Sample // the latest sample published for the tag
	nodes  []node
	self   []int32   // 1 + the index of the node's own tag among the inputs when another node reads it
	args   []int32   // hot.args: each node's inputs, as indices of word
	frames []float64 // hot.frame: each fast program's inputs (bools 0 or 1), set before a run, then its constants
	code   []op      // hot.code: the fast programs, each distinct one once

	levels    [][]int32 // the marked nodes to evaluate, by level
	volatile  []int32   // nodes that call a clock function
	scheduled []int32   // totalizers with a reset schedule
	pending   []int32   // totalizers reset on demand, not yet done
	layouts   map[layoutKey]*layout
	touched   uint32 // what takeAt read ahead adds up to: kept, so that the reads are made
}

// input is the name and type of a tag some calculated tag reads.
type input struct {
	name string
	typ  datasource.DataType
	deps []int32 // the nodes reading it, while NewEngine builds Engine.deps
}

// word is an input's tag, latest value and quality, packed (the value of a
// string is in cur), and the nodes reading it: the one (most inputs feed
// one calculated tag, which then costs no second lookup) or
// deps[off:off+n]. 32 bytes, two to a cache line.
type word struct {
	bits   uint64
	tag    datasource.TagID
	kind   datasource.Kind
	q      datasource.Quality
	flags  uint8 // wString, wAlways
	one    int32
	off, n int32
}

// The flags of word: either makes the quick check of a sample (unchanged)
// say it cannot tell.
const (
	wString uint8 = 1 << iota // the value is a string: cur has it
	wAlways                   // a totalizer or statistic reads it, which takes every sample, changed or not: cur has it, with its time
)

// unchanged reports whether s, at the input's place in a batch, has the
// value and quality of w: false when the quick check cannot tell.
func (w *word) unchanged(s *datasource.Sample) bool {
	kind, bits := s.Value.Word()
	return bits == w.bits && kind == w.kind && s.Quality == w.q && w.flags == 0
}

// float returns the value of w as the fast path sees it (a bool as 0 or
// 1), as Value.AsFloat does; ok is false for a string, whose text is not
// in w.
func (w *word) float() (f float64, ok bool) {
	switch w.kind {
	case datasource.KindFloat:
		return math.Float64frombits(w.bits), true
	case datasource.KindBool, datasource.KindUint:
		return float64(w.bits), true
	case datasource.KindInt:
		return float64(int64(w.bits)), true
	}
	return 0, false
}

// usable reports whether the input is Good with a value.
func (w *word) usable() bool { return w.q.IsGood() && w.kind != datasource.KindNone }

// mark is a node's part of a change of one of its inputs.
type mark struct {
	newest time.Time // the time of the newest input sample that changed
	level  int32     // of the def
	on     bool      // marked: in levels, to be evaluated
}

// hot is what an evaluation of an expression reads.
type hot struct {
	code  int32 // the fast program is code[code:code+ncode]
	ncode int32 // 0: the expression needs the VM
	frame int32 // the fast program's frame starts at frames[frame]
	args  int32 // its inputs are args[args:args+nargs]
	nargs int32
	id    datasource.TagID
	flags uint8
}

// The flags of hot.
const (
	fExpr     uint8 = 1 << iota // an expression (the others are totalizers and statistics)
	fBool                       // its fast program gives a bool
	fVolatile                   // calls a clock function
	fMsg                        // node.msg is set
)

// node is the rest of the running state of one calculated tag.
type node struct {
	d   *def
	id  datasource.TagID
	ins []int32        // indices into Engine.ins, parallel to d.inputs
	env map[string]any // the VM's inputs by name; nil until the VM first runs
	msg string         // why the last evaluation was Bad/CalcError
	// The state of a totalizer or a statistic.
	total *totalizer
	roll  *rolling
}

// NewEngine returns an engine for set over a table of ntags tags.
func NewEngine(set *Set, ntags int) (*Engine, error) {
	nn := len(set.defs)
	e := &Engine{set: set, slot: make([]int32, ntags), hot: make([]hot, nn), marks: make([]mark, nn), last: make([]datasource.Sample, nn), nodes: make([]node, nn)}
	// frames[0] is no node's: what the read-ahead of a node without a fast
	// program (frame -1) touches.
	e.frames = []float64{0}
	progs := map[string]int32{} // a program's ops, as text: its place in code
	maxLevel := 0
	for i, d := range set.defs {
		for _, t := range append([]*datasource.Tag{d.tag}, d.inputs...) {
			if int(t.ID) >= ntags {
				return nil, fmt.Errorf("calc: tag %s: ID %d is outside the table of %d tags", t.Name, t.ID, ntags)
			}
		}
		n, h := &e.nodes[i], &e.hot[i]
		*n = node{d: d, id: d.tag.ID}
		*h = hot{id: d.tag.ID, frame: -1, args: int32(len(e.args)), nargs: int32(len(d.inputs))}
		e.marks[i].level = int32(d.level)
		e.last[i] = datasource.Sample{Tag: d.tag.ID, Quality: datasource.BadQuality(datasource.WaitingForInitialData)}
		if d.prog != nil {
			h.flags |= fExpr
			if q := d.prog.quick; q != nil {
				if d.prog.out == datasource.TypeBool {
					h.flags |= fBool
				}
				h.frame = int32(len(e.frames))
				e.frames = append(e.frames, q.frame(make([]float64, len(d.inputs)))...)
				key := fmt.Sprint(q.ops)
				off, ok := progs[key]
				if !ok {
					off = int32(len(e.code))
					e.code = append(e.code, q.ops...)
					progs[key] = off
				}
				h.code, h.ncode = off, int32(len(q.ops))
			}
		}
		for _, in := range d.inputs {
			k := e.input(in)
			n.ins = append(n.ins, k)
			e.ins[k].deps = append(e.ins[k].deps, int32(i))
			if d.prog == nil {
				e.word[k].flags |= wAlways
			}
		}
		e.args = append(e.args, n.ins...)
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
			h.flags |= fVolatile
			e.volatile = append(e.volatile, int32(i))
		}
		maxLevel = max(maxLevel, d.level)
	}
	// The readers of all inputs in one array, in input order.
	var ndeps int
	for k := range e.ins {
		ndeps += len(e.ins[k].deps)
	}
	e.deps = make([]int32, 0, ndeps)
	for k := range e.ins {
		w := &e.word[k]
		ds := e.ins[k].deps
		w.off, w.n = int32(len(e.deps)), int32(len(ds))
		if len(ds) > 0 {
			w.one = ds[0]
		}
		e.deps = append(e.deps, ds...)
		e.ins[k].deps = nil
	}
	e.self = make([]int32, nn)
	for i := range e.nodes {
		e.self[i] = e.slot[e.nodes[i].id]
	}
	e.levels = make([][]int32, maxLevel+1)
	return e, nil
}

// input returns the index among the inputs of tag t, adding it on first use.
func (e *Engine) input(t *datasource.Tag) int32 {
	if k := e.slot[t.ID]; k > 0 {
		return k - 1
	}
	e.ins = append(e.ins, input{name: t.Name, typ: t.Type})
	waiting := datasource.BadQuality(datasource.WaitingForInitialData)
	e.cur = append(e.cur, datasource.Sample{Tag: t.ID, Quality: waiting})
	e.word = append(e.word, word{tag: t.ID, q: waiting})
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
		e.mark(n, time.Time{})
	}
	for _, n := range e.scheduled {
		if z := e.nodes[n].total; !now.Before(z.next) {
			e.mark(n, time.Time{})
		}
	}
	for _, n := range e.pending {
		e.mark(n, time.Time{})
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
// layout changed: the batch is scanned and its positions remembered anew
// (taking again an input taken already changes nothing). (As with a Feed,
// a batch of the same length and ends that carries an input at a new place
// while every remembered place still holds its input would not be seen;
// scan classes never do that.)
func (e *Engine) takeBatch(batch []datasource.Sample, now time.Time) {
	if len(batch) < minLayoutBatch {
		e.scan(batch, now, nil)
		return
	}
	key := layoutKey{n: len(batch), first: batch[0].Tag, last: batch[len(batch)-1].Tag}
	if l, ok := e.layouts[key]; ok && e.takeAt(batch, l, now) {
		return
	}
	if e.layouts == nil || len(e.layouts) >= maxLayouts {
		e.layouts = map[layoutKey]*layout{}
	}
	l := &layout{pos: e.scan(batch, now, []inputAt{})}
	// In order when most inputs follow the one before in cur: a scan
	// class's batch, whose inputs were numbered in the order of its tags.
	var ahead int
	for i := 1; i < len(l.pos); i++ {
		if l.pos[i].in > l.pos[i-1].in {
			ahead++
		}
	}
	l.scattered = ahead < len(l.pos)*3/4
	if !l.scattered {
		for _, p := range l.pos {
			if n := len(l.runs); n > 0 && l.runs[n-1].at+l.runs[n-1].n == p.at && l.runs[n-1].in+l.runs[n-1].n == p.in {
				l.runs[n-1].n++
				continue
			}
			l.runs = append(l.runs, run{at: p.at, in: p.in, n: 1})
		}
		l.pos = nil
	}
	e.layouts[key] = l
}

// run is where consecutive inputs were in a batch of some layout: inputs
// in..in+n-1 at at..at+n-1. A scan class's tags are numbered as inputs in
// the order the class reads them, so its batch is a few runs.
type run struct{ at, in, n int32 }

// layout is where the inputs were in a batch of some layout: runs in
// order, pos when scattered.
type layout struct {
	runs []run
	pos  []inputAt
	// scattered says that the inputs are not in the order of cur (a batch
	// of changes, in the order they came), so that takeAt touches their
	// lines ahead; in order, the memory's own prefetching does it better.
	scattered bool
}

// touchAhead is how many inputs takeAt touches before taking them.
const touchAhead = 16

// takeAt takes the inputs of batch at the positions of l, and reports
// whether each position held its input. The inputs of a scattered batch
// are scattered over the words, and their readers over the marks: taken
// one by one, each waits for its cache misses in turn. So the lines of a
// group of inputs are touched first, with loads that do not depend on each
// other and so are in flight together, and then taken from the cache.
func (e *Engine) takeAt(batch []datasource.Sample, l *layout, now time.Time) bool {
	if !l.scattered {
		for _, r := range l.runs {
			// The batch's samples and the inputs' words side by side: two
			// streams the memory reads ahead, a line a sample, two words a
			// line.
			ss, ws := batch[r.at:r.at+r.n], e.word[r.in:r.in+r.n]
			for j := range ss {
				s, w := &ss[j], &ws[j]
				if s.Tag != w.tag {
					return false
				}
				// Most inputs of a scan did not change, and then the call
				// would be most of the cost.
				if w.unchanged(s) {
					continue
				}
				e.take(r.in+int32(j), s, now)
			}
		}
		return true
	}
	pos := l.pos
	var x uint32
	for g := 0; g < len(pos); g += touchAhead {
		grp := pos[g:min(g+touchAhead, len(pos))]
		for i := range grp {
			w := &e.word[grp[i].in]
			x += uint32(w.tag) + uint32(e.marks[w.one].level)
		}
		for i := range grp {
			p := &grp[i]
			s := &batch[p.at]
			if s.Tag != p.tag {
				return false
			}
			e.take(p.in, s, now)
		}
	}
	e.touched += x
	return true
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
		k := slot[id] - 1
		e.take(k, &batch[i], now)
		if pos != nil {
			pos = append(pos, inputAt{at: int32(i), in: k, tag: id})
		}
	}
	return pos
}

// take stores s as the latest sample of input k and marks the nodes that
// must see it: totalizers and statistics every sample, expressions a
// change of value or quality. An unchanged sample of an input only
// expressions read costs the comparison; a changed one its word and the
// marks of its readers.
func (e *Engine) take(k int32, s *datasource.Sample, now time.Time) {
	w := &e.word[k]
	if w.unchanged(s) {
		return // nothing reads the time of an input only expressions read, but at a change
	}
	t := s.Time
	if t.IsZero() {
		t = now
	}
	if w.flags != 0 {
		cur := &e.cur[k]
		if cur.Value == s.Value && cur.Quality == s.Quality {
			if w.flags&wAlways == 0 {
				return
			}
			cur.Time = t
			for _, n := range e.deps[w.off : w.off+w.n] {
				if e.hot[n].flags&fExpr == 0 {
					e.mark(n, t)
				}
			}
			return
		}
	}
	kind, bits := s.Value.Word()
	w.bits, w.kind, w.q = bits, kind, s.Quality
	w.flags &^= wString
	if kind == datasource.KindString {
		w.flags |= wString
	}
	if w.flags != 0 {
		e.cur[k] = *s
		e.cur[k].Time = t
	}
	if w.n == 1 {
		e.mark(w.one, t)
		return
	}
	for _, n := range e.deps[w.off : w.off+w.n] {
		e.mark(n, t)
	}
}

// inputValue returns the latest value of input k.
func (e *Engine) inputValue(k int32) datasource.Value {
	w := &e.word[k]
	if w.flags&wString != 0 {
		return e.cur[k].Value
	}
	return datasource.ValueOfWord(w.kind, w.bits)
}

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

// mark marks node n to be evaluated, for a change of an input at t (zero:
// for another reason).
func (e *Engine) mark(n int32, t time.Time) {
	m := &e.marks[n]
	if t.After(m.newest) {
		m.newest = t
	}
	if m.on {
		return
	}
	m.on = true
	e.levels[m.level] = append(e.levels[m.level], n)
}

// run evaluates the marked nodes, level by level so that a tag computed
// from calculated tags sees their new values, and appends the samples.
func (e *Engine) run(now time.Time, out []datasource.Sample) []datasource.Sample {
	var x uint32
	for lv := range e.levels {
		// A node marks only higher levels, so this level's list is final.
		for j, i := range e.levels[lv] {
			if j%touchAhead == 0 {
				// As takeAt: the lines of the next nodes are touched
				// first, so that their cache misses overlap.
				for _, k := range e.levels[lv][j:min(j+touchAhead, len(e.levels[lv]))] {
					h := &e.hot[k]
					x += uint32(e.frames[max(h.frame, 0)]) + uint32(e.last[k].Tag)
					for _, a := range e.args[h.args : h.args+h.nargs] {
						x += uint32(e.word[a].tag)
					}
				}
			}
			e.marks[i].on = false
			h := &e.hot[i]
			start := len(out)
			if h.flags&fExpr != 0 {
				s, changed := e.evalExpr(i, h, now)
				if !changed {
					continue
				}
				out = append(out, s)
			} else if n := &e.nodes[i]; n.total != nil {
				out = e.stepTotal(n, i, now, out)
			} else if n.roll != nil {
				out = e.stepRolling(n, i, now, out)
			}
			if len(out) > start {
				e.last[i] = out[len(out)-1]
				if k := e.self[i]; k > 0 {
					for j := start; j < len(out); j++ {
						e.take(k-1, &out[j], now)
					}
				}
			}
		}
		e.levels[lv] = e.levels[lv][:0]
	}
	e.touched += x
	return out
}

// evalExpr evaluates expression node i. changed is false when a volatile
// node's result is what it last published.
func (e *Engine) evalExpr(i int32, h *hot, now time.Time) (s datasource.Sample, changed bool) {
	s = datasource.Sample{Tag: h.id, Time: e.marks[i].newest}
	allGood := e.allGood(h)
	volatile := h.flags&fVolatile != 0
	if volatile || s.Time.IsZero() {
		s.Time = now
	}
	var v datasource.Value
	var verr error
	if allGood && h.ncode > 0 {
		f, err := runOps(e.code[h.code:h.code+h.ncode], e.frames[h.frame:], &e.st)
		switch {
		case err != nil:
			verr = err
		case h.flags&fBool != 0:
			v = datasource.Bool(f != 0)
		case math.IsNaN(f) || math.IsInf(f, 0):
			v, verr = value(f, nil, datasource.TypeFloat64) // its message
		default:
			v = datasource.Float(f)
		}
	} else {
		n := &e.nodes[i]
		p := n.d.prog
		if n.env == nil {
			// Made at the first run on the VM: a tag on the fast path
			// whose inputs stay Good never needs one.
			n.env = make(map[string]any, len(n.ins))
		}
		for j, k := range n.ins {
			n.env[p.keys[j]] = box(e.inputValue(k), e.ins[k].typ)
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
			v = e.last[i].Value
		}
		e.clearMsg(i, h)
	case verr != nil:
		s.Quality = datasource.BadQuality(datasource.CalcError)
		n := &e.nodes[i]
		n.msg = e.explain(n, verr)
		h.flags |= fMsg
	default:
		e.clearMsg(i, h)
	}
	s.Value = v
	if volatile && s.Value == e.last[i].Value && s.Quality == e.last[i].Quality {
		return s, false
	}
	return s, true
}

// allGood reports whether every input of h is Good with a value, and if so
// and h has a fast program, puts their values in its frame (a bool as 0 or
// 1).
func (e *Engine) allGood(h *hot) bool {
	args := e.args[h.args : h.args+h.nargs]
	if h.ncode == 0 {
		for _, k := range args {
			if !e.word[k].usable() {
				return false
			}
		}
		return true
	}
	fr := e.frames[h.frame : h.frame+h.nargs]
	for j, k := range args {
		w := &e.word[k]
		if !w.usable() {
			return false
		}
		f, ok := w.float()
		if !ok {
			if f, ok = e.cur[k].Value.AsFloat(); !ok { // a string
				f = math.NaN()
			}
		}
		fr[j] = f
	}
	return true
}

// clearMsg forgets why node i was Bad/CalcError; it touches the node only
// when there is something to forget.
func (e *Engine) clearMsg(i int32, h *hot) {
	if h.flags&fMsg != 0 {
		e.nodes[i].msg = ""
		h.flags &^= fMsg
	}
}

// worst returns the worst quality of the inputs an evaluation read, with
// that input's reason; an input without a value yet is Bad.
func (e *Engine) worst(n *node, read []string) datasource.Quality {
	q := datasource.QualityGood
	for _, name := range read {
		j, ok := slotOf(name)
		if !ok || j >= len(n.ins) {
			continue
		}
		w := &e.word[n.ins[j]]
		iq := w.q
		if w.kind == datasource.KindNone && !iq.IsBad() {
			iq = datasource.BadQuality(datasource.WaitingForInitialData)
		}
		if iq.Status > q.Status {
			q = iq
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
		// Without the column exprError adds: the program may be shared
		// with another tag of the same formula whose text it was compiled
		// from, where the column is another.
		msg := err.Error()
		var fe *file.Error
		if errors.As(err, &fe) {
			msg = fe.Message
		}
		msg, _, _ = strings.Cut(msg, "\n")
		if strings.HasSuffix(msg, "integer divide by zero") { // % by 0, a Go runtime panic the VM recovers
			return datasource.Value{}, errDivZero
		}
		return datasource.Value{}, errors.New(strings.TrimPrefix(msg, "runtime error: "))
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
		b.WriteString(datasource.FormatValueExact(in, e.inputValue(n.ins[j])))
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
