package sim

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
)

// BenchmarkPlantRead reads 10,000 tags (the plant's signals, reused) from
// the sim driver per op, with the clock moving one scan (500 ms) per read.
func BenchmarkPlantRead(b *testing.B) {
	const n = 10000
	clk := clockwork.NewFakeClockAt(start)
	d, err := New(&datasource.Device{Name: "plant", Driver: "sim", Settings: Settings{Seed: 1}}, clk)
	if err != nil {
		b.Fatal(err)
	}
	sigs := Signals()
	tags := make([]*datasource.Tag, n)
	for i := range tags {
		s := sigs[i%len(sigs)]
		typ := datasource.TypeFloat32
		if s.Kind == datasource.KindBool {
			typ = datasource.TypeBool
		}
		tags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: s.Name, Address: s.Name, Type: typ}
	}
	pl, err := d.Prepare(tags)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	dst := make([]datasource.Sample, 0, n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clk.Advance(500 * time.Millisecond)
		dst, err = d.Read(ctx, pl, dst[:0])
		if err != nil || len(dst) != n {
			b.Fatal(err, len(dst))
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
