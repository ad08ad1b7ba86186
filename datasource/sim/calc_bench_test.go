package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/calc"
	"github.com/vigil-hmi/vigil/datasource/poll/polltest"
	"github.com/vigil-hmi/vigil/datasource/sim"
)

// BenchmarkEngineSimCalc is BenchmarkEngineSim/consumers=0 (10,000 sim
// tags in one scan class) with calculated tags on the table's publish path:
// calc=0 is the plain engine, calc=100 and calc=1000 add that many
// expression tags (1 % and 10 % of the read tags), each a formula over two
// sim tags, evaluated at every scan in which one of them changed. What the
// calculated tags add is the difference of overhead-% (or of
// engine-ns/tag) between calc=0 and calc=N, measured back to back.
func BenchmarkEngineSimCalc(b *testing.B) {
	for _, n := range []int{0, 100, 1000} {
		// Compiled before the sub-benchmark: a thousand expressions take a
		// while to compile, and that must not count as a scan.
		tags, set := calcBenchTags(b, n)
		b.Run(fmt.Sprintf("calc=%d", n), func(b *testing.B) {
			var deriver func() datasource.Deriver
			if n > 0 {
				deriver = func() datasource.Deriver {
					eng, err := calc.NewEngine(set, len(tags))
					if err != nil {
						b.Fatal(err)
					}
					return eng
				}
			}
			const rate = time.Nanosecond
			polltest.EngineBench{
				Device: &datasource.Device{Name: "plant", Driver: "sim", Timeout: 5 * time.Second,
					ScanClasses: []datasource.ScanClass{{Name: "fast", Rate: rate}},
					Backoff:     datasource.Backoff{Min: time.Millisecond, Max: time.Millisecond}},
				Tags:    tags,
				Factory: sim.Factory(clockwork.NewRealClock()),
				Deriver: deriver,
			}.Run(b)
		})
	}
}

// calcBenchTags is benchTags(10000) with n expression tags, each over two
// numeric sim tags, before the system tag, compiled.
func calcBenchTags(b *testing.B, n int) ([]*datasource.Tag, *calc.Set) {
	tags := benchTags(10000, time.Nanosecond)
	// benchTags reuses the plant's signals, so names repeat: make them unique
	// for the expressions' sake.
	for i, t := range tags[:len(tags)-1] {
		t.Name = fmt.Sprintf("S%d.%s", i, t.Name)
	}
	sys := tags[len(tags)-1]
	tags = tags[:len(tags)-1]
	var numeric []*datasource.Tag
	for _, t := range tags {
		if t.Type.Numeric() {
			numeric = append(numeric, t)
		}
	}
	for i := range n {
		a, c := numeric[(2*i)%len(numeric)], numeric[(2*i+1)%len(numeric)]
		tags = append(tags, &datasource.Tag{ID: datasource.TagID(len(tags)), Name: fmt.Sprintf("Calc%d", i),
			Calc: &datasource.CalcDef{Kind: datasource.CalcExpr, Expr: fmt.Sprintf("%s * 2 / max(%s, 0.1)", a.Name, c.Name)}})
	}
	sys.ID = datasource.TagID(len(tags))
	tags = append(tags, sys)
	set, errs := calc.Compile(tags, calc.Options{Location: time.UTC})
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	return tags, set
}
