package calc

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/vigil-hmi/vigil/datasource"
)

// sameAsVM evaluates the compiled expression of tag X with the fast path
// and with expr's VM and reports a difference; ok is false when X has no
// fast path.
func sameAsVM(t *testing.T, set *Set, vals []float64) (ok bool) {
	t.Helper()
	var d *def
	for _, x := range set.defs {
		if x.tag.Name == "X" {
			d = x
		}
	}
	if d == nil || d.prog == nil || d.prog.quick == nil {
		return false
	}
	var st [fastStack]float64
	f, ferr := runOps(d.prog.quick.ops, d.prog.quick.frame(vals), &st)
	var fast any = f
	if d.prog.out == datasource.TypeBool {
		fast = f != 0
	}
	env := map[string]any{}
	for i, in := range d.inputs {
		if in.Type == datasource.TypeBool {
			env[d.prog.keys[i]] = vals[i] != 0
		} else {
			env[d.prog.keys[i]] = vals[i]
		}
	}
	// The program the engine runs on the VM (the untracked one is not
	// kept where the fast path is).
	set.ctx.now, set.ctx.env, set.ctx.track = t0, env, nil
	var m vm.VM
	slow, err := m.Run(d.prog.tracked, env)
	set.ctx.env = nil
	switch {
	case (ferr != nil) != (err != nil):
		t.Errorf("%s: fast error %v, VM error %v", d.calc.Expr, ferr, err)
	case ferr != nil:
		if !errors.Is(err, errDivZero) || !errors.Is(ferr, errDivZero) {
			t.Errorf("%s: fast error %v, VM error %v", d.calc.Expr, ferr, err)
		}
	default:
		f1, ok1 := fast.(float64)
		f2, ok2 := slow.(float64)
		if ok1 && ok2 {
			if f1 != f2 && !(math.IsNaN(f1) && math.IsNaN(f2)) {
				t.Errorf("%s with %v: fast %v, VM %v", d.calc.Expr, vals, f1, f2)
			}
		} else if fast != slow {
			t.Errorf("%s with %v: fast %v (%T), VM %v (%T)", d.calc.Expr, vals, fast, fast, slow, slow)
		}
	}
	return true
}

func TestFastPathAgreesWithTheVM(t *testing.T) {
	exprs := []string{
		"(A + B) / max(C, 0.1) - A * B", "A / B", "-A + +B", "A ** 2 + B ^ 0.5", "sqrt(A) + log(B) + log10(C) + exp(-A)",
		"pow(A, B)", "clamp(A, B, C)", "abs(A - B) + ceil(A) + floor(B) + round(C)", "min(A, B, C) + max(A, B, C) + min(A) + max(B, 7)",
		"A > B && R || !R", "R ? A : B", "A == B", "A != 3", "R == true", "A <= B != (B >= C)", "A < B ? R : !R",
		"R and not R or R", "7 / 2 + 1", "A / 0",
		// Around jumps, where a binary op is fused with the load before it
		// only when no jump lands between them.
		"A + (R ? B : C)", "(R ? A : B) - C", "A * (R && A > B ? 2 : 3)", "max(A, R ? B : C)", "min(R ? B : C, A)",
		"A / (R ? B : C)", "pow(1, A / 2) + sqrt(1 / B)", "max(A / 2, B / C)", "(A > B) == (R || A < C)", "A ** (R ? 2 : B)", "A < (R ? B : C) && R",
		// A boolean as a number (bit).
		"(R ? 1 : 0) + (A > B ? 1 : 0)", "A * (R ? 0 : 1)", "R && A < B ? 1.0 : 0.0", "(R ? 1 : 0) / (A > 1 ? 0 : 1)", "R ? 1 : 2", "R ? 0 : 0",
	}
	vals := [][]float64{{1, 2, 3, 1}, {0, 0, 0, 0}, {-1.5, 4, 1e300, 1}, {3, 3, -2, 0}, {math.NaN(), 1, 2, 1}}
	for _, src := range exprs {
		tags := project(dev("A", datasource.TypeFloat32), dev("B", datasource.TypeFloat64), dev("C", datasource.TypeInt16), dev("R", datasource.TypeBool), exprTag("X", src))
		set, errs := Compile(tags, Options{Location: time.UTC})
		if errs != nil {
			t.Fatalf("%s: %v", src, errs)
		}
		for _, v := range vals {
			// Inputs in order of first use in the expression.
			var in []float64
			for _, tg := range set.defs[0].inputs {
				in = append(in, v[tg.ID])
			}
			if !sameAsVM(t, set, in) {
				t.Fatalf("%s has no fast path", src)
			}
		}
	}
}

// cond ? 1 : 0 is cond on the fast path, and cond ? 0 : 1 is !cond, with
// no jump: a count of running pumps is a load a pump.
func TestABooleanAsANumberIsItsOwnValue(t *testing.T) {
	for src, want := range map[string]int{
		"(P1 ? 1 : 0) + (P2 ? 1 : 0) + (P3 ? 1 : 0)": 3, // load, add-load, add-load (before: 17, with six jumps)
		"P1 ? 0 : 1":          2, // load, not (before: 5)
		"P1 ? 1 : 2":          5, // a conditional as before: load, jump-false, 1, jump, 2
		"(A > 2 ? 1 : 0) * A": 3, // load, greater-than-load, times-load (before: 7)
	} {
		tags := project(dev("P1", datasource.TypeBool), dev("P2", datasource.TypeBool), dev("P3", datasource.TypeBool), dev("A", datasource.TypeFloat32), exprTag("X", src))
		set, errs := Compile(tags, Options{Location: time.UTC})
		if errs != nil {
			t.Fatalf("%s: %v", src, errs)
		}
		q := set.defs[0].prog.quick
		if q == nil {
			t.Fatalf("%s has no fast path", src)
		}
		if len(q.ops) != want {
			t.Errorf("%s: %d ops %v, want %d", src, len(q.ops), q.ops, want)
		}
	}
}

func TestTheVMRunsWhatTheFastPathDoesNotKnow(t *testing.T) {
	for _, src := range []string{"int(A) % 2 == 0", "hour() > 3", `S == "x"`, "[A, B][0]"} {
		tags := project(dev("A", datasource.TypeFloat32), dev("B", datasource.TypeFloat32), dev("S", datasource.TypeString), exprTag("X", src))
		set, errs := Compile(tags, Options{Location: time.UTC})
		if errs != nil {
			t.Fatalf("%s: %v", src, errs)
		}
		if sameAsVM(t, set, []float64{1, 2}) {
			t.Errorf("%s got a fast path", src)
		}
	}
}

// Tags of one formula over other tags and with other constants share one
// fast program (their constants are in their frames), and each still
// computes with its own inputs and constants.
func TestOneFormulaSharesOneProgram(t *testing.T) {
	r := newRig(t, Options{},
		dev("P1.Flow", datasource.TypeFloat32), dev("P1.Power", datasource.TypeFloat32),
		dev("P2.Flow", datasource.TypeFloat32), dev("P2.Power", datasource.TypeFloat32),
		exprTag("P1.Eff", "P1.Flow / max(P1.Power, 0.1) * 2"),
		exprTag("P2.Eff", "P2.Flow / max(P2.Power, 0.5) * 3"),
		exprTag("Other", "P1.Flow - P2.Flow"))
	if len(r.eng.code) != len(r.eng.set.defs[0].prog.quick.ops)+len(r.eng.set.defs[2].prog.quick.ops) { // Eff's program once, Other's once
		t.Errorf("%d ops in the engine, want Eff's program once and Other's", len(r.eng.code))
	}
	if r.eng.hot[0].code != r.eng.hot[1].code {
		t.Errorf("P1.Eff and P2.Eff run programs at %d and %d, want one", r.eng.hot[0].code, r.eng.hot[1].code)
	}
	r.pub(t0, "P1.Flow", 10.0, "P1.Power", 0.0, "P2.Flow", 10.0, "P2.Power", 4.0)
	if got := r.get("P1.Eff").Value; got != datasource.Float(10/0.1*2) {
		t.Errorf("P1.Eff = %v, want %v", got, 10/0.1*2)
	}
	if got := r.get("P2.Eff").Value; got != datasource.Float(10.0/4*3) {
		t.Errorf("P2.Eff = %v, want %v", got, 10.0/4*3)
	}
}

// Tags of one formula over other tags share one VM program too (compiled
// with their inputs numbered), and still read their own inputs on it: the
// VM runs when an input is not Good, and then each tag gets its own values
// and the quality of its own inputs. Another constant or a declared type
// is another program.
func TestOneFormulaSharesOneVMProgram(t *testing.T) {
	uncertain := datasource.Sample{Value: datasource.Float(4), Quality: datasource.Quality{Status: datasource.Uncertain, Reason: datasource.Stale}}
	r := newRig(t, Options{},
		dev("P1.Flow", datasource.TypeFloat32), dev("P1.Power", datasource.TypeFloat32),
		dev("P2.Flow", datasource.TypeFloat32), dev("P2.Power", datasource.TypeFloat32),
		exprTag("P1.Eff", "P1.Flow / max(P1.Power, 0.1)"),
		exprTag("P2.Eff", "P2.Flow / max(P2.Power, 0.1)"),
		exprTag("P3.Eff", "P2.Flow / max(P1.Power, 0.5)"),
		tagSpec{name: "P4.Eff", typ: datasource.TypeFloat64, calc: &datasource.CalcDef{Kind: datasource.CalcExpr, Expr: "P1.Flow / max(P2.Power, 0.1)", Typed: true}})
	progs := map[string]*program{}
	for _, d := range r.eng.set.defs {
		progs[d.tag.Name] = d.prog
	}
	if progs["P1.Eff"] != progs["P2.Eff"] {
		t.Error("P1.Eff and P2.Eff have a VM program each, want one")
	}
	if progs["P3.Eff"] == progs["P1.Eff"] || progs["P4.Eff"] == progs["P1.Eff"] {
		t.Error("another constant or a declared type shares the programs")
	}
	r.pub(t0, "P1.Flow", 10.0, "P1.Power", 2.0, "P2.Flow", 9.0, "P2.Power", uncertain)
	if got := r.get("P1.Eff"); got.Value != datasource.Float(5) || !got.Quality.IsGood() {
		t.Errorf("P1.Eff = %v (%v), want 5 Good", got.Value, got.Quality)
	}
	if got := r.get("P2.Eff"); got.Value != datasource.Float(9.0/4) || got.Quality != uncertain.Quality {
		t.Errorf("P2.Eff = %v (%v), want %v %v, from its own inputs on the VM", got.Value, got.Quality, 9.0/4, uncertain.Quality)
	}
}
