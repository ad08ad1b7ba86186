package alarms

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/vigil-hmi/vigil/datasource"
)

// benchTags returns a plant with exactly 10,000 alarm definitions: 2000
// analog tags with HiHi/Hi/Lo/LoLo, 500 with deviation (from 10 setpoint
// tags) and rate of change, 500 discrete and 500 bad-quality alarms.
func benchTags() []*datasource.Tag {
	var tags []*datasource.Tag
	add := func(t *datasource.Tag) { t.ID = datasource.TagID(len(tags)); tags = append(tags, t) }
	for i := range 10 {
		add(&datasource.Tag{Name: fmt.Sprintf("SP%d", i), Type: datasource.TypeFloat32})
	}
	for i := range 2000 {
		add(&datasource.Tag{Name: fmt.Sprintf("AI%d", i), Type: datasource.TypeFloat32, Alarms: []datasource.AlarmDef{
			{Kind: datasource.AlarmHiHi, Limit: 95, Deadband: 1}, {Kind: datasource.AlarmHi, Limit: 85, Deadband: 1, OnDelay: time.Second},
			{Kind: datasource.AlarmLo, Limit: 15, Deadband: 1}, {Kind: datasource.AlarmLoLo, Limit: 5, Deadband: 1},
		}})
	}
	for i := range 500 {
		add(&datasource.Tag{Name: fmt.Sprintf("PV%d", i), Type: datasource.TypeFloat32, Alarms: []datasource.AlarmDef{
			{Kind: datasource.AlarmDeviation, Limit: 30, Deadband: 1, Setpoint: fmt.Sprintf("SP%d", i%10)},
			{Kind: datasource.AlarmRateOfChange, Limit: 50, Deadband: 1},
		}})
	}
	for i := range 500 {
		add(&datasource.Tag{Name: fmt.Sprintf("DI%d", i), Type: datasource.TypeBool, Alarms: []datasource.AlarmDef{
			{Kind: datasource.AlarmDiscrete, State: datasource.Bool(true)}}})
	}
	for i := range 500 {
		add(&datasource.Tag{Name: fmt.Sprintf("Q%d", i), Type: datasource.TypeFloat32, Alarms: []datasource.AlarmDef{
			{Kind: datasource.AlarmBadQuality, OnDelay: time.Second}}})
	}
	return tags
}

// BenchmarkEvaluate measures samples/s through Engine.Process with 10,000
// alarm definitions, in batches of 500 like the tag table's. "steady":
// values wander inside their normal band; "alarming": about 1 sample in
// 100 crosses a limit and back, so transitions and events are made too.
func BenchmarkEvaluate(b *testing.B) {
	for _, tc := range []struct {
		name  string
		cross float64 // share of samples outside the normal band
	}{{"steady", 0}, {"alarming", 0.01}} {
		b.Run(tc.name, func(b *testing.B) {
			tags := benchTags()
			clk := clockwork.NewFakeClockAt(t0)
			e, err := New(tags, Options{Clock: clk})
			if err != nil {
				b.Fatal(err)
			}
			if e.Len() != 10000 {
				b.Fatalf("%d alarm definitions, want 10000", e.Len())
			}
			r := rand.New(rand.NewPCG(1, 2))
			const batch, nbatches = 500, 64
			batches := make([][]datasource.Sample, nbatches)
			for k := range batches {
				at := t0.Add(time.Duration(k) * 100 * time.Millisecond)
				for range batch {
					id := datasource.TagID(r.IntN(len(tags)))
					v := 40 + r.Float64()*20
					if r.Float64() < tc.cross {
						v = 99
					}
					s := datasource.Sample{Tag: id, Value: fl(v), Time: at}
					if tags[id].Type == datasource.TypeBool {
						s.Value = datasource.Bool(r.Float64() < tc.cross)
					}
					batches[k] = append(batches[k], s)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.Process(batches[i%nbatches])
				if i%nbatches == nbatches-1 {
					clk.Advance(100 * time.Millisecond)
				}
			}
			b.ReportMetric(float64(b.N)*batch/b.Elapsed().Seconds(), "samples/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}
