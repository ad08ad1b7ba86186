package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll/polltest"
	"github.com/vigil-hmi/vigil/datasource/sim"
)

// benchTags is n tags over the plant's signals (reused), all in one scan
// class, plus the device's system tag.
func benchTags(n int, rate time.Duration) []*datasource.Tag {
	sigs := sim.Signals()
	tags := make([]*datasource.Tag, 0, n+1)
	for i := 0; i < n; i++ {
		s := sigs[i%len(sigs)]
		typ := datasource.TypeFloat64
		if s.Kind == datasource.KindBool {
			typ = datasource.TypeBool
		}
		tags = append(tags, &datasource.Tag{ID: datasource.TagID(i), Name: s.Name, Device: "plant", Address: s.Name,
			Type: typ, ScanClass: "fast", ScanRate: rate, Decimals: -1})
	}
	return append(tags, &datasource.Tag{ID: datasource.TagID(n), Name: datasource.ConnectedTagName("plant"),
		Device: "plant", Type: datasource.TypeBool, System: true})
}

// BenchmarkEngineSim measures tags/s polled from the simulated plant with
// 10,000 tags in one scan class, through the engine and by the driver
// alone, and reports the engine's overhead over the driver's own cost
// (polltest.EngineBench). The scan rate is far below the scan's duration,
// so both run flat out.
//
// consumers=0 is the engine and the table alone: scheduling, the watched
// driver call, publishing into the table. That is the foundation issue's
// figure (≤ 10 %). consumers=1 and 2 add goroutines that drain the table
// as history and alarms do: their copies of every sample run on the other
// core and are the consumers' cost, but they share the machine with the
// engine, so they are measured too.
func BenchmarkEngineSim(b *testing.B) {
	for _, consumers := range []int{0, 1, 2} {
		b.Run(fmt.Sprintf("consumers=%d", consumers), func(b *testing.B) {
			benchEngineSim(b, 10000, consumers)
		})
	}
}

// BenchmarkEngineSimShapes is BenchmarkEngineSim with fewer tags per scan
// (a PLC-sized class whose batch fits in a core's cache), where the
// engine's fixed cost per scan weighs more, with one consumer.
func BenchmarkEngineSimShapes(b *testing.B) {
	for _, tags := range []int{100, 1000} {
		b.Run(fmt.Sprintf("tags=%d/consumers=1", tags), func(b *testing.B) {
			benchEngineSim(b, tags, 1)
		})
	}
}

func benchEngineSim(b *testing.B, n, subscribers int) {
	const rate = time.Nanosecond // always overrun: the engine never waits for its timer
	polltest.EngineBench{
		Device: &datasource.Device{Name: "plant", Driver: "sim", Timeout: 5 * time.Second,
			ScanClasses: []datasource.ScanClass{{Name: "fast", Rate: rate}},
			Backoff:     datasource.Backoff{Min: time.Millisecond, Max: time.Millisecond}},
		Tags:        benchTags(n, rate),
		Factory:     sim.Factory(clockwork.NewRealClock()),
		Subscribers: subscribers,
	}.Run(b)
}
