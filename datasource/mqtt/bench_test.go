package mqtt

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
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

// BenchmarkControlRoom100kTags measures a Sparkplug host at scale: 10
// acquiring stations of 10,000 tags each publish through one broker (in
// this process), and one viewing station follows all of them: 10 mqtt
// devices, 100,000 tags in one table, drained by a consumer as history and
// alarms would. Every tag changes every second (each op is one second of
// plant time). The viewing station runs in a child process (this test
// binary, TestControlRoomViewerProcess), so that its CPU time is its own:
// reported as viewer-cpu-%, in % of one core per second of plant time, with
// the broker's and the acquirers' CPU left out; metrics/s is what arrived
// end to end over the elapsed time.
func BenchmarkControlRoom100kTags(b *testing.B) {
	const stations, perStation = 10, 10_000
	broker := sparkplugtest.Start(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	acqs := make([]*datasource.Table, stations)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for s := range stations {
		tags := make([]*datasource.Tag, perStation)
		for i := range tags {
			tags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: fmt.Sprintf("Tag%05d", i), Device: "PLC1", Type: datasource.TypeFloat64}
		}
		acqs[s] = datasource.NewTable(tags)
		node, err := sparkplug.NewNode(sparkplug.NodeConfig{Broker: sparkplug.Broker{URL: broker.URL()}, Group: "plant",
			Node: fmt.Sprintf("station%d", s), Tags: tags, Table: acqs[s]})
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() { _ = node.Run(ctx) })
	}
	publish := func(v float64) {
		now := time.Now()
		for _, t := range acqs {
			batch := make([]datasource.Sample, 0, perStation)
			for i := range perStation {
				batch = append(batch, datasource.Sample{Tag: datasource.TagID(i), Value: datasource.Float(v), Time: now})
			}
			t.Publish(batch)
		}
	}
	publish(-1)

	args := []string{"-test.run", "^TestControlRoomViewerProcess$"}
	if f := os.Getenv("VIGIL_BENCH_VIEWER_CPUPROFILE"); f != "" { // to profile the viewer alone
		args = append(args, "-test.cpuprofile", f)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), viewerBrokerEnv+"="+broker.URL(), fmt.Sprintf("%s=%d", viewerTagsEnv, perStation))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	expect := func(prefix string) string {
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), prefix); ok {
				return rest
			}
		}
		b.Fatalf("the viewer ended before %q: %v", prefix, cmd.Wait())
		return ""
	}
	expect("ready ") // every tag Good with the first value
	var cpu0 time.Duration
	fmt.Sscan(expect("cpu "), &cpu0)
	b.ResetTimer()
	t0 := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := range b.N {
		<-tick.C
		publish(float64(i))
	}
	fmt.Fprintf(stdin, "%d\n", b.N-1) // the last value: the viewer answers when every tag has it
	var cpu1 time.Duration
	fmt.Sscan(expect("cpu "), &cpu1)
	elapsed := time.Since(t0)
	b.StopTimer()
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatalf("viewer: %v", err)
	}
	// Per second of plant time (b.N of them): when the machine is loaded
	// the delivery lags, and the same work spreads over a longer elapsed.
	b.ReportMetric(100*(cpu1-cpu0).Seconds()/float64(b.N), "viewer-cpu-%")
	b.ReportMetric(float64(b.N*stations*perStation)/elapsed.Seconds(), "metrics/s")
	b.ReportMetric(0, "ns/op")
}

const (
	viewerBrokerEnv = "VIGIL_BENCH_VIEWER_BROKER"
	viewerTagsEnv   = "VIGIL_BENCH_VIEWER_TAGS"
)

// TestControlRoomViewerProcess is the viewing station of
// BenchmarkControlRoom100kTags, run in a child process; it skips otherwise.
// It prints "ready" and its CPU time once every tag is Good, then waits for
// a value on stdin and prints its CPU time again once every tag has it.
func TestControlRoomViewerProcess(t *testing.T) {
	url := os.Getenv(viewerBrokerEnv)
	if url == "" {
		t.Skip("the child process of BenchmarkControlRoom100kTags")
	}
	var perStation int
	fmt.Sscan(os.Getenv(viewerTagsEnv), &perStation)
	const stations = 10
	var devices []*datasource.Device
	var tags []*datasource.Tag
	settings := map[string]Settings{}
	for s := range stations {
		name := fmt.Sprintf("station%d", s)
		devices = append(devices, &datasource.Device{Name: name, Driver: "mqtt", Address: url, Timeout: 5 * time.Second,
			ScanClasses: []datasource.ScanClass{{Name: "default", Rate: time.Second}},
			Backoff:     datasource.Backoff{Min: 20 * time.Millisecond, Max: 100 * time.Millisecond}})
		settings[name] = Settings{Broker: sparkplug.Broker{URL: url}, Group: "plant", Node: name}
		for i := range perStation {
			tags = append(tags, &datasource.Tag{ID: datasource.TagID(len(tags)), Name: fmt.Sprintf("%s.Tag%05d", name, i),
				Device: name, Address: fmt.Sprintf("PLC1/Tag%05d", i), Type: datasource.TypeFloat64})
		}
	}
	table := datasource.NewTable(tags)
	eng, err := poll.New(poll.Config{Devices: devices, Tags: tags, Table: table,
		Drivers: map[string]poll.Factory{"mqtt": Factory(Options{Devices: settings})}})
	if err != nil {
		t.Fatal(err)
	}
	sub := table.Subscribe("consumer", 1<<18) // history and alarms take every sample
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = eng.Run(ctx) })
	wg.Go(func() {
		var buf []datasource.Sample
		for {
			var err error
			if buf, err = sub.Recv(ctx, buf[:0]); err != nil {
				return
			}
		}
	})
	all := func(v float64) {
		for end := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
			n := 0
			for _, s := range table.Snapshot(nil, nil) {
				if s.Value == datasource.Float(v) && s.Quality.IsGood() {
					n++
				}
			}
			if n == len(tags) {
				return
			}
			if time.Now().After(end) {
				t.Fatalf("%d of %d tags have %v after a minute", n, len(tags), v)
			}
		}
	}
	all(-1)
	fmt.Printf("ready %d tags\ncpu %d\n", len(tags), processCPU(t))
	var last float64
	if _, err := fmt.Scan(&last); err != nil {
		t.Fatal(err)
	}
	all(last)
	fmt.Printf("cpu %d\n", processCPU(t))
}

// processCPU is the user and system time of this process so far.
func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
