package opcua

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// TestEngineKeepsDataFlowingThroughFaults runs the real poll engine with
// this driver against the test server and checks what an operator sees in
// the tag table: data, then Bad while the server is gone or the
// subscription is dead, then data again without anyone intervening.
func TestEngineKeepsDataFlowingThroughFaults(t *testing.T) {
	srv := faultServer(t)
	dev := testDevice(srv)
	dev.Timeout = 300 * time.Millisecond
	dev.ScanClasses = []datasource.ScanClass{{Name: "fast", Rate: 20 * time.Millisecond}}
	counter := testTag(0, "Counter", "ns=2;s=Counter", datasource.TypeUint32)
	counter.ScanClass, counter.ScanRate = "fast", 20*time.Millisecond
	connected := &datasource.Tag{ID: 1, Name: datasource.ConnectedTagName("plc1"), Device: "plc1", Type: datasource.TypeBool, System: true}
	tags := []*datasource.Tag{counter, connected}
	table := datasource.NewTable(tags)
	runEngine(t, poll.Config{Devices: []*datasource.Device{dev}, Tags: tags, Table: table})

	// The test watches the table as history and alarms do: every sample.
	sub := table.Subscribe("test", 1<<16)
	defer sub.Close()
	// next waits for the next sample of Counter that satisfies cond.
	next := func(what string, cond func(datasource.Sample) bool) datasource.Sample {
		t.Helper()
		wctx, wcancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer wcancel()
		var buf []datasource.Sample
		for {
			var err error
			buf, err = sub.Recv(wctx, buf[:0])
			if err != nil {
				t.Fatalf("timed out waiting for %s; Counter is %+v", what, table.Get(0))
			}
			for _, s := range buf {
				if s.Tag == 0 && cond(s) {
					return s
				}
			}
		}
	}
	bad := func(s datasource.Sample) bool { return s.Quality.IsBad() }
	flowing := func(what string) {
		t.Helper()
		first := next(what, func(s datasource.Sample) bool { return s.Quality.IsGood() })
		v0, _ := first.Value.AsUint()
		next(what+" (advancing)", func(s datasource.Sample) bool {
			v, _ := s.Value.AsUint()
			return s.Quality.IsGood() && v > v0
		})
	}
	flowing("data")

	srv.KillSubscriptions()
	next("Bad after the subscription died", bad)
	flowing("data after the watchdog's reconnect")

	srv.Stop()
	next("Bad while the server is down", bad)
	connectedIs(t, table, false)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	flowing("data after the restart")
	connectedIs(t, table, true)

	srv.Drop()
	next("Bad after the network dropped", bad)
	flowing("data after a network drop")
}

// runEngine runs a poll engine with this driver until the test ends.
func runEngine(t *testing.T, cfg poll.Config) *poll.Engine {
	t.Helper()
	cfg.Drivers = map[string]poll.Factory{"opcua": Factory(Options{PKIDir: testPKI})}
	eng, err := poll.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return eng
}

// connectedIs waits until the device's connected system tag (ID 1) is want.
func connectedIs(t *testing.T, table *datasource.Table, want bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if table.Get(1).Value == datasource.Bool(want) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("connected tag is %v, want %v", table.Get(1).Value, want)
}

// TestEngineKeepsUnchangedSubscribedValuesGood subscribes to a value that
// never changes (its source time is years old) and holds it for 10 scan
// intervals of the engine's fake clock, each after the server's next
// keep-alive: the tag stays Good, as history records it, because every
// keep-alive confirms it. When the keep-alives stop (the server loses the
// subscription), it turns Uncertain/Stale once the stale time has passed.
func TestEngineKeepsUnchangedSubscribedValuesGood(t *testing.T) {
	srv := faultServer(t)
	const rate = 100 * time.Millisecond
	dev := testDevice(srv)
	dev.Timeout = 5 * time.Second // the watchdog must not end the subscription while the test watches it go stale
	dev.ScanClasses = []datasource.ScanClass{{Name: "default", Rate: rate}}
	tag := testTag(0, "Double", "ns=2;s=Double", datasource.TypeFloat64)
	tag.ScanClass, tag.ScanRate, tag.StaleAfter = "default", rate, 3*rate
	tags := []*datasource.Tag{tag}
	table := datasource.NewTable(tags)
	clk := clockwork.NewFakeClockAt(time.Now())
	eng := runEngine(t, poll.Config{Devices: []*datasource.Device{dev}, Tags: tags, Table: table, Clock: clk,
		StaleCheck: -1, // the test marks stale itself, at the fake clock's times
	})
	messages := func() uint64 {
		st, _ := eng.DeviceStatus("plc1")
		return st.Requests
	}
	// nextMessage waits (real time) until the subscription delivered
	// another publish response, data or keep-alive, after n.
	nextMessage := func(n uint64) uint64 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if m := messages(); m > n {
				return m
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("no publish response or keep-alive after %d; tag is %+v", n, table.Get(0))
		return 0
	}
	deadline := time.Now().Add(15 * time.Second)
	for !table.Get(0).Quality.IsGood() {
		if time.Now().After(deadline) {
			t.Fatalf("the tag never turned Good: %+v", table.Get(0))
		}
		time.Sleep(5 * time.Millisecond)
	}
	first := table.Get(0)
	if !first.Time.Before(clk.Now().Add(-time.Hour)) {
		t.Fatalf("the test needs a value with an old source time, got %v", first.Time)
	}
	n := messages()
	for i := range 10 {
		n = nextMessage(n)
		clk.Advance(rate)
		if marked := table.Engine().MarkStale(clk.Now()); marked != 0 {
			t.Fatalf("scan interval %d of a constant value: the tag turned %v while keep-alives arrive", i+1, table.Get(0).Quality)
		}
	}
	if got := table.Get(0); got.Quality != datasource.QualityGood || got.Value != first.Value {
		t.Fatalf("after 10 intervals the tag is %+v, want Good %v", got, first.Value)
	}

	srv.KillSubscriptions()
	for attempt := 0; ; attempt++ {
		n = messages()
		clk.Advance(3*rate + rate/2)
		if table.Engine().MarkStale(clk.Now()) == 1 {
			break
		}
		// Only a message that was already on its way may have
		// confirmed the tag once more.
		if attempt == 5 || messages() == n {
			t.Fatalf("keep-alives stopped, stale time passed, but the tag is %+v", table.Get(0))
		}
	}
	if q := table.Get(0).Quality; q != datasource.UncertainQuality(datasource.Stale) {
		t.Fatalf("tag is %v, want Uncertain/Stale", q)
	}
}
