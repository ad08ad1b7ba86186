package calc

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/vigil-hmi/vigil/datasource"
)

// errDivZero is what a division by zero in an expression fails with.
var errDivZero = errors.New("division by zero")

// clockFuncs are the functions whose result depends on the time of the
// evaluation rather than on tags: an expression calling one is evaluated at
// every publish (volatile), not only when an input changes.
var clockFuncs = map[string]bool{"hour": true, "minute": true, "weekday": true, "day": true, "month": true, "timeofday": true}

// evalCtx is what the functions of a Set's programs read while one of them
// runs: the time of the evaluation and, for the tracking program, the
// inputs it may read and which of them it did. The Engine sets it under
// its lock before each run.
type evalCtx struct {
	now   time.Time // in the project's time zone
	env   map[string]any
	track []string // names read by the tracking program, in order
}

// refRewriter turns a member chain that names a tag (Pump1.Flow, parsed as
// field Flow of Pump1) into one identifier "Pump1.Flow", and notes chains
// of plain names that name no tag, for a clearer message than the checker's
// "unknown name Pump1".
type refRewriter struct {
	isTag   func(string) bool
	unknown []string
}

// unknownTags returns the dotted names that name no tag and are not the
// start of a longer chain (Area.Pump1 of Area.Pump1.Flow, visited first).
func (r *refRewriter) unknownTags(resolved []string) []string {
	var out []string
	for _, u := range r.unknown {
		inner := false
		for _, longer := range append(resolved, r.unknown...) {
			if strings.HasPrefix(longer, u+".") {
				inner = true
				break
			}
		}
		if !inner {
			out = append(out, u)
		}
	}
	return out
}

// dotted returns the name a member chain of plain identifiers spells.
func dotted(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return n.Value, true
	case *ast.MemberNode:
		if n.Optional || n.Method {
			return "", false
		}
		prop, ok := n.Property.(*ast.StringNode)
		if !ok {
			return "", false
		}
		left, ok := dotted(n.Node)
		if !ok {
			return "", false
		}
		return left + "." + prop.Value, true
	}
	return "", false
}

// Visit implements ast.Visitor; Walk visits children first, so inner chains
// are rewritten before the chains around them.
func (r *refRewriter) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	path, ok := dotted(m)
	if !ok {
		return
	}
	if name, ok := strings.CutPrefix(path, "$env."); ok {
		// $env["Tank-1.Level"]: a tag whose name is no identifier path.
		if r.isTag(name) {
			ast.Patch(node, &ast.IdentifierNode{Value: name})
		} else {
			r.unknown = append(r.unknown, name)
		}
		return
	}
	if r.isTag(path) {
		ast.Patch(node, &ast.IdentifierNode{Value: path})
		return
	}
	if root, _, _ := strings.Cut(path, "."); !r.isTag(root) {
		r.unknown = append(r.unknown, path)
	}
}

// renamer turns the identifier of each tag an expression reads (after
// refRewriter) into its place among the expression's inputs: "@0", "@1",
// …, which no tag name can be.
type renamer []string

// Visit implements ast.Visitor.
func (r renamer) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok {
		if i := slices.Index(r, id.Value); i >= 0 {
			id.Value = slotName(i)
		}
	}
}

// slotName is the identifier of input i in a positional program.
func slotName(i int) string { return "@" + strconv.Itoa(i) }

// slotNames are the identifiers of n inputs in a positional program.
func slotNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = slotName(i)
	}
	return out
}

// slotOf returns the input a positional program's identifier stands for.
func slotOf(name string) (int, bool) {
	i, err := strconv.Atoi(strings.TrimPrefix(name, "@"))
	return i, err == nil && strings.HasPrefix(name, "@")
}

// shapeKey is what the programs of expression src over the tags refs
// (types from typeOf), declared want, depend on: its tree with the tags
// numbered (ast.Dump, which leaves positions out), their types and want.
// Two tags with one key run the same programs.
func shapeKey(src string, refs []string, typeOf func(string) datasource.DataType, isTag func(string) bool, want *datasource.DataType) (string, error) {
	tree, err := parser.Parse(src)
	if err != nil {
		return "", err
	}
	ast.Walk(&tree.Node, &refRewriter{isTag: isTag})
	ast.Walk(&tree.Node, renamer(refs))
	var b strings.Builder
	for _, r := range refs {
		b.WriteString(reflect.TypeOf(zeroOf(typeOf(r))).Kind().String())
		b.WriteByte(',')
	}
	if want != nil {
		b.WriteString("as " + want.String())
	}
	b.WriteByte('\n')
	b.WriteString(ast.Dump(tree.Node))
	return b.String(), nil
}

// refCollector lists the tags an expression (after refRewriter) reads and
// whether it calls a clock function.
type refCollector struct {
	isTag    func(string) bool
	refs     []string
	seen     map[string]bool
	volatile bool
}

// Visit implements ast.Visitor.
func (c *refCollector) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if c.isTag(n.Value) && !c.seen[n.Value] {
			c.seen[n.Value] = true
			c.refs = append(c.refs, n.Value)
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && clockFuncs[id.Value] {
			c.volatile = true
		}
	}
}

// tracker rewrites every tag identifier into a call that records the read:
// the program it makes tells which inputs an evaluation needed (a branch
// not taken, the right side of a short-circuited || are not needed).
type tracker struct{ kinds map[string]reflect.Kind }

// Visit implements ast.Visitor.
func (t tracker) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok {
		return
	}
	k, isTag := t.kinds[id.Value]
	if !isTag {
		return
	}
	fn, typ := "_inf", reflect.TypeOf(float64(0))
	switch k {
	case reflect.Bool:
		fn, typ = "_inb", reflect.TypeOf(false)
	case reflect.String:
		fn, typ = "_ins", reflect.TypeOf("")
	}
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: []ast.Node{&ast.StringNode{Value: id.Value}}}
	// Typed as the identifier was: the operator patch that turns / into
	// _div reads the operands' types, and left an untyped call (inside a
	// function's arguments) to the VM's own /, which says no division by
	// zero, so the tracking program and the fast path disagreed.
	call.SetType(typ)
	ast.Patch(node, call)
}

// parseRefs parses src and returns the tags it reads, in order of first
// appearance, whether it is volatile, and the dotted names that are no tag.
func parseRefs(src string, isTag func(string) bool) (refs []string, volatile bool, unknown []string, err error) {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, false, nil, err
	}
	rw := &refRewriter{isTag: isTag}
	ast.Walk(&tree.Node, rw)
	col := &refCollector{isTag: isTag, seen: map[string]bool{}}
	ast.Walk(&tree.Node, col)
	return col.refs, col.volatile, rw.unknownTags(col.refs), nil
}

// zeroOf is the Go value an expression sees for a tag of type t: bool,
// string, or float64 for every numeric type (scaled or not), so that
// process arithmetic never truncates.
func zeroOf(t datasource.DataType) any {
	switch t {
	case datasource.TypeBool:
		return false
	case datasource.TypeString:
		return ""
	}
	return float64(0)
}

// options are the expr options of every program of a Set: the functions a
// process engineer expects, division that refuses zero, and no builtin that
// reads the wall clock (now, date), which would bypass the injected clock.
func options(ctx *evalCtx) []expr.Option {
	f1 := func(name string, fn func(float64) float64) expr.Option {
		return expr.Function(name, func(p ...any) (any, error) { return fn(num(p[0])), nil }, new(func(float64) float64))
	}
	clock := func(name string, fn func(time.Time) int) expr.Option {
		return expr.Function(name, func(...any) (any, error) { return fn(ctx.now), nil }, new(func() int))
	}
	input := func(name string, typ any) expr.Option {
		return expr.Function(name, func(p ...any) (any, error) {
			n := p[0].(string)
			ctx.track = append(ctx.track, n)
			return ctx.env[n], nil
		}, typ)
	}
	return []expr.Option{
		expr.DisableBuiltin("now"),
		expr.DisableBuiltin("date"),
		f1("sqrt", math.Sqrt),
		f1("log", math.Log),
		f1("log10", math.Log10),
		f1("exp", math.Exp),
		// The checker lets an int expression (7 % 3) stand for a float64
		// argument: num takes either.
		expr.Function("pow", func(p ...any) (any, error) { return math.Pow(num(p[0]), num(p[1])), nil }, new(func(float64, float64) float64)),
		expr.Function("clamp", func(p ...any) (any, error) {
			x, lo, hi := num(p[0]), num(p[1]), num(p[2])
			return math.Min(math.Max(x, lo), hi), nil
		}, new(func(float64, float64, float64) float64)),
		clock("hour", func(t time.Time) int { return t.Hour() }),
		clock("minute", func(t time.Time) int { return t.Minute() }),
		clock("day", func(t time.Time) int { return t.Day() }),
		clock("month", func(t time.Time) int { return int(t.Month()) }),
		clock("weekday", func(t time.Time) int { // ISO 8601: Monday 1 .. Sunday 7
			if d := t.Weekday(); d != time.Sunday {
				return int(d)
			}
			return 7
		}),
		expr.Function("timeofday", func(...any) (any, error) {
			h, m, s := ctx.now.Clock()
			return float64(h) + float64(m)/60 + (float64(s)+float64(ctx.now.Nanosecond())/1e9)/3600, nil
		}, new(func() float64)),
		expr.Function("_div", divide,
			new(func(float64, float64) float64), new(func(int, int) float64),
			new(func(float64, int) float64), new(func(int, float64) float64)),

		expr.Operator("/", "_div"),
		input("_inf", new(func(string) float64)),
		input("_inb", new(func(string) bool)),
		input("_ins", new(func(string) string)),
	}
}

// divAny is / for the tracking program's operands of no single type (a
// conditional of a float and an int: R ? B : 0), which the overloads of
// options leave to the VM's own /: that gives ±Inf for a zero, where the
// fast path says "division by zero". Only the tracking program, compiled
// after the checked one, gets it: offered to the checker, an operand of no
// type would pass where the division makes no sense.
var divAny = expr.Function("_divany", func(p ...any) (any, error) {
	for _, x := range p {
		switch x.(type) {
		case int, float64:
		default:
			return nil, fmt.Errorf("cannot divide by or into %v (%T)", x, x)
		}
	}
	return divide(p...)
},
	new(func(any, any) float64), new(func(any, float64) float64), new(func(float64, any) float64),
	new(func(any, int) float64), new(func(int, any) float64))

// divide is /, which refuses a zero divisor.
func divide(p ...any) (any, error) {
	a, b := num(p[0]), num(p[1])
	if b == 0 {
		return nil, errDivZero
	}
	return a / b, nil
}

// num converts an int or float64 operand to float64.
func num(v any) float64 {
	switch v := v.(type) {
	case int:
		return float64(v)
	case float64:
		return v
	}
	return math.NaN()
}

// program is one compiled expression: fast runs with all inputs Good
// (nil when quick does), tracked reports which inputs an evaluation read.
type program struct {
	fast, tracked *vm.Program
	keys          []string // the programs' names of the inputs, in order: slotNames
	out           datasource.DataType
	// quick is the fast path of a numeric or bool result (fast.go); nil
	// when the expression needs the VM.
	quick *fastProg
}

// compileExpr compiles src over the tags of refs (types from typeOf) into
// the two programs. want is the tag's declared type, or nil to infer it.
//
// With positional, the programs read the tags by their place among refs
// (slotNames: "@0", "@1", …) rather than by name, so that they serve every
// tag of the same formula over other tags (Set.shapes); without, by name,
// for the words of an error message.
func compileExpr(ctx *evalCtx, src string, refs []string, typeOf func(string) datasource.DataType, isTag func(string) bool, want *datasource.DataType, positional bool) (*program, error) {
	keys := refs
	if positional {
		keys = slotNames(len(refs))
	}
	env := make(map[string]any, len(refs))
	kinds := make(map[string]reflect.Kind, len(refs))
	for i, r := range refs {
		z := zeroOf(typeOf(r))
		env[keys[i]] = z
		kinds[keys[i]] = reflect.TypeOf(z).Kind()
	}
	opts := append(options(ctx), expr.Env(env), expr.Patch(&refRewriter{isTag: isTag}))
	if positional {
		opts = append(opts, expr.Patch(renamer(refs)))
	}
	if want != nil {
		switch {
		case *want == datasource.TypeBool:
			opts = append(opts, expr.AsBool())
		case *want == datasource.TypeString:
			opts = append(opts, expr.AsKind(reflect.String))
		default:
			opts = append(opts, expr.AsFloat64())
		}
	}
	fast, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, err
	}
	if err := oneResultType(fast.Node()); err != nil {
		return nil, err
	}
	p := &program{fast: fast, keys: keys}
	if want != nil {
		p.out = *want
	} else {
		switch t := fast.Node().Type(); {
		case t != nil && t.Kind() == reflect.Bool:
			p.out = datasource.TypeBool
		case t != nil && t.Kind() == reflect.String:
			p.out = datasource.TypeString
		default:
			// A number, or a mix the checker cannot name (a conditional
			// with an int branch and a float64 branch): a number if it
			// converts to one, every number coming out as float64.
			f, ferr := expr.Compile(src, append(opts, expr.AsFloat64())...)
			if ferr != nil {
				if t == nil || t.Kind() == reflect.Interface {
					return nil, errors.New("the result has no single type (number, true/false or text); convert it, e.g. float(...)")
				}
				return nil, fmt.Errorf("the expression gives %s; a tag needs a number, true/false or text", t)
			}
			p.out, p.fast = datasource.TypeFloat64, f
		}
	}
	if p.out == datasource.TypeBool || p.out.Numeric() {
		p.quick = fastCompile(p.fast.Node(), keys, kinds, p.out == datasource.TypeBool)
	}
	topts := append(opts, expr.Patch(tracker{kinds: kinds}), divAny, expr.Operator("/", "_divany"))
	if want == nil && p.out == datasource.TypeFloat64 {
		topts = append(topts, expr.AsFloat64())
	}
	if p.tracked, err = expr.Compile(src, topts...); err != nil {
		return nil, fmt.Errorf("internal: the tracking program does not compile: %w", err)
	}
	if p.quick != nil {
		// All Good runs quick, anything else tracked: fast would never
		// run, and a compiled program with its tree is kilobytes a tag.
		p.fast = nil
	}
	return p, nil
}

// resultClass is what a tag's value can be: a number, true/false or text.
type resultClass uint8

const (
	classNumber resultClass = 1 << iota
	classBool
	classText
)

// classWords names the classes in messages.
var classWords = map[resultClass]string{classNumber: "a number", classBool: "true/false", classText: "text"}

// oneResultType refuses an expression whose branches give values of
// different classes (hour() < 6 ? "night" : 1): the checker types such a
// conditional as any, and it compiled, but the tag would be Bad/CalcError
// whenever the branch of the other class was taken. The same goes for a
// conditional inside the expression (A / (R ? B : "x")), where the operator
// would fail at run time instead. Where a branch's type is not known (any),
// nothing is said.
func oneResultType(root ast.Node) error {
	if c := branchClasses(root); c&(c-1) != 0 {
		return fmt.Errorf("the result is %s depending on the branch taken; a tag has one type: make every branch give the same", classNames(c))
	}
	inner := &mixedBranches{}
	ast.Walk(&root, inner)
	return inner.err
}

// mixedBranches finds the first conditional (or ??) whose branches give
// values of different classes.
type mixedBranches struct{ err error }

// Visit implements ast.Visitor.
func (m *mixedBranches) Visit(node *ast.Node) {
	if m.err != nil {
		return
	}
	switch x := (*node).(type) {
	case *ast.ConditionalNode:
	case *ast.BinaryNode:
		if x.Operator != "??" {
			return
		}
	default:
		return
	}
	if c := branchClasses(*node); c&(c-1) != 0 {
		m.err = fmt.Errorf("a conditional gives %s depending on the branch taken (column %d); make its branches give the same", classNames(c), startOf(*node)+1)
	}
}

// startOf is the offset in the source where n's text starts: a node's own
// location is its operator's.
func startOf(n ast.Node) int {
	switch x := n.(type) {
	case *ast.ConditionalNode:
		return startOf(x.Cond)
	case *ast.BinaryNode:
		return startOf(x.Left)
	}
	return n.Location().From
}

// branchClasses is the classes of the values n can give, through its
// conditionals' branches.
func branchClasses(n ast.Node) resultClass {
	switch x := n.(type) {
	case *ast.ConditionalNode:
		return branchClasses(x.Exp1) | branchClasses(x.Exp2)
	case *ast.BinaryNode:
		if x.Operator == "??" {
			return branchClasses(x.Left) | branchClasses(x.Right)
		}
	}
	t := n.Type()
	if t == nil {
		return 0
	}
	switch k := t.Kind(); {
	case k == reflect.Bool:
		return classBool
	case k == reflect.String:
		return classText
	case k >= reflect.Int && k <= reflect.Float64:
		return classNumber
	}
	return 0
}

// classNames is "a number or text".
func classNames(classes resultClass) string {
	var words []string
	for _, c := range []resultClass{classNumber, classBool, classText} {
		if classes&c != 0 {
			words = append(words, classWords[c])
		}
	}
	return strings.Join(words, " or ")
}
