package calc

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// BenchmarkCalc is the figure: 10,000 expression tags over 50,000
// inputs (five each), 10 % of the inputs changing per publish, evaluated
// by Engine.Derive on one goroutine. It reports expr/s (evaluations per
// second of wall time), cpu-expr/s (per second of the benchmark thread's
// CPU time, steadier on a shared machine), evals/publish and ns/expr.
func BenchmarkCalc(b *testing.B) {
	const nIn, nCalc, fan = 50_000, 10_000, 5
	specs := make([]tagSpec, 0, nIn+nCalc)
	for i := range nIn {
		specs = append(specs, dev(fmt.Sprintf("Plant%d.In%d", i/100, i), datasource.TypeFloat32))
	}
	for i := range nCalc {
		in := func(k int) string { return specs[i*fan+k].name }
		src := fmt.Sprintf("(%s + %s) / max(%s, 0.1) - %s * %s", in(0), in(1), in(2), in(3), in(4))
		specs = append(specs, exprTag(fmt.Sprintf("Calc%d", i), src))
	}
	_, eng := engineOf(b, Options{Location: time.UTC}, specs...)
	rnd := rand.New(rand.NewPCG(1, 2))
	// One full publish first, so every input has a value.
	all := make([]datasource.Sample, nIn)
	for i := range all {
		all[i] = datasource.Sample{Tag: datasource.TagID(i), Value: datasource.Float(rnd.Float64()), Time: t0}
	}
	out := eng.Derive(all, t0, nil)
	// Each publish carries 10 % of the inputs, with new values.
	const changing = nIn / 10
	batches := make([][]datasource.Sample, 16)
	for k := range batches {
		batch := make([]datasource.Sample, changing)
		for j := range batch {
			batch[j] = datasource.Sample{Tag: datasource.TagID(rnd.IntN(nIn)), Value: datasource.Float(rnd.Float64() * 10), Time: t0}
		}
		batches[k] = batch
	}
	// One publish of each batch, so that the engine has seen every layout
	// (a scan class's first scan) and what is measured is the steady state.
	for k, batch := range batches {
		out = eng.Derive(batch, t0.Add(time.Duration(k-len(batches))*time.Millisecond), out[:0])
	}
	evals := 0
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0, cpuOK := threadCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now := t0.Add(time.Duration(i+1) * time.Second)
		batch := batches[i%len(batches)]
		for j := range batch {
			batch[j].Time = now
			batch[j].Value = datasource.Float(float64(i) + float64(j)) // a change every time
		}
		out = eng.Derive(batch, now, out[:0])
		evals += len(out)
	}
	b.StopTimer()
	if cpu1, ok := threadCPU(); ok && cpuOK && cpu1 > cpu0 {
		b.ReportMetric(float64(evals)/(cpu1-cpu0).Seconds(), "cpu-expr/s")
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(evals)/sec, "expr/s")
	b.ReportMetric(float64(evals)/float64(b.N), "evals/publish")
	b.ReportMetric(sec*1e9/float64(evals), "ns/expr")
}
