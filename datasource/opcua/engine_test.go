package opcua

import (
	"context"
	"testing"
	"time"

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
	eng, err := poll.New(poll.Config{
		Devices: []*datasource.Device{dev},
		Tags:    tags,
		Table:   table,
		Drivers: map[string]poll.Factory{"opcua": Factory(Options{PKIDir: testPKI})},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

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
