package calc

import (
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// FuzzExpr compiles arbitrary expressions over a few tags and, when they
// compile, evaluates them with awkward inputs (zero, NaN, Bad quality):
// neither may panic, a result is either a value of the tag's type or Bad,
// and the fast path (fast.go) gives what expr's VM gives.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{
		"A / max(B, 0.1)", "A > 90 && R", "R ? A : 0", "sqrt(A) + pow(B, 2) + log(A) + exp(B)",
		"clamp(A, 0, 10)", "A % 0", "1 / 0", "B ** 1000", `S + "x"`, "hour() + weekday() + timeofday()",
		"[A, B][5]", "A / B / B / B", "let x = A; x * x", "map([1, 2], # * A)", "$env[\"A\"] + 1",
		"abs(A) ?? 1", "A..", "((((", "int(A) % int(B)", "string(A)", "len(S) > 2 ? S : \"\"",
	} {
		f.Add(s, 1.5, 0.0, true)
	}
	f.Fuzz(func(t *testing.T, src string, a, b float64, good bool) {
		if len(src) > 500 {
			return
		}
		tags := project(dev("A", datasource.TypeFloat32), dev("B", datasource.TypeInt16), dev("R", datasource.TypeBool),
			dev("S", datasource.TypeString), exprTag("X", src))
		set, errs := Compile(tags, Options{Location: time.UTC})
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Line < 1 || e.Msg == "" {
					t.Fatalf("malformed error %q", e.Error())
				}
			}
			return
		}
		// Where the fast path takes the expression, it must agree with expr's VM.
		byName := map[string]float64{"A": a, "B": b, "R": 0}
		if good {
			byName["R"] = 1
		}
		var vals []float64
		for _, d := range set.defs {
			for _, in := range d.inputs {
				vals = append(vals, byName[in.Name])
			}
		}
		sameAsVM(t, set, vals)
		eng, err := NewEngine(set, len(tags))
		if err != nil {
			t.Fatal(err)
		}
		qa := datasource.QualityGood
		if !good {
			qa = datasource.BadQuality(datasource.CommFailure)
		}
		batch := []datasource.Sample{
			{Tag: 0, Value: datasource.Float(a), Quality: qa, Time: t0},
			{Tag: 1, Value: datasource.Float(b), Time: t0},
			{Tag: 2, Value: datasource.Bool(good), Time: t0},
			{Tag: 3, Value: datasource.String(src), Time: t0},
		}
		out := eng.Derive(batch, t0, nil)
		for _, s := range out {
			if s.Quality.IsBad() || s.Value.IsNone() {
				continue
			}
			switch tags[4].Type {
			case datasource.TypeBool:
				if s.Value.Kind() != datasource.KindBool {
					t.Fatalf("%q: bool tag got %v", src, s.Value)
				}
			case datasource.TypeString:
				if s.Value.Kind() != datasource.KindString {
					t.Fatalf("%q: string tag got %v", src, s.Value)
				}
			default:
				if s.Value.Kind() != datasource.KindFloat {
					t.Fatalf("%q: number tag got %v", src, s.Value)
				}
			}
		}
	})
}
