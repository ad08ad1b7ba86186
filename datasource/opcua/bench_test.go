package opcua

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/opcua/opcuatest"
)

// BenchmarkSubscribe measures data changes per second delivered from the
// test server to Subscribe with 1,000 monitored items (publishing interval
// 10ms), and the latency from the server-side change (its source timestamp)
// to delivery: median and 99th percentile. One iteration changes all 1,000
// variables once and waits until every change has been delivered.
func BenchmarkSubscribe(b *testing.B) {
	const n = 1000
	srv, err := opcuatest.New(opcuatest.Options{ChangeEvery: -1, Extra: n})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	dev := testDevice(srv)
	modify(dev, func(s *Settings) { s.QueueSize = 1 })
	d := newDriver(b, dev, Options{})
	if err := d.Connect(context.Background()); err != nil {
		b.Fatal(err)
	}
	tags := make([]*datasource.Tag, n)
	for i := range tags {
		tags[i] = testTag(i, opcuatest.ExtraName(i), opcuatest.NodeID(opcuatest.ExtraName(i)), datasource.TypeFloat64)
	}
	pl, err := d.Prepare(tags)
	if err != nil {
		b.Fatal(err)
	}
	var (
		mu        sync.Mutex
		round     = -1.0 // values of round r are r*n + i
		got       int
		latencies []time.Duration
		complete  = make(chan struct{}, 1)
	)
	publish := func(batch []datasource.Sample) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		for _, s := range batch {
			f, _ := s.Value.AsFloat()
			if f != round*n+float64(s.Tag) {
				continue
			}
			got++
			latencies = append(latencies, now.Sub(s.Time))
		}
		if got == n {
			select {
			case complete <- struct{}{}:
			default:
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Subscribe(ctx, pl, 10*time.Millisecond, publish) }()
	defer func() {
		cancel()
		<-done
	}()
	next := func(r int) {
		mu.Lock()
		round, got = float64(r), 0
		mu.Unlock()
		now := time.Now()
		for i := 0; i < n; i++ {
			srv.SetAt(opcuatest.ExtraName(i), float64(r*n+i), now)
		}
		select {
		case <-complete:
		case <-time.After(30 * time.Second):
			b.Fatalf("round %d: only %d of %d changes delivered", r, got, n)
		}
	}
	next(1) // warm up: initial values and the first round
	mu.Lock()
	latencies = latencies[:0]
	mu.Unlock()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		next(i + 2)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(float64(b.N*n)/elapsed.Seconds(), "changes/s")
	if len(latencies) > 0 {
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "median-ms")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
	}
}
