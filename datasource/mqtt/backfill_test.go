package mqtt

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
	"github.com/vigil-hmi/vigil/history"
)

// historian runs history.Ingest on a table's subscription into a new file,
// as vigil run does, with times to the millisecond (Sparkplug's unit).
func historian(t *testing.T, table *datasource.Table, tags []*datasource.Tag, name string) *history.Store {
	t.Helper()
	s, err := history.Open(filepath.Join(t.TempDir(), name+".db"), history.Options{
		NoSync: true, TimeResolution: time.Millisecond, Logger: testLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	sub := table.Subscribe("history", 10_000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := history.Ingest(ctx, sub, tags, s); err != nil {
			t.Errorf("%s ingest: %v", name, err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		sub.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// TestTheViewersHistoryOverABrokerOutageEqualsTheAcquirers stops the
// broker while the acquiring station's level changes, restarts it, and
// waits until the viewing station's history over the outage holds the
// acquiring station's samples, sample for sample: the node forwards them
// as historical and the viewer backfills them. Meanwhile the viewer's live
// value goes straight to the newest one: a plain subscription (what the
// alarm engine and the UI consume) never sees a forwarded sample.
//
// Without a primary host the node forwards its backlog once, at QoS 0,
// right after its births, so here it reaches the broker only once the
// viewer is back.
func TestTheViewersHistoryOverABrokerOutageEqualsTheAcquirers(t *testing.T) {
	outageBackfill(t, false)
}

// TestAPrimaryHostBackLaterThanTheNodeStillGetsTheOutage is the same
// outage with the viewer as the primary host the node names: the node is
// back on the broker first, waits for the host's STATE, and forwards its
// backlog once the viewer is back and has said so.
func TestAPrimaryHostBackLaterThanTheNodeStillGetsTheOutage(t *testing.T) {
	outageBackfill(t, true)
}

// outageBackfill runs the broker outage of the two tests above. A gate
// holds back the station that must reach the broker last: the node, or,
// with a primary host, the viewer.
func outageBackfill(t *testing.T, primaryHost bool) {
	b := sparkplugtest.Start(t)
	g := startGate(t, b.Addr())
	var a *acquirer
	var v *viewer
	if primaryHost {
		a = startAcquirerFor(t, b.URL(), "scada")
		v = startViewerAt(t, g.url(), "scada")
	} else {
		a = startAcquirerAt(t, g.url())
		v = startViewer(t, b)
	}
	// Only the tables' own consumers read History; set before they start.
	a.tags[0].History.Enabled = true
	v.tags[0].History.Enabled = true
	acqHist := historian(t, a.table, a.tags, "acquirer")
	viewHist := historian(t, v.table, v.tags, "viewer")
	live := v.table.Subscribe("alarms", 10_000)
	defer live.Close()

	// The acquirer's samples carry source times an hour back: the viewer's
	// own link-quality points (Bad/CommFailure, Bad/NotConnected, at its
	// clock's now) then fall outside the compared span. In a real outage
	// they interleave with the forwarded samples (docs/control-room.md).
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	set := func(i int) time.Time {
		tm := base.Add(time.Duration(i) * 10 * time.Millisecond)
		a.table.Publish([]datasource.Sample{{Tag: 0, Value: datasource.Float(float64(i) + 0.5), Time: tm}})
		return tm
	}
	set(1)
	v.await(t, 0, "the value before the outage", is(datasource.Float(1.5), datasource.QualityGood))

	b.Stop()
	g.open.Store(false)
	v.await(t, 0, "the broker gone", bad(datasource.NotConnected))
	// What the node publishes before it sees the broker gone is lost with
	// the connection (QoS 0), on the acquiring station too: wait for it.
	for end := time.Now().Add(deadline); a.node.Status().Connected; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the acquiring station's node still connected %s after the broker stopped", deadline)
		}
	}
	var from, to time.Time
	for i := 10; i < 40; i++ {
		tm := set(i)
		if i == 10 {
			from = tm
		}
		to = tm
	}
	restarted := time.Now()
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	// The station behind the gate gets back only once the other one is:
	// on the restarted broker. A viewer that reconnected while the old one
	// was closing (its listener can still accept) reads Connected for a
	// moment; the node let through then births and forwards its backlog
	// while no viewer is subscribed, and without a primary host that
	// backlog is sent once (the test failed so about once in 40 runs).
	for end := time.Now().Add(deadline); ; time.Sleep(5 * time.Millisecond) {
		if primaryHost {
			if s := a.node.Status(); s.Connected && s.WaitingForHost {
				break
			}
		} else if st, _ := v.engine.DeviceStatus("station1"); st.State == poll.Connected && st.Since.After(restarted) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the station outside the gate not back %s after the broker came back (node %+v)", deadline, a.node.Status())
		}
	}
	g.open.Store(true)
	v.await(t, 0, "the broker back", is(datasource.Float(39.5), datasource.QualityGood))

	ctx := context.Background()
	want, err := acqHist.Query(ctx, "Tank1.Level", from, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 30 {
		t.Fatalf("the acquirer stored %d samples over the outage, want 30: %v", len(want), want)
	}
	end := time.Now().Add(deadline)
	for {
		got, err := viewHist.Query(ctx, "Tank1.Level", from, to, 0)
		if err != nil {
			t.Fatal(err)
		}
		if equalPoints(got, want) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the viewer's history over the outage after %s (acquiring node %+v, viewer history %+v):\n got %v\nwant %v", deadline, a.node.Status(), viewHist.Stats(), got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The live value is the newest, and a plain subscription saw none of
	// the forwarded samples: only the values before and after the outage.
	if s := v.table.Get(0); s.Value != datasource.Float(39.5) || !s.Time.Equal(to) {
		t.Errorf("viewer's live value %v at %v, want 39.5 at %v", s.Value, s.Time, to)
	}
	for _, s := range live.TryRecv(nil) {
		if s.Tag != 0 || s.Quality.IsBad() {
			continue
		}
		// The births (12.5 at the start, again on a rebirth) are live too.
		if f, _ := s.Value.AsFloat(); f != 12.5 && f != 1.5 && f != 39.5 {
			t.Errorf("a live subscriber got %v at %v: a forwarded sample", s.Value, s.Time)
		}
	}
}

func equalPoints(a, b []history.Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Time.Equal(b[i].Time) || a[i].Value != b[i].Value || a[i].Quality != b[i].Quality {
			return false
		}
	}
	return true
}

// gate is a loopback TCP proxy to the broker that turns connections away
// while open is false, so a test decides when a client gets back.
type gate struct {
	l     net.Listener
	to    string
	open  atomic.Bool
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func startGate(t *testing.T, to string) *gate {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{l: l, to: to}
	g.open.Store(true)
	g.wg.Add(1)
	go g.serve()
	t.Cleanup(g.close)
	return g
}

func (g *gate) url() string { return "tcp://" + g.l.Addr().String() }

func (g *gate) serve() {
	defer g.wg.Done()
	for {
		c, err := g.l.Accept()
		if err != nil {
			return // closed
		}
		if !g.open.Load() {
			_ = c.Close() // turned away: the client sees a broken connection
			continue
		}
		u, err := net.Dial("tcp", g.to)
		if err != nil {
			_ = c.Close()
			continue
		}
		g.mu.Lock()
		g.conns = append(g.conns, c, u)
		g.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer g.wg.Done()
			_, _ = io.Copy(dst, src) // ends when either side closes
			_ = dst.Close()
			_ = src.Close()
		}
		g.wg.Add(2)
		go pipe(u, c)
		go pipe(c, u)
	}
}

func (g *gate) close() {
	_ = g.l.Close()
	g.mu.Lock()
	for _, c := range g.conns {
		_ = c.Close()
	}
	g.mu.Unlock()
	g.wg.Wait()
}

// TestHistoricalSamplesBeforeTheSubscriptionWaitForIt: a node forwards
// right after its birth, which may be before the engine's Subscribe maps
// the driver's metrics to tags; those samples wait and go to the backfill
// of the scan class that subscribes to them, once.
func TestHistoricalSamplesBeforeTheSubscriptionWaitForIt(t *testing.T) {
	d := &Driver{}
	level, pump := key{"PLC1", "Tank1.Level"}, key{"PLC2", "Pump1.Running"}
	tm := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	d.mu.Lock()
	d.backfillLocked(d.historicalLocked(nil, level, datasource.Sample{Value: datasource.Float(1), Time: tm}))
	d.backfillLocked(d.historicalLocked(nil, pump, datasource.Sample{Value: datasource.Bool(true), Time: tm}))
	d.mu.Unlock()
	var got [][]datasource.Sample
	d.SetBackfill(func(b []datasource.Sample) { got = append(got, append([]datasource.Sample(nil), b...)) })
	classA := &subscription{byKey: map[key][]*datasource.Tag{level: {{ID: 7}}}}
	classB := &subscription{byKey: map[key][]*datasource.Tag{pump: {{ID: 8}, {ID: 9}}}}
	d.mu.Lock()
	d.subs = map[*subscription]struct{}{classA: {}}
	d.waitingLocked(classA)
	d.subs[classB] = struct{}{}
	d.waitingLocked(classB)
	d.waitingLocked(classA) // nothing left for it
	d.mu.Unlock()
	if len(got) != 2 || len(got[0]) != 1 || got[0][0].Tag != 7 || len(got[1]) != 2 || got[1][0].Tag != 8 || got[1][1].Tag != 9 {
		t.Fatalf("backfilled %v, want tag 7's sample, then tags 8 and 9's", got)
	}
	// With a subscription there, a historical sample goes straight through.
	d.mu.Lock()
	d.backfillLocked(d.historicalLocked(nil, level, datasource.Sample{Value: datasource.Float(2), Time: tm.Add(time.Second)}))
	d.mu.Unlock()
	if len(got) != 3 || got[2][0].Tag != 7 || got[2][0].Value != datasource.Float(2) {
		t.Fatalf("backfilled %v, want tag 7's second sample third", got)
	}
}

// TestAPrimaryHostSaysOnlineOnceSubscribedAndOfflineWhenItGoes: the
// driver as primary host publishes its STATE online on connect (and again
// after an offline that is not its own), offline on a clean close (which
// drops the will), online again with a later
// timestamp on the next connect, and the broker publishes its will,
// offline with that connect's timestamp, when the link dies.
func TestAPrimaryHostSaysOnlineOnceSubscribedAndOfflineWhenItGoes(t *testing.T) {
	b := sparkplugtest.Start(t)
	g := startGate(t, b.Addr())
	states := make(chan sparkplug.HostState, 16)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	l, err := sparkplug.Dial(ctx, sparkplug.Broker{URL: b.URL(), ClientID: "state-listener"}, nil, func(m sparkplug.Message) {
		s, err := sparkplug.DecodeState(m.Payload)
		if err != nil {
			t.Errorf("%s: %v", m.Topic, err)
			return
		}
		states <- s
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	if err := l.Subscribe(ctx, 1, sparkplug.StateTopic("scada").String()); err != nil {
		t.Fatal(err)
	}
	// next returns the next STATE unlike the last one: a clean close may
	// bring its offline twice, published and as the will (the DISCONNECT
	// may be lost with the socket), to the same effect.
	var last sparkplug.HostState
	next := func(what string) sparkplug.HostState {
		t.Helper()
		for {
			select {
			case s := <-states:
				if s == last {
					continue
				}
				last = s
				return s
			case <-time.After(deadline):
				t.Fatalf("no new STATE (%s) within %s", what, deadline)
				return sparkplug.HostState{}
			}
		}
	}
	dev := &datasource.Device{Name: "station1", Driver: "mqtt", Address: g.url()}
	d, err := New(dev, Settings{Broker: sparkplug.Broker{URL: g.url()}, Group: "plant", Node: "station1", PrimaryHost: "scada"}, Options{Logger: testLog})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	first := next("connect")
	if !first.Online || first.Timestamp == 0 {
		t.Fatalf("STATE on connect %+v, want online with a timestamp", first)
	}
	// An offline that is not true (a late will, another client's) is
	// corrected: retained, it would hold back the nodes that connect next.
	if err := l.Publish(ctx, sparkplug.StateTopic("scada").String(), sparkplug.EncodeState(false, time.UnixMilli(first.Timestamp)), 1, true); err != nil {
		t.Fatal(err)
	}
	next("a false offline")
	if s := next("the correction"); s != first {
		t.Fatalf("STATE after a false offline %+v, want %+v again", s, first)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if s := next("clean close"); s != (sparkplug.HostState{Online: false, Timestamp: first.Timestamp}) {
		t.Fatalf("STATE on close %+v, want offline at %d", s, first.Timestamp)
	}
	if err := d.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	second := next("reconnect")
	if !second.Online || second.Timestamp <= first.Timestamp {
		t.Fatalf("STATE on reconnect %+v, want online later than %d", second, first.Timestamp)
	}
	g.close() // the link dies without a DISCONNECT: the broker sends the will
	if s := next("will"); s != (sparkplug.HostState{Online: false, Timestamp: second.Timestamp}) {
		t.Fatalf("the will %+v, want offline at %d", s, second.Timestamp)
	}
	if err := d.Close(); err != nil {
		t.Logf("close after the link died: %v", err)
	}
}
