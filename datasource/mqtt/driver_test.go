package mqtt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
	"github.com/vigil-hmi/vigil/history"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// deadline bounds every wait for a network event.
const deadline = 10 * time.Second

// acquirer is the acquiring station: a table that stands for its plant and
// the edge node publishing it.
type acquirer struct {
	tags  []*datasource.Tag
	table *datasource.Table
	node  *sparkplug.Node
	stop  func()
	cmd   *recorder
	host  string // the primary host the node waits for; empty: none
}

// recorder is the acquiring station's write path: it refuses values above
// 100 as the poll engine would, and records who wrote what.
type recorder struct {
	mu    sync.Mutex
	table *datasource.Table
	got   []sparkplug.WriteCommand
}

func (r *recorder) Write(_ context.Context, c sparkplug.WriteCommand) (datasource.Sample, error) {
	r.mu.Lock()
	r.got = append(r.got, c)
	r.mu.Unlock()
	if f, _ := c.Value.AsFloat(); f > 100 {
		return datasource.Sample{}, fmt.Errorf("%s: %s %% is outside the write limits 0 .. 100 %%", c.Tag.Name, c.Value)
	}
	s := datasource.Sample{Tag: c.Tag.ID, Value: c.Value, Time: time.Now()}
	r.table.Publish([]datasource.Sample{s})
	return s, nil
}

func (r *recorder) commands() []sparkplug.WriteCommand {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sparkplug.WriteCommand(nil), r.got...)
}

func startAcquirer(t *testing.T, b *sparkplugtest.Broker) *acquirer {
	t.Helper()
	return startAcquirerAt(t, b.URL())
}

// startAcquirerAt is startAcquirer with the node reaching the broker at
// url (through a proxy).
func startAcquirerAt(t *testing.T, url string) *acquirer {
	t.Helper()
	return startAcquirerFor(t, url, "")
}

// startAcquirerFor is startAcquirerAt with a node that waits for the
// primary host host (none when empty).
func startAcquirerFor(t *testing.T, url, host string) *acquirer {
	t.Helper()
	a := &acquirer{host: host, tags: []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Device: "PLC1", Type: datasource.TypeFloat32, Units: "%"},
		{ID: 1, Name: "Tank1.LevelSP", Device: "PLC1", Type: datasource.TypeFloat32, Units: "%", Writable: true},
		{ID: 2, Name: "Pump1.Running", Device: "PLC2", Type: datasource.TypeBool},
	}}
	a.table = datasource.NewTable(a.tags)
	a.cmd = &recorder{table: a.table}
	a.table.Publish([]datasource.Sample{
		{Tag: 0, Value: datasource.Float(12.5), Time: time.Now()},
		{Tag: 1, Value: datasource.Float(50), Time: time.Now()},
		{Tag: 2, Value: datasource.Bool(true), Time: time.Now()},
	})
	a.runAt(t, url)
	return a
}

// run (re)starts the acquiring station's edge node.
func (a *acquirer) run(t *testing.T, b *sparkplugtest.Broker) { a.runAt(t, b.URL()) }

func (a *acquirer) runAt(t *testing.T, url string) {
	n, err := sparkplug.NewNode(sparkplug.NodeConfig{
		Broker: sparkplug.Broker{URL: url}, Group: "plant", Node: "station1",
		Tags: a.tags, Table: a.table, Commander: a.cmd, Logger: testLog, PrimaryHost: a.host,
		Backoff: datasource.Backoff{Min: 20 * time.Millisecond, Max: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	a.node = n
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := n.Run(ctx); err != nil {
			t.Errorf("node: %v", err)
		}
	}()
	var once sync.Once
	a.stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(a.stop)
}

func (a *acquirer) set(id datasource.TagID, v datasource.Value, q datasource.Quality) {
	a.table.Publish([]datasource.Sample{{Tag: id, Value: v, Quality: q, Time: time.Now()}})
}

// viewer is the viewing station: a poll engine whose one device is the mqtt
// driver reading station1.
type viewer struct {
	tags   []*datasource.Tag
	table  *datasource.Table
	engine *poll.Engine
}

func startViewer(t *testing.T, b *sparkplugtest.Broker, extra ...*datasource.Tag) *viewer {
	t.Helper()
	return startViewerAt(t, b.URL(), "", extra...)
}

// startViewerAt is startViewer reaching the broker at url (through a
// proxy), as primary host host (none when empty).
func startViewerAt(t *testing.T, url, host string, extra ...*datasource.Tag) *viewer {
	t.Helper()
	dev := &datasource.Device{
		Name: "station1", Driver: "mqtt", Address: url, Timeout: 5 * time.Second,
		ScanClasses: []datasource.ScanClass{{Name: "default", Rate: time.Second}},
		Backoff:     datasource.Backoff{Min: 20 * time.Millisecond, Max: 50 * time.Millisecond},
	}
	v := &viewer{tags: []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Device: "station1", Address: "PLC1/Tank1.Level", Type: datasource.TypeFloat32},
		{ID: 1, Name: "Tank1.LevelSP", Device: "station1", Address: "PLC1/Tank1.LevelSP", Type: datasource.TypeFloat32, Writable: true},
		{ID: 2, Name: "Pump1.Running", Device: "station1", Address: "PLC2/Pump1.Running", Type: datasource.TypeBool},
	}}
	for _, e := range extra {
		e.ID = datasource.TagID(len(v.tags))
		v.tags = append(v.tags, e)
	}
	v.table = datasource.NewTable(v.tags)
	eng, err := poll.New(poll.Config{
		Devices: []*datasource.Device{dev}, Tags: v.tags, Table: v.table,
		Drivers: map[string]poll.Factory{"mqtt": Factory(Options{Devices: map[string]Settings{
			"station1": {Broker: sparkplug.Broker{URL: url}, Group: "plant", Node: "station1", PrimaryHost: host},
		}, Logger: testLog})},
		StaleCheck: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	v.engine = eng
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := eng.Run(ctx); err != nil {
			t.Errorf("engine: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return v
}

// await polls the viewer's table until tag id satisfies cond.
func (v *viewer) await(t *testing.T, id datasource.TagID, what string, cond func(datasource.Sample) bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		s := v.table.Get(id)
		if cond(s) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s: %s is %v %v after %s", what, v.tags[id].Name, s.Value, s.Quality, deadline)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func is(v datasource.Value, q datasource.Quality) func(datasource.Sample) bool {
	return func(s datasource.Sample) bool { return s.Value == v && s.Quality == q }
}

func bad(r datasource.Reason) func(datasource.Sample) bool {
	return func(s datasource.Sample) bool { return s.Quality == datasource.BadQuality(r) }
}

func TestViewerTagsFollowTheAcquiringStationWithQuality(t *testing.T) {
	b := sparkplugtest.Start(t)
	a := startAcquirer(t, b)
	v := startViewer(t, b)
	v.await(t, 0, "the birth value", is(datasource.Float(12.5), datasource.QualityGood))
	v.await(t, 2, "the birth value of another device", is(datasource.Bool(true), datasource.QualityGood))

	a.set(0, datasource.Float(13), datasource.QualityGood)
	v.await(t, 0, "a change", is(datasource.Float(13), datasource.QualityGood))
	a.set(0, datasource.Float(13), datasource.UncertainQuality(datasource.Stale))
	v.await(t, 0, "a quality change", is(datasource.Float(13), datasource.UncertainQuality(datasource.Stale)))
	a.set(2, datasource.Bool(false), datasource.BadQuality(datasource.CommFailure))
	v.await(t, 2, "the acquirer's own device failure", is(datasource.Bool(false), datasource.BadQuality(datasource.CommFailure)))
}

func TestATagWhoseMetricTheBirthLacksIsAConfigError(t *testing.T) {
	b := sparkplugtest.Start(t)
	startAcquirer(t, b)
	v := startViewer(t, b, &datasource.Tag{Name: "Nope", Device: "station1", Address: "PLC1/Nope", Type: datasource.TypeFloat64})
	v.await(t, 3, "a metric not in DBIRTH", bad(datasource.ConfigError))
}

func TestNodeDeathTurnsTheViewersTagsBadNotConnectedUntilRebirth(t *testing.T) {
	b := sparkplugtest.Start(t)
	a := startAcquirer(t, b)
	v := startViewer(t, b)
	v.await(t, 0, "the birth value", is(datasource.Float(12.5), datasource.QualityGood))

	a.stop() // NDEATH
	v.await(t, 0, "after NDEATH", is(datasource.Float(12.5), datasource.BadQuality(datasource.NotConnected)))
	v.await(t, 2, "after NDEATH", bad(datasource.NotConnected))

	a.run(t, b) // a new session: NBIRTH, DBIRTH
	v.await(t, 0, "after the new birth", is(datasource.Float(12.5), datasource.QualityGood))
}

func TestBrokerLossTurnsTagsBadAndTheyRecoverWhenItReturns(t *testing.T) {
	b := sparkplugtest.Start(t)
	a := startAcquirer(t, b)
	v := startViewer(t, b)
	v.await(t, 0, "the birth value", is(datasource.Float(12.5), datasource.QualityGood))

	b.Stop()
	v.await(t, 0, "the broker gone", func(s datasource.Sample) bool { return s.Quality.IsBad() })
	v.await(t, 0, "reconnects failing", bad(datasource.NotConnected))
	a.set(0, datasource.Float(14), datasource.QualityGood) // buffered by the node meanwhile
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	v.await(t, 0, "the broker back", is(datasource.Float(14), datasource.QualityGood))
}

func TestAWriteFromTheViewerRunsThroughTheAcquirersWritePath(t *testing.T) {
	b := sparkplugtest.Start(t)
	a := startAcquirer(t, b)
	v := startViewer(t, b)
	v.await(t, 1, "the birth value", is(datasource.Float(50), datasource.QualityGood))

	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	res, err := v.engine.Write(ctx, poll.WriteRequest{Tag: 1, Value: datasource.Float(60), User: "alice", Reason: "raise the level"})
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	if !res.Match || res.ReadBack.Value != datasource.Float(60) {
		t.Errorf("write result %+v, want read back 60", res)
	}
	cmds := a.cmd.commands()
	if len(cmds) != 1 || cmds[0].User != "alice" || cmds[0].Reason != "raise the level" || cmds[0].Tag.Name != "Tank1.LevelSP" || cmds[0].Value != datasource.Float(60) {
		t.Errorf("the acquirer got %+v", cmds)
	}
	if got := a.table.Get(1).Value; got != datasource.Float(60) {
		t.Errorf("the acquirer's tag is %v, want 60", got)
	}
	v.await(t, 1, "the new value", is(datasource.Float(60), datasource.QualityGood))

	_, err = v.engine.Write(ctx, poll.WriteRequest{Tag: 1, Value: datasource.Float(120), User: "alice"})
	var re *RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("a refused write gave %v, want a RemoteError", err)
	}
	const want = "Tank1.LevelSP: 120 % is outside the write limits 0 .. 100 %"
	if re.Message != want || !strings.Contains(err.Error(), want) {
		t.Errorf("refusal %q (shown as %q), want %q verbatim", re.Message, err, want)
	}
}

func TestAWriteToAnOfflineStationIsRefusedWithoutReachingIt(t *testing.T) {
	b := sparkplugtest.Start(t)
	a := startAcquirer(t, b)
	v := startViewer(t, b)
	v.await(t, 1, "the birth value", is(datasource.Float(50), datasource.QualityGood))
	a.stop()
	v.await(t, 1, "after NDEATH", bad(datasource.NotConnected))
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	_, err := v.engine.Write(ctx, poll.WriteRequest{Tag: 1, Value: datasource.Float(70)})
	if err == nil || !strings.Contains(err.Error(), "station1 is offline") {
		t.Fatalf("write to a dead station: %v", err)
	}
	if n := len(a.cmd.commands()); n != 0 {
		t.Errorf("%d commands reached the dead station", n)
	}
}

func TestAddressesThatNameNoMetricAreRefusedByPrepare(t *testing.T) {
	d, err := New(&datasource.Device{Name: "s"}, Settings{Broker: sparkplug.Broker{URL: "tcp://127.0.0.1:1883"}, Group: "g", Node: "n"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"", "PLC1", "PLC1/", "PL+C/x", "a#/b"} {
		_, err := d.Prepare([]*datasource.Tag{{Name: "T", Address: addr}})
		var te *datasource.TagError
		if !errors.As(err, &te) {
			t.Errorf("address %q: %v, want a TagError", addr, err)
		}
	}
	if _, err := d.Prepare([]*datasource.Tag{{Name: "T", Address: "/Node Metric"}, {Name: "U", Address: "PLC1/a/b"}}); err != nil {
		t.Errorf("a node metric and a metric with / in its name: %v", err)
	}
}

// testLog shows the driver's and node's logs with VIGIL_TEST_LOG=1.
var testLog = func() *slog.Logger {
	if os.Getenv("VIGIL_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}()

// A viewing station stores what the acquiring station sent, once: a value
// that does not change for many scans is neither stored again (it was, when
// the driver republished it stamped anew at every scan: the value twice per
// change, 0.5 s apart) nor turned stale, while its station lives.
func TestAnUnchangedValueIsStoredOnceAndStaysGood(t *testing.T) {
	b := sparkplugtest.Start(t)
	a := startAcquirer(t, b)
	clk := clockwork.NewFakeClockAt(time.Now()) // the acquirer stamps with the real clock
	dev := &datasource.Device{Name: "station1", Driver: "mqtt", Address: b.URL(), Timeout: 5 * time.Second,
		ScanClasses: []datasource.ScanClass{{Name: "default", Rate: 500 * time.Millisecond}},
		Backoff:     datasource.Backoff{Min: 20 * time.Millisecond, Max: 50 * time.Millisecond}}
	// As the project compiles an mqtt tag: history on, no stale limit.
	tags := []*datasource.Tag{{ID: 0, Name: "Tank1.LevelSP", Device: "station1", Address: "PLC1/Tank1.LevelSP",
		Type: datasource.TypeFloat32, ScanRate: 500 * time.Millisecond, History: datasource.HistorySettings{Enabled: true}}}
	table := datasource.NewTable(tags)
	eng, err := poll.New(poll.Config{Devices: []*datasource.Device{dev}, Tags: tags, Table: table, Clock: clk,
		StaleCheck: 500 * time.Millisecond,
		Drivers: map[string]poll.Factory{"mqtt": Factory(Options{Clock: clk, Devices: map[string]Settings{
			"station1": {Broker: sparkplug.Broker{URL: b.URL()}, Group: "plant", Node: "station1"}}})}})
	if err != nil {
		t.Fatal(err)
	}
	store, err := history.Open(filepath.Join(t.TempDir(), "viewer.db"), history.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sub := table.Subscribe("history", 1024)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { defer func() { done <- struct{}{} }(); _ = eng.Run(ctx) }()
	go func() {
		defer func() { done <- struct{}{} }()
		if err := history.Ingest(ctx, sub, tags, store); err != nil {
			t.Errorf("ingest: %v", err)
		}
	}()
	stop := func() { cancel(); <-done; <-done; sub.Close() }
	defer func() {
		if ctx.Err() == nil {
			stop()
		}
	}()
	v := &viewer{tags: tags, table: table}
	v.await(t, 0, "the birth value", is(datasource.Float(50), datasource.QualityGood))
	birth := table.Get(0)
	for range 20 { // 10 s of simulated time: 20 scans, three times a stale limit
		if err := clk.BlockUntilContext(ctx, 2); err != nil { // the engine's tickers
			t.Fatal(err)
		}
		clk.Advance(500 * time.Millisecond)
	}
	if s := table.Get(0); s != birth {
		t.Fatalf("after 20 scans the value is %v %v at %s; want the birth's sample %v %v at %s, unchanged",
			s.Value, s.Quality, s.Time, birth.Value, birth.Quality, birth.Time)
	}
	a.set(1, datasource.Float(60), datasource.QualityGood)
	v.await(t, 0, "a change", is(datasource.Float(60), datasource.QualityGood))
	changed := table.Get(0)
	stop() // Ingest flushes as it stops
	got, err := store.Query(context.Background(), "Tank1.LevelSP", birth.Time.Add(-time.Hour), changed.Time.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []history.Point{{Time: birth.Time, Value: 50}, {Time: changed.Time, Value: 60}}
	if len(got) != len(want) {
		t.Fatalf("history holds %d samples, want 2 (50 once, then 60): %v", len(got), got)
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) || got[i].Value != want[i].Value || got[i].Quality != datasource.QualityGood {
			t.Errorf("sample %d: %v %v at %s, want %v Good at %s", i, got[i].Value, got[i].Quality, got[i].Time, want[i].Value, want[i].Time)
		}
	}
}
