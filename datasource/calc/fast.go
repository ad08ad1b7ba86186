package calc

import (
	"math"
	"reflect"
	"slices"

	"github.com/expr-lang/expr/ast"
)

// The fast path. expr's VM keeps its stack as []any, so every number an
// expression computes is boxed (an allocation) and every operator is a
// type switch: ~150 ns and 7 allocations for "(A + B) / max(C, 0.1) - D * E"
// on a quiet core. Most calculated tags are exactly such arithmetic and
// logic over numbers and bools, so for them the tree expr has parsed,
// patched and type-checked is turned into a short program of float64 ops
// (bools as 0 and 1) over the inputs, which runs in a few ns per op without
// allocating; it is one small array per tag, so a plant of thousands of
// calculated tags touches few cache lines per evaluation. Constants are
// not in the program but in the tag's frame, after its inputs, so that tags
// of the same formula over other tags and with other constants (the
// efficiency of fifty pumps) share one program, which stays in the core's
// L1 cache, and a tag's own data is its frame: one or two cache lines. This is
// not a second parser or checker: it takes expr's checked tree and refuses
// (leaving the expression to the VM) any node it does not know. The VM
// still runs every expression whose inputs are not all Good, since only it
// records which inputs an evaluation read.

// opCode is one operation of a fast program. Operands are on a stack of
// float64; bools are 0 and 1.
type opCode uint8

const (
	opLoad  opCode = iota // push frame slot a: an input, or a constant after the inputs
	opNeg                 // x -> -x
	opNot                 // x -> !x
	opClamp               // x lo hi -> min(max(x, lo), hi)
	opSqrt                // the math functions of one argument
	opLog
	opLog10
	opExp
	opAbs
	opCeil
	opFloor
	opRound
	opJmp      // ip = a
	opJmpFalse // pop x; if x == 0 { ip = a }
	opJmpTrue  // pop x; if x != 0 { ip = a }

	// The binary ops, x y -> x op y, from opAdd to opNe.
	opAdd // x+y
	opSub // x-y
	opMul // x*y
	opDiv // x/y; y == 0 is errDivZero
	opPow // x**y
	opMin // min (the first wins a tie; NaN never wins, as expr's)
	opMax // max
	opLt  // x<y
	opGt
	opLe
	opGe
	opEq
	opNe

	// A binary op whose right operand is frame slot a: "load a; op" in
	// one dispatch (fastCompiler.emitBinary), in the order of opAdd …
	// opNe, so that a binary op's fused form is fused(code).
	opAddV
	opSubV
	opMulV
	opDivV
	opPowV
	opMinV
	opMaxV
	opLtV
	opGtV
	opLeV
	opGeV
	opEqV
	opNeV
)

// fused is the form of binary op code that takes its right operand from
// the frame.
func fused(code opCode) opCode { return code - opAdd + opAddV }

// op is one operation: a is a frame slot or a jump target.
type op struct {
	code opCode
	a    int32
}

// fastStack bounds a fast program's stack; deeper expressions use the VM.
const fastStack = 32

// fastProg is an expression's fast program: ops over a frame of its
// inputs (in def.inputs order) followed by consts.
type fastProg struct {
	ops    []op
	consts []float64
}

// frame returns the frame of the program with inputs vals.
func (p *fastProg) frame(vals []float64) []float64 {
	return append(append(make([]float64, 0, len(vals)+len(p.consts)), vals...), p.consts...)
}

// runOps evaluates a fast program over its frame v (the inputs, then the
// constants). err is errDivZero after a division by zero.
func runOps(ops []op, v []float64, st *[fastStack]float64) (res float64, err error) {
	sp := 0
	for ip := 0; ip < len(ops); ip++ {
		o := &ops[ip]
		// The common arithmetic has a case of its own, fused with the load
		// of its right operand or not: one dispatch per op, not two.
		switch o.code {
		case opLoad:
			st[sp] = v[o.a]
			sp++
		case opAddV:
			st[sp-1] += v[o.a]
		case opSubV:
			st[sp-1] -= v[o.a]
		case opMulV:
			st[sp-1] *= v[o.a]
		case opDivV:
			y := v[o.a]
			if y == 0 {
				return math.NaN(), errDivZero
			}
			st[sp-1] /= y
		case opMinV:
			if y := v[o.a]; y < st[sp-1] {
				st[sp-1] = y
			}
		case opMaxV:
			if y := v[o.a]; y > st[sp-1] {
				st[sp-1] = y
			}
		case opAdd:
			sp--
			st[sp-1] += st[sp]
		case opSub:
			sp--
			st[sp-1] -= st[sp]
		case opMul:
			sp--
			st[sp-1] *= st[sp]
		case opDiv:
			sp--
			if st[sp] == 0 {
				return math.NaN(), errDivZero
			}
			st[sp-1] /= st[sp]
		case opNeg:
			st[sp-1] = -st[sp-1]
		case opNot:
			st[sp-1] = b2f(st[sp-1] == 0)
		case opJmp:
			ip = int(o.a) - 1
		case opJmpFalse:
			sp--
			if st[sp] == 0 {
				ip = int(o.a) - 1
			}
		case opJmpTrue:
			sp--
			if st[sp] != 0 {
				ip = int(o.a) - 1
			}
		case opClamp:
			sp -= 2
			st[sp-1] = math.Min(math.Max(st[sp-1], st[sp]), st[sp+1])
		case opSqrt, opLog, opLog10, opExp, opAbs, opCeil, opFloor, opRound:
			st[sp-1] = unary(o.code, st[sp-1])
		case opPowV, opLtV, opGtV, opLeV, opGeV, opEqV, opNeV:
			st[sp-1] = binary(o.code-opAddV+opAdd, st[sp-1], v[o.a])
		default: // the other binary ops
			sp--
			st[sp-1] = binary(o.code, st[sp-1], st[sp])
		}
	}
	return st[0], nil
}

// binary is x op y for the binary ops runOps has no case of their own for.
func binary(code opCode, x, y float64) float64 {
	switch code {
	case opPow:
		return math.Pow(x, y)
	case opMin:
		if y < x {
			return y
		}
	case opMax:
		if y > x {
			return y
		}
	case opLt:
		return b2f(x < y)
	case opGt:
		return b2f(x > y)
	case opLe:
		return b2f(x <= y)
	case opGe:
		return b2f(x >= y)
	case opEq:
		return b2f(x == y)
	case opNe:
		return b2f(x != y)
	}
	return x
}

func unary(c opCode, x float64) float64 {
	switch c {
	case opSqrt:
		return math.Sqrt(x)
	case opLog:
		return math.Log(x)
	case opLog10:
		return math.Log10(x)
	case opExp:
		return math.Exp(x)
	case opAbs:
		return math.Abs(x)
	case opCeil:
		return math.Ceil(x)
	case opFloor:
		return math.Floor(x)
	}
	return math.Round(x)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// fastCompiler turns a checked tree into a fast program.
type fastCompiler struct {
	pos    map[string]int
	kind   map[string]reflect.Kind
	nIn    int // inputs: the constants' slots follow
	ops    []op
	consts []float64
	depth  int // the stack depth after the ops so far
	max    int
	target int // the latest index a jump was given as its target; -1 for none
}

// constant pushes c from the frame slot of the program's constant c.
func (c *fastCompiler) constant(v float64) {
	i := slices.IndexFunc(c.consts, func(x float64) bool { return math.Float64bits(x) == math.Float64bits(v) })
	if i < 0 {
		i = len(c.consts)
		c.consts = append(c.consts, v)
	}
	c.emit(op{code: opLoad, a: int32(c.nIn + i)}, 1)
}

// fastCompile returns the fast program of an expression with a numeric
// or bool result, or nil when the tree has a node the fast path does not
// know.
func fastCompile(n ast.Node, names []string, kinds map[string]reflect.Kind, boolResult bool) *fastProg {
	c := &fastCompiler{pos: map[string]int{}, kind: kinds, nIn: len(names), target: -1}
	for i, name := range names {
		c.pos[name] = i
	}
	var ok bool
	if boolResult {
		ok = c.boolean(n)
	} else {
		ok = c.num(n)
	}
	if !ok || c.max > fastStack || c.depth != 1 {
		return nil
	}
	return &fastProg{ops: c.ops, consts: c.consts}
}

// emitBinary appends binary op code (opAdd … opNe), fused with the load
// of its right operand when that is the op before: "load a; add" becomes
// "addV a". Not when a jump lands on the binary op itself (after the
// load, as the end of "x + (c ? a : b)" does), which must stay. A jump
// landing on the load is fine: it runs the same "load a; add".
func (c *fastCompiler) emitBinary(code opCode) {
	if k := len(c.ops) - 1; k >= 0 && c.ops[k].code == opLoad && c.target != len(c.ops) {
		c.ops[k].code = fused(code)
		c.depth--
		return
	}
	c.emit(op{code: code}, -1)
}

// label makes the jump at j land on the next op.
func (c *fastCompiler) label(j int) {
	c.ops[j].a = int32(len(c.ops))
	c.target = len(c.ops)
}

// emit appends an op that changes the stack depth by d.
func (c *fastCompiler) emit(o op, d int) int {
	c.ops = append(c.ops, o)
	c.depth += d
	c.max = max(c.max, c.depth)
	return len(c.ops) - 1
}

func (c *fastCompiler) num(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.FloatNode:
		c.constant(n.Value)
		return true
	case *ast.IntegerNode:
		c.constant(float64(n.Value))
		return true
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case float64:
			c.constant(v)
			return true
		case int:
			c.constant(float64(v))
			return true
		}
	case *ast.IdentifierNode:
		if i, ok := c.pos[n.Value]; ok && c.kind[n.Value] == reflect.Float64 {
			c.emit(op{code: opLoad, a: int32(i)}, 1)
			return true
		}
	case *ast.UnaryNode:
		switch n.Operator {
		case "-":
			if c.num(n.Node) {
				c.emit(op{code: opNeg}, 0)
				return true
			}
		case "+":
			return c.num(n.Node)
		}
	case *ast.BinaryNode:
		codes := map[string]opCode{"+": opAdd, "-": opSub, "*": opMul, "/": opDiv, "**": opPow, "^": opPow}
		code, ok := codes[n.Operator]
		if ok && c.num(n.Left) && c.num(n.Right) {
			c.emitBinary(code)
			return true
		}
	case *ast.ConditionalNode:
		if c.bit(n) {
			return true
		}
		return c.conditional(n, c.num)
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return false
		}
		return c.call(id.Value, n.Arguments)
	case *ast.BuiltinNode:
		return c.builtin(n.Name, n.Arguments)
	}
	return false
}

// bit compiles cond ? 1 : 0 as cond, and cond ? 0 : 1 as !cond (a boolean
// is 0 or 1 on the fast path), and reports whether n was one of them: the
// number of pumps running, (P1.Running ? 1 : 0) + (P2.Running ? 1 : 0) …,
// is then a load a pump instead of four ops with two jumps.
func (c *fastCompiler) bit(n *ast.ConditionalNode) bool {
	a, ok1 := numConst(n.Exp1)
	b, ok2 := numConst(n.Exp2)
	switch {
	case !ok1 || !ok2:
		return false
	case a == 1 && b == 0:
		return c.boolean(n.Cond)
	case a == 0 && b == 1:
		if !c.boolean(n.Cond) {
			return false
		}
		c.emit(op{code: opNot}, 0)
		return true
	}
	return false
}

// numConst returns the value of n when it is a number written as such.
func numConst(n ast.Node) (float64, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		return float64(n.Value), true
	case *ast.FloatNode:
		return n.Value, true
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case int:
			return float64(v), true
		case float64:
			return v, true
		}
	}
	return 0, false
}

// conditional compiles cond ? a : b, with branches compiled by branch.
func (c *fastCompiler) conditional(n *ast.ConditionalNode, branch func(ast.Node) bool) bool {
	if !c.boolean(n.Cond) {
		return false
	}
	jf := c.emit(op{code: opJmpFalse}, -1)
	if !branch(n.Exp1) {
		return false
	}
	j := c.emit(op{code: opJmp}, 0)
	c.depth-- // the other branch starts where the first did
	c.label(jf)
	if !branch(n.Exp2) {
		return false
	}
	c.label(j)
	return true
}

// args compiles the arguments of a call, all numbers.
func (c *fastCompiler) args(nodes []ast.Node) bool {
	for _, a := range nodes {
		if !c.num(a) {
			return false
		}
	}
	return true
}

// call is the fast form of the functions of options (expr.go).
func (c *fastCompiler) call(name string, args []ast.Node) bool {
	one := map[string]opCode{"sqrt": opSqrt, "log": opLog, "log10": opLog10, "exp": opExp}
	switch {
	case one[name] != 0 && len(args) == 1:
		if c.args(args) {
			c.emit(op{code: one[name]}, 0)
			return true
		}
	case (name == "pow" || name == "_div") && len(args) == 2:
		code := opPow
		if name == "_div" {
			code = opDiv
		}
		if c.args(args) {
			c.emitBinary(code)
			return true
		}
	case name == "clamp" && len(args) == 3:
		if c.args(args) {
			c.emit(op{code: opClamp}, -2)
			return true
		}
	}
	return false
}

// builtin is the fast form of expr's numeric builtins.
func (c *fastCompiler) builtin(name string, args []ast.Node) bool {
	one := map[string]opCode{"abs": opAbs, "ceil": opCeil, "floor": opFloor, "round": opRound}
	switch {
	case one[name] != 0 && len(args) == 1:
		if c.args(args) {
			c.emit(op{code: one[name]}, 0)
			return true
		}
	case (name == "min" || name == "max") && len(args) >= 1:
		code := opMin
		if name == "max" {
			code = opMax
		}
		if !c.num(args[0]) {
			return false
		}
		for _, a := range args[1:] {
			if !c.num(a) {
				return false
			}
			c.emitBinary(code)
		}
		return true
	}
	return false
}

func (c *fastCompiler) boolean(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.BoolNode:
		c.constant(b2f(n.Value))
		return true
	case *ast.ConstantNode:
		if v, ok := n.Value.(bool); ok {
			c.constant(b2f(v))
			return true
		}
	case *ast.IdentifierNode:
		if i, ok := c.pos[n.Value]; ok && c.kind[n.Value] == reflect.Bool {
			c.emit(op{code: opLoad, a: int32(i)}, 1)
			return true
		}
	case *ast.UnaryNode:
		if (n.Operator == "!" || n.Operator == "not") && c.boolean(n.Node) {
			c.emit(op{code: opNot}, 0)
			return true
		}
	case *ast.ConditionalNode:
		return c.conditional(n, c.boolean)
	case *ast.BinaryNode:
		return c.binaryBool(n.Operator, n.Left, n.Right)
	}
	return false
}

func (c *fastCompiler) binaryBool(operator string, l, r ast.Node) bool {
	switch operator {
	case "&&", "and", "||", "or":
		// a && b: a; if false jump to "push 0"; b; jump to the end.
		and := operator == "&&" || operator == "and"
		if !c.boolean(l) {
			return false
		}
		code := opJmpTrue
		if and {
			code = opJmpFalse
		}
		short := c.emit(op{code: code}, -1)
		if !c.boolean(r) {
			return false
		}
		end := c.emit(op{code: opJmp}, 0)
		c.depth--
		c.label(short)
		c.constant(b2f(!and))
		c.label(end)
		return true
	case "==", "!=":
		code := opEq
		if operator == "!=" {
			code = opNe
		}
		// Both numbers or both bools; the checker refused other mixes, and
		// a copy of the compiler state lets one attempt be undone.
		save := *c
		save.ops = slices.Clone(c.ops)
		save.consts = slices.Clone(c.consts)
		if c.num(l) && c.num(r) {
			c.emitBinary(code)
			return true
		}
		*c = save
		if c.boolean(l) && c.boolean(r) {
			c.emitBinary(code)
			return true
		}
		return false
	}
	codes := map[string]opCode{"<": opLt, ">": opGt, "<=": opLe, ">=": opGe}
	code, ok := codes[operator]
	if ok && c.num(l) && c.num(r) {
		c.emitBinary(code)
		return true
	}
	return false
}
