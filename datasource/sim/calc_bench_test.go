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
// tags in one scan class, the engine polling flat out) with calculated
// tags on the table's publish path, and what they add is the difference
// of cpu-overhead-% (or of engine-cpu-ns/tag) between calc=0 and calc=N.
//
// The figure is BenchmarkCalc's workload added to the engine:
// 10,000 expression tags over 50,000 inputs, 10 % of the inputs changing
// per scan. Scaled to this scan of 10,000 tags that is calc=2000x5: 2,000
// expressions of BenchmarkCalc's form, (a + b) / max(c, 0.1) - d * e, five
// inputs each, every read tag the input of one (a bool input counts as
// 0 or 1). calc=100x2 and calc=1000x2 are smaller mixes of two inputs each.
//
// 10 % of the inputs must change per scan, as in the issue, but the plant
// steps every 100 ms of its own time and the engine scans every ~0.15 ms:
// the sim alone changes nothing in 699 scans out of 700. So the device is
// the sim with a change made per read (polltest.Changing): a fresh random 5 % of the
// samples get a new value, and last read's 5 % return to the plant's, so
// about 10 % of the read tags differ from the scan before, different ones
// every scan, as BenchmarkCalc's random tenth of inputs. The driver alone
// is measured with the same change (500 sample writes per read, in both
// phases, a few % of a read). evals/scan (polltest.EngineBench
// counts what the deriver returns) shows the work done.
//
// read-only is the least that calculated tags over every read tag can add:
// a deriver that reads the value and quality of each sample of the scan,
// compares them with nothing and derives nothing.
func BenchmarkEngineSimCalc(b *testing.B) {
	b.Run("read-only", func(b *testing.B) {
		tags, _ := calcBenchTags(b, 0, 0)
		engineSimBench(b, tags, func() datasource.Deriver { return &readOnly{} })
	})
	for _, mix := range []struct{ n, fan int }{{0, 0}, {100, 2}, {1000, 2}, {2000, 5}} {
		// Compiled before the sub-benchmark: a thousand expressions take a
		// while to compile, and that must not count as a scan.
		tags, set := calcBenchTags(b, mix.n, mix.fan)
		name := "calc=0"
		if mix.n > 0 {
			name = fmt.Sprintf("calc=%dx%d", mix.n, mix.fan)
		}
		b.Run(name, func(b *testing.B) {
			var deriver func() datasource.Deriver
			if mix.n > 0 {
				deriver = func() datasource.Deriver {
					eng, err := calc.NewEngine(set, len(tags))
					if err != nil {
						b.Fatal(err)
					}
					return eng
				}
			}
			engineSimBench(b, tags, deriver)
		})
	}
}

// engineSimBench runs BenchmarkEngineSim/consumers=0 over tags with the
// deriver (nil: none) on the table's publish path, 10 % of the read tags
// changing per scan.
func engineSimBench(b *testing.B, tags []*datasource.Tag, deriver func() datasource.Deriver) {
	polltest.EngineBench{
		Device: &datasource.Device{Name: "plant", Driver: "sim", Timeout: 5 * time.Second,
			ScanClasses: []datasource.ScanClass{{Name: "fast", Rate: time.Nanosecond}},
			Backoff:     datasource.Backoff{Min: time.Millisecond, Max: time.Millisecond}},
		Tags:    tags,
		Factory: polltest.Changing(sim.Factory(clockwork.NewRealClock())),
		Deriver: deriver,
	}.Run(b)
}

// readOnly reads the value and quality of every sample it is given and
// derives nothing.
type readOnly struct{ sum uint64 }

func (r *readOnly) Derive(batch []datasource.Sample, _ time.Time, out []datasource.Sample) []datasource.Sample {
	for i := range batch {
		kind, bits := batch[i].Value.Word()
		r.sum += bits + uint64(kind) + uint64(batch[i].Quality.Status)
	}
	return out
}

// calcBenchTags is benchTags(10000) with n expression tags of fan inputs
// each, before the system tag, compiled: with two inputs, a formula over
// two numeric sim tags; with five, BenchmarkCalc's over five consecutive
// read tags.
func calcBenchTags(b *testing.B, n, fan int) ([]*datasource.Tag, *calc.Set) {
	tags := benchTags(10000, time.Nanosecond)
	// benchTags reuses the plant's signals, so names repeat: make them unique
	// for the expressions' sake.
	for i, t := range tags[:len(tags)-1] {
		t.Name = fmt.Sprintf("S%d.%s", i, t.Name)
	}
	sys := tags[len(tags)-1]
	tags = tags[:len(tags)-1]
	read := tags
	var numeric []*datasource.Tag
	for _, t := range tags {
		if t.Type.Numeric() {
			numeric = append(numeric, t)
		}
	}
	// term is t as a number.
	term := func(t *datasource.Tag) string {
		if t.Type == datasource.TypeBool {
			return "(" + t.Name + " ? 1 : 0)"
		}
		return t.Name
	}
	for i := range n {
		var src string
		switch fan {
		case 2:
			a, c := numeric[(2*i)%len(numeric)], numeric[(2*i+1)%len(numeric)]
			src = fmt.Sprintf("%s * 2 / max(%s, 0.1)", a.Name, c.Name)
		case 5:
			in := read[(5*i)%len(read):]
			src = fmt.Sprintf("(%s + %s) / max(%s, 0.1) - %s * %s", term(in[0]), term(in[1]), term(in[2]), term(in[3]), term(in[4]))
		default:
			b.Fatalf("no formula of %d inputs", fan)
		}
		tags = append(tags, &datasource.Tag{ID: datasource.TagID(len(tags)), Name: fmt.Sprintf("Calc%d", i),
			Calc: &datasource.CalcDef{Kind: datasource.CalcExpr, Expr: src}})
	}
	sys.ID = datasource.TagID(len(tags))
	tags = append(tags, sys)
	set, errs := calc.Compile(tags, calc.Options{Location: time.UTC})
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	return tags, set
}
