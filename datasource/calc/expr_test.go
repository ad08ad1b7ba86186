package calc

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

var t0 = time.Date(2026, 6, 3, 14, 30, 0, 0, time.UTC) // a Wednesday

func TestExpressions(t *testing.T) {
	inputs := []tagSpec{
		dev("Pump1.Flow", datasource.TypeFloat32),
		dev("Pump1.Power", datasource.TypeFloat32),
		dev("Tank1.Level", datasource.TypeFloat32),
		dev("Pump1.Running", datasource.TypeBool),
		dev("Pump1.Count", datasource.TypeUint16),
		dev("Site.Name", datasource.TypeString),
	}
	vals := []any{"Pump1.Flow", 12.0, "Pump1.Power", 4.0, "Tank1.Level", 95.0, "Pump1.Running", true, "Pump1.Count", 7, "Site.Name", "north"}
	tests := []struct {
		name, src string
		want      datasource.Value
		typ       datasource.DataType
	}{
		{"a ratio of two tags with a floor on the divisor", "Pump1.Flow / max(Pump1.Power, 0.1)", datasource.Float(3), datasource.TypeFloat64},
		{"a condition over a level and a run state is a bool", "Tank1.Level > 90 && Pump1.Running", datasource.Bool(true), datasource.TypeBool},
		{"a conditional picks a branch", "Pump1.Running ? Pump1.Flow : 0", datasource.Float(12), datasource.TypeFloat64},
		{"abs, sqrt and pow", "abs(-2) + sqrt(16) + pow(2, 3)", datasource.Float(14), datasource.TypeFloat64},
		{"log and exp are natural", "round(log(exp(2.5)) * 10)", datasource.Float(25), datasource.TypeFloat64},
		{"clamp holds a value in a range", "clamp(Tank1.Level, 0, 90)", datasource.Float(90), datasource.TypeFloat64},
		{"round, min and an integer count as a number", "round(min(Pump1.Count, 10) / 2)", datasource.Float(4), datasource.TypeFloat64},
		{"the time of day in the project's zone", "hour() * 100 + minute()", datasource.Float(1630), datasource.TypeFloat64},
		{"the day of the week is ISO (Wednesday is 3)", "weekday()", datasource.Float(3), datasource.TypeFloat64},
		{"timeofday is fractional hours", "timeofday()", datasource.Float(16.5), datasource.TypeFloat64},
		{"text tags compare as text", `Site.Name == "north"`, datasource.Bool(true), datasource.TypeBool},
		{"integer division of literals is exact", "7 / 2", datasource.Float(3.5), datasource.TypeFloat64},
		{"% takes integers", "int(Pump1.Count) % 2", datasource.Float(1), datasource.TypeFloat64},
		{"an integer branch and a float branch are one number", "Pump1.Running ? 1 : Pump1.Flow / 2", datasource.Float(1), datasource.TypeFloat64},
		{"text branches give text", `Pump1.Running ? "on" : Site.Name`, datasource.String("on"), datasource.TypeString},
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Options{Location: berlin}, append(append([]tagSpec{}, inputs...), exprTag("X", tc.src))...)
			r.pub(t0, vals...)
			got := r.get("X")
			if got.Value != tc.want || !got.Quality.IsGood() {
				t.Errorf("%s = %v (%v), want %v Good", tc.src, got.Value, got.Quality, tc.want)
			}
			if typ := r.byName["X"].Type; typ != tc.typ {
				t.Errorf("type %s, want %s", typ, tc.typ)
			}
			if !got.Time.Equal(t0) {
				t.Errorf("time %v, want the input's %v", got.Time, t0)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	base := []tagSpec{dev("A", datasource.TypeFloat32), dev("B", datasource.TypeBool), dev("S", datasource.TypeString)}
	tests := []struct {
		name  string
		specs []tagSpec
		want  []string // each error, in line order
	}{
		{"an unknown tag is named with its line",
			[]tagSpec{exprTag("X", "A + Pump9.Flow")},
			[]string{"p.yaml:13: tag X: calc: unknown tag Pump9.Flow"}},
		{"an unknown plain name is an error",
			[]tagSpec{exprTag("X", "A * Gain")},
			[]string{"p.yaml:13: tag X: calc: unknown tag or function Gain (column 5)"}},
		{"adding a bool to a number is a type error",
			[]tagSpec{exprTag("X", "A + B")},
			[]string{"p.yaml:13: tag X: calc: invalid operation: + (mismatched types float64 and bool) (column 3)"}},
		{"a syntax error names its column",
			[]tagSpec{exprTag("X", "A + (B")},
			[]string{"p.yaml:13: tag X: calc: unexpected token EOF (column 6)"}},
		{"a declared bool type refuses a number",
			[]tagSpec{{name: "X", typ: datasource.TypeBool, calc: &datasource.CalcDef{Kind: datasource.CalcExpr, Expr: "A * 2", Typed: true}}},
			[]string{"p.yaml:13: tag X: calc: expected bool, but got float64"}},
		{"a cycle of two is reported once, and a tag reading it fails with it",
			[]tagSpec{exprTag("X", "Y + 1"), exprTag("Y", "X * 2"), exprTag("Z", "A + 1")},
			[]string{"p.yaml:13: tag X: calc: cycle: X uses Y uses X"}},
		{"a tag that reads itself is a cycle",
			[]tagSpec{exprTag("X", "X + A")},
			[]string{"p.yaml:13: tag X: calc: cycle: X uses X"}},
		{"run_hours needs a bool",
			[]tagSpec{{name: "H", calc: &datasource.CalcDef{Kind: datasource.CalcRunHours, Input: "A"}}},
			[]string{"p.yaml:13: tag H: calc: run_hours needs a bool input, A is float32"}},
		{"a totalizer of text is refused",
			[]tagSpec{{name: "T", calc: &datasource.CalcDef{Kind: datasource.CalcIntegrate, Input: "S"}}},
			[]string{"p.yaml:13: tag T: calc: integrate needs a numeric input, S is string"}},
		{"an unknown input of a statistic",
			[]tagSpec{{name: "R", calc: &datasource.CalcDef{Kind: datasource.CalcRMS, Input: "Nope", Window: time.Minute}}},
			[]string{`p.yaml:13: tag R: calc: unknown tag "Nope"`}},
		{"the wall clock builtins are not available",
			[]tagSpec{exprTag("X", "now()")},
			[]string{"p.yaml:13: tag X: calc: unknown tag or function now (column 1)"}},
		{"branches of text and of a number are refused, not Bad whenever one is taken",
			[]tagSpec{exprTag("X", `hour() < 6 ? "night" : 1`)},
			[]string{"p.yaml:13: tag X: calc: the result is a number or text depending on the branch taken; a tag has one type: make every branch give the same"}},
		{"so are a bool and a number, also under a declared type",
			[]tagSpec{{name: "X", typ: datasource.TypeFloat64, calc: &datasource.CalcDef{Kind: datasource.CalcExpr, Expr: "B ? A : (A > 1 ? true : 2)", Typed: true}}},
			[]string{"p.yaml:13: tag X: calc: the result is a number or true/false depending on the branch taken; a tag has one type: make every branch give the same"}},
		{"and text behind ??",
			[]tagSpec{exprTag("X", `S ?? 1`)},
			[]string{"p.yaml:13: tag X: calc: the result is a number or text depending on the branch taken; a tag has one type: make every branch give the same"}},
		{"so is a conditional of two classes inside the expression, where its operator would fail at run time",
			[]tagSpec{exprTag("X", `A / (B ? A : "x")`)},
			[]string{"p.yaml:13: tag X: calc: a conditional gives a number or text depending on the branch taken (column 6); make its branches give the same"}},
		{"a calculated number declared an integer is refused, with what to do instead",
			[]tagSpec{{name: "X", typ: datasource.TypeInt16, calc: &datasource.CalcDef{Kind: datasource.CalcExpr, Expr: "A", Typed: true}},
				{name: "Y", typ: datasource.TypeUint32, calc: &datasource.CalcDef{Kind: datasource.CalcStarts, Input: "B", Typed: true}}},
			[]string{"p.yaml:13: tag X: calc: a calculated number is float64, not int16: for whole numbers on screen give decimals: 0",
				"p.yaml:14: tag Y: calc: a calculated number is float64, not uint32: for whole numbers on screen give decimals: 0"}},
		{"every error is reported, each at its line",
			[]tagSpec{exprTag("X", "A +"), exprTag("Y", "B / 2"), exprTag("Z", "Nope.Tag")},
			[]string{"p.yaml:13: tag X: calc: unexpected token EOF (column 3)",
				"p.yaml:14: tag Y: calc: invalid operation: / (mismatched types bool and int) (column 3)",
				"p.yaml:15: tag Z: calc: unknown tag Nope.Tag"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := Compile(project(append(append([]tagSpec{}, base...), tc.specs...)...), Options{})
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestTagNamesOfThreeOrMoreParts(t *testing.T) {
	r := newRig(t, Options{}, dev("Site.Pump1.Flow", datasource.TypeFloat32), dev("Site.Pump1", datasource.TypeFloat32),
		exprTag("X", "Site.Pump1.Flow * 2 + Site.Pump1"))
	r.pub(t0, "Site.Pump1.Flow", 3.0, "Site.Pump1", 1.0)
	if got := r.get("X").Value; got != datasource.Float(7) {
		t.Fatalf("X = %v, want 7", got)
	}
	_, errs := Compile(project(dev("Site.Pump1.Flow", datasource.TypeFloat32), exprTag("X", "Site.Pump1.Flw")), Options{})
	if len(errs) != 1 || errs[0].Msg != "unknown tag Site.Pump1.Flw" {
		t.Fatalf("errors %v, want one: unknown tag Site.Pump1.Flw", errs)
	}
}

// A tag whose name is no identifier path is read as $env["name"], as
// docs/calc.md says; a name there that is no tag is named as it was given.
func TestATagNameWithADashIsReadThroughEnv(t *testing.T) {
	r := newRig(t, Options{}, dev("Tank-1.Level", datasource.TypeFloat32), exprTag("X", `$env["Tank-1.Level"] * 2`))
	r.pub(t0, "Tank-1.Level", 21.0)
	if got := r.get("X"); got.Value != datasource.Float(42) || !got.Quality.IsGood() {
		t.Fatalf("X = %v (%v), want 42 Good", got.Value, got.Quality)
	}
	_, errs := Compile(project(dev("Tank-1.Level", datasource.TypeFloat32), exprTag("X", `$env["Tank-2.Level"] + 1`)), Options{})
	if len(errs) != 1 || errs[0].Msg != "unknown tag Tank-2.Level" {
		t.Fatalf("errors %v, want one: unknown tag Tank-2.Level", errs)
	}
}

func TestCalcOfCalcIsEvaluatedInTheSamePublish(t *testing.T) {
	// Y is defined before the X it reads: order in the file does not matter.
	r := newRig(t, Options{}, dev("A", datasource.TypeFloat32), exprTag("Y", "X * 2"), exprTag("X", "A + 1"))
	r.pub(t0, "A", 1.0)
	if got := r.get("Y").Value; got != datasource.Float(4) {
		t.Fatalf("Y = %v after the first publish, want 4", got)
	}
	r.pub(t0.Add(time.Second), "A", 2.0)
	if got := r.get("Y").Value; got != datasource.Float(6) {
		t.Fatalf("Y = %v, want 6", got)
	}
	// Subscribers see each calculated sample once per change of its input.
	if h := r.history("Y"); len(h) != 2 {
		t.Fatalf("Y published %d times, want 2: %v", len(h), h)
	}
}

func TestUnchangedInputsAreNotEvaluatedAgain(t *testing.T) {
	r := newRig(t, Options{}, dev("A", datasource.TypeFloat32), dev("B", datasource.TypeFloat32), exprTag("X", "A + 1"))
	r.pub(t0, "A", 1.0, "B", 1.0)
	r.pub(t0.Add(time.Second), "A", 1.0, "B", 2.0)
	if h := r.history("X"); len(h) != 1 {
		t.Fatalf("X published %d times, want once: %v", len(h), h)
	}
}

func TestLargeBatchesAreReadThroughTheirLayout(t *testing.T) {
	// In order, the layout's inputs are checked in a loop of their own; in
	// reverse (scattered, as a batch of changes), their lines are read
	// ahead in groups.
	for _, reverse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reverse=%v", reverse), func(t *testing.T) { testLayout(t, reverse) })
	}
}

func testLayout(t *testing.T, reverse bool) {
	specs := []tagSpec{}
	for i := range 100 {
		specs = append(specs, dev(fmt.Sprintf("T%d", i), datasource.TypeFloat32))
	}
	// Every tag an input, numbered in the order of the tags, so that a
	// reversed batch has them out of their order.
	for i := range 50 {
		specs = append(specs, exprTag(fmt.Sprintf("Y%d", i), fmt.Sprintf("T%d - T%d", 2*i, 2*i+1)))
	}
	specs = append(specs, exprTag("X", "T10 + T90"))
	r := newRig(t, Options{}, specs...)
	batch := func(v float64, swap bool) []any {
		var kv []any
		for j := range 100 {
			i := j
			if reverse {
				i = 99 - j
			}
			name := fmt.Sprintf("T%d", i)
			switch {
			case swap && i == 10:
				name = "T11"
			case swap && i == 11:
				name = "T10"
			}
			kv = append(kv, name, v+float64(i))
		}
		return kv
	}
	r.pub(t0, batch(0, false)...)
	if got := r.get("X").Value; got != datasource.Float(100) {
		t.Fatalf("X = %v, want 10 + 90", got)
	}
	r.pub(t0.Add(time.Second), batch(1, false)...) // the same layout: read through it
	if got := r.get("X").Value; got != datasource.Float(102) {
		t.Fatalf("X = %v, want 11 + 91", got)
	}
	if got := r.get("Y7").Value; got != datasource.Float(-1) {
		t.Fatalf("Y7 = %v, want 15 - 16", got)
	}
	for _, l := range r.eng.layouts {
		if l.scattered != reverse {
			t.Errorf("the layout is scattered: %v, want %v", l.scattered, reverse)
		}
	}
	// T10 moved: the remembered position no longer holds it, the batch is
	// scanned. (T10 now carries 1000 + 11.)
	kv := batch(1000, true)
	r.pub(t0.Add(2*time.Second), kv...)
	if got := r.get("X").Value; got != datasource.Float(1011+1090) {
		t.Fatalf("X = %v after the layout changed, want %d", got, 1011+1090)
	}
}

// A calculated sample carries the time of the newest input sample that
// changed: an input published again unchanged, later, neither evaluates
// the tag nor moves the time of its next result.
func TestTheResultCarriesTheTimeOfTheNewestChange(t *testing.T) {
	r := newRig(t, Options{}, dev("A", datasource.TypeFloat32), dev("B", datasource.TypeFloat32), exprTag("X", "A + B"))
	r.pub(t0, "A", 1.0, "B", 1.0)
	r.pub(t0.Add(5*time.Second), "A", 1.0) // unchanged
	r.pub(t0.Add(3*time.Second), "B", 2.0) // an older sample of another device, changed
	r.pub(t0.Add(7*time.Second), "A", 5.0) // a change
	r.pub(t0.Add(6*time.Second), "B", 2.0) // unchanged, older
	h := r.history("X")
	want := []time.Time{t0, t0.Add(3 * time.Second), t0.Add(7 * time.Second)}
	if len(h) != len(want) {
		t.Fatalf("X published %v, want at %v", h, want)
	}
	for i, s := range h {
		if !s.Time.Equal(want[i]) {
			t.Errorf("X's sample %d at %v, want %v", i, s.Time, want[i])
		}
	}
	if h[2].Value != datasource.Float(7) {
		t.Errorf("X = %v, want 7", h[2].Value)
	}
}

// An input read by several tags, one of them a totalizer, tells every one
// of a change, and the totalizer of every sample, changed or not.
func TestAnInputOfSeveralTags(t *testing.T) {
	r := newRig(t, Options{}, dev("Run", datasource.TypeBool),
		exprTag("X", "Run ? 1 : 0"), exprTag("Y", "!Run"),
		tagSpec{name: "Hours", calc: &datasource.CalcDef{Kind: datasource.CalcRunHours, Input: "Run"}})
	r.pub(t0, "Run", true)
	r.pub(t0.Add(time.Hour), "Run", true) // unchanged: X and Y stay, Hours counts
	r.pub(t0.Add(2*time.Hour), "Run", false)
	if got := r.get("X").Value; got != datasource.Float(0) {
		t.Errorf("X = %v, want 0", got)
	}
	if got := r.get("Y").Value; got != datasource.Bool(true) {
		t.Errorf("Y = %v, want true", got)
	}
	if n := len(r.history("X")); n != 2 {
		t.Errorf("X published %d times, want 2", n)
	}
	if got := r.get("Hours").Value; got != datasource.Float(2) {
		t.Errorf("Hours = %v, want 2", got)
	}
}

// The publish path of a table with calculated tags allocates nothing once
// warm: not the engine (flat state, fast programs, a reused change list)
// nor the table (the array the calculated samples are appended to is asked
// of its pool at the size of the recent outputs).
func TestPublishingAllocatesNothing(t *testing.T) {
	const nIn, nCalc = 600, 200
	specs := make([]tagSpec, 0, nIn+nCalc)
	for i := range nIn {
		specs = append(specs, dev(fmt.Sprintf("In%d", i), datasource.TypeFloat32))
	}
	for i := range nCalc {
		src := fmt.Sprintf("(In%d + In%d) / max(In%d, 0.1)", 3*i, 3*i+1, 3*i+2)
		specs = append(specs, exprTag(fmt.Sprintf("Calc%d", i), src))
	}
	tags, eng := engineOf(t, Options{Location: time.UTC}, specs...)
	table := datasource.NewTable(tags)
	table.Engine().SetDeriver(eng)
	batch := make([]datasource.Sample, nIn)
	k := 0
	publish := func() {
		k++
		for i := range batch {
			batch[i] = datasource.Sample{Tag: datasource.TagID(i), Value: datasource.Float(float64(k + i)), Time: t0.Add(time.Duration(k) * time.Second)}
		}
		table.Publish(batch)
	}
	publish()
	if got := table.Get(tags[nIn].ID).Value; got != datasource.Float(float64(1+0+1+1)/float64(1+2)) {
		t.Fatalf("Calc0 = %v", got)
	}
	if n := testing.AllocsPerRun(50, publish); n != 0 {
		t.Errorf("%v allocations per publish of %d inputs and %d calculated tags, want 0", n, nIn, nCalc)
	}
}

// An input's latest value is kept packed in a word, except a string's text
// and what a totalizer reads: a change of a string's text, a string that
// becomes a number, and an input that an expression and a totalizer both
// read are each taken as they must be, in a small batch and through a
// large batch's layout alike.
func TestInputsTheWordCannotHoldAlone(t *testing.T) {
	for _, large := range []bool{false, true} {
		t.Run(fmt.Sprintf("large=%v", large), func(t *testing.T) {
			specs := []tagSpec{dev("S", datasource.TypeString), dev("F", datasource.TypeFloat32),
				exprTag("X", `S == "on" ? F * 2 : -1`),
				exprTag("L", `len(S)`),
				totalTag("Vol", datasource.CalcIntegrate, "F", datasource.ResetNever)}
			for i := range 100 { // the padding of a large batch, in its layout
				specs = append(specs, dev(fmt.Sprintf("P%d", i), datasource.TypeFloat32))
			}
			r := newRig(t, Options{}, specs...)
			pub := func(at time.Duration, s any, f float64) {
				kv := []any{"S", s, "F", f}
				if large {
					for i := range 100 {
						kv = append(kv, fmt.Sprintf("P%d", i), 1.0)
					}
				}
				r.pub(t0.Add(at), kv...)
			}
			pub(0, "on", 3)
			pub(time.Hour, "on", 3) // unchanged: X and L are not evaluated; Vol integrates
			pub(2*time.Hour, "off", 3)
			pub(3*time.Hour, datasource.Sample{Value: datasource.Float(7)}, 3) // a number where a string was
			pub(4*time.Hour, "onn", 3)
			var xs, ls []string
			x, l := r.id("X"), r.id("L")
			for _, s := range r.history("") { // one drain, every tag
				switch s.Tag {
				case x:
					xs = append(xs, s.Value.String())
				case l:
					ls = append(ls, s.Value.String()+"/"+s.Quality.String())
				}
			}
			if got, want := strings.Join(xs, " "), "6 -1 -1 -1"; got != want {
				t.Errorf("X was %s, want %s", got, want)
			}
			if got := strings.Join(ls, " "); !strings.HasPrefix(got, "2/Good 3/Good ") || !strings.HasSuffix(got, " 3/Good") || len(ls) != 4 {
				t.Errorf("L was %s, want 2, 3, (the length of a number), 3, once each", got)
			}
			if got := numOf(t, r.get("Vol")); !near(got, 12) {
				t.Errorf("Vol %g, want 12 (3 an hour for 4 hours, every sample taken)", got)
			}
		})
	}
}
