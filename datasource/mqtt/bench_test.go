package mqtt

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
)

// BenchmarkControlRoom10kTags measures the control room end to end through
// the in-process broker: 10,000 tags of an acquiring station change at once
// (one round is one second of a plant whose every tag changes at 1 Hz), the
// edge node publishes them, the mqtt driver of a viewing station turns them
// into samples of its table. Each round is waited for before the next, so
// latency is that of a 1 Hz plant, not of a backlog. Reported: metrics/s
// (the capacity: above 10,000 the 1 Hz plant is kept up with), and the
// latency from the acquirer's table to the viewer's, median and p99.
func BenchmarkControlRoom10kTags(b *testing.B) {
	const n = 10_000
	broker := sparkplugtest.Start(b)
	acqTags := make([]*datasource.Tag, n)
	viewTags := make([]*datasource.Tag, n)
	for i := range n {
		name := fmt.Sprintf("Area%d.Tag%05d", i/1000, i)
		acqTags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: name, Device: "PLC1", Type: datasource.TypeFloat64}
		viewTags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: name, Device: "station1", Address: "PLC1/" + name, Type: datasource.TypeFloat64}
	}
	acq := datasource.NewTable(acqTags)
	node, err := sparkplug.NewNode(sparkplug.NodeConfig{Broker: sparkplug.Broker{URL: broker.URL()}, Group: "plant", Node: "station1", Tags: acqTags, Table: acq})
	if err != nil {
		b.Fatal(err)
	}
	view := datasource.NewTable(viewTags)
	eng, err := poll.New(poll.Config{
		Devices: []*datasource.Device{{Name: "station1", Driver: "mqtt", Address: broker.URL(), Timeout: 5 * time.Second,
			ScanClasses: []datasource.ScanClass{{Name: "default", Rate: time.Second}},
			Backoff:     datasource.Backoff{Min: 20 * time.Millisecond, Max: 100 * time.Millisecond}}},
		Tags: viewTags, Table: view, StaleCheck: -1,
		Drivers: map[string]poll.Factory{"mqtt": Factory(Options{Devices: map[string]Settings{
			"station1": {Broker: sparkplug.Broker{URL: broker.URL()}, Group: "plant", Node: "station1"}}})},
	})
	if err != nil {
		b.Fatal(err)
	}
	sub := view.Subscribe("bench", 4*n)
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = node.Run(ctx); done <- struct{}{} }()
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	defer func() {
		cancel()
		<-done
		<-done
	}()

	batch := make([]datasource.Sample, n)
	var got []datasource.Sample
	// round publishes value v on every tag and waits until the viewer's
	// table has all of them, recording each sample's latency.
	var lat []time.Duration
	round := func(v float64, record bool) {
		start := time.Now()
		for i := range batch {
			batch[i] = datasource.Sample{Tag: datasource.TagID(i), Value: datasource.Float(v), Time: start}
		}
		acq.Publish(batch)
		seen := 0
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		defer wcancel()
		for seen < n {
			got, err = sub.Recv(wctx, got[:0])
			if err != nil {
				b.Fatalf("round %v: %d of %d samples arrived", v, seen, n)
			}
			now := time.Now()
			for _, s := range got {
				if s.Value == datasource.Float(v) && s.Quality.IsGood() {
					seen++
					if record {
						lat = append(lat, now.Sub(start))
					}
				}
			}
		}
	}
	round(-1, false) // the births are through and the viewer is Good
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		round(float64(i), true)
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N*n)/elapsed.Seconds(), "metrics/s")
	b.ReportMetric(float64(lat[len(lat)/2])/float64(time.Millisecond), "latency-median-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100])/float64(time.Millisecond), "latency-p99-ms")
	b.ReportMetric(0, "ns/op")
}
