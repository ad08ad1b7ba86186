package sparkplug

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
	"github.com/vigil-hmi/vigil/history"
)

// deadline bounds every wait for a network event in these tests.
const deadline = 10 * time.Second

// received is one decoded message a listener got.
type received struct {
	topic   Topic
	payload *Payload
}

// listener is a plain MQTT client subscribed to a group, standing in for a
// host application.
type listener struct {
	conn *Conn
	msgs chan received
}

func listen(t *testing.T, b *sparkplugtest.Broker, filter string) *listener {
	t.Helper()
	l := &listener{msgs: make(chan received, 100_000)}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	conn, err := Dial(ctx, Broker{URL: b.URL(), ClientID: fmt.Sprintf("listener-%p", l)}, nil, func(m Message) {
		tp, err := ParseTopic(m.Topic)
		if err != nil || tp.Type == STATE { // a STATE payload is JSON, not protobuf
			return
		}
		p, err := Decode(m.Payload)
		if err != nil {
			t.Errorf("%s: %v", m.Topic, err)
			return
		}
		l.msgs <- received{tp, p}
	})
	if err != nil {
		t.Fatal(err)
	}
	l.conn = conn
	if err := conn.Subscribe(ctx, 1, filter); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return l
}

// next returns the next message of type typ, skipping others.
func (l *listener) next(t *testing.T, typ MessageType) received {
	t.Helper()
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	for {
		select {
		case r := <-l.msgs:
			if r.topic.Type == typ {
				return r
			}
		case <-timer.C:
			t.Fatalf("no %s within %s", typ, deadline)
		}
	}
}

// none checks that no message of type typ is waiting, after a round trip
// through the broker has flushed what was in flight.
func (l *listener) none(t *testing.T, typ MessageType, flush func()) {
	t.Helper()
	flush()
	for {
		select {
		case r := <-l.msgs:
			if r.topic.Type == typ {
				t.Fatalf("unexpected %s: %+v", typ, r.payload.Metrics)
			}
			if r.topic.Type == NCMD { // the flush marker
				return
			}
		case <-time.After(deadline):
			t.Fatal("the flush marker did not come back")
		}
	}
}

// plant is a tiny project: two devices, three tags, a table.
type plant struct {
	tags  []*datasource.Tag
	table *datasource.Table
}

func newPlant() *plant {
	tags := []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Device: "PLC1", Type: datasource.TypeFloat32, Units: "%", Span: datasource.Range{Min: 0, Max: 100}, Description: "Tank 1 level"},
		{ID: 1, Name: "Tank1.LevelSP", Device: "PLC1", Type: datasource.TypeFloat32, Units: "%", Writable: true},
		{ID: 2, Name: "Pump1.Running", Device: "PLC2", Type: datasource.TypeBool},
		{ID: 3, Name: "_sys.PLC1.connected", Device: "PLC1", Type: datasource.TypeBool, System: true},
	}
	return &plant{tags: tags, table: datasource.NewTable(tags)}
}

func (p *plant) set(id datasource.TagID, v datasource.Value) {
	p.table.Publish([]datasource.Sample{{Tag: id, Value: v, Time: time.Now()}})
}

// runNode runs a node until the test ends.
func runNode(t *testing.T, cfg NodeConfig) *Node {
	t.Helper()
	n, err := NewNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := n.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return n
}

func metricNamed(p *Payload, name string) (Metric, bool) {
	for _, m := range p.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// flusher publishes an NCMD to an unrelated node: when it comes back to
// the listener, everything published before it has been delivered.
func flusher(t *testing.T, l *listener) func() {
	return func() {
		b, err := Encode(&Payload{Metrics: []Metric{{Name: "noop", Type: TypeBoolean, Value: datasource.Bool(true)}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.conn.Publish(context.Background(), NodeTopic("g", NCMD, "flush-marker").String(), b, 1, false); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNodeBirthsCarryNamesTypesUnitsAndThenOnlyChangesFollow(t *testing.T) {
	b := sparkplugtest.Start(t)
	l := listen(t, b, Namespace+"/g/#")
	p := newPlant()
	p.set(0, datasource.Float(42.5))
	runNode(t, NodeConfig{Broker: Broker{URL: b.URL()}, Group: "g", Node: "station1", Tags: p.tags, Table: p.table})

	nb := l.next(t, NBIRTH)
	if nb.payload.Seq != 0 || !nb.payload.HasSeq {
		t.Errorf("NBIRTH seq %d, want 0", nb.payload.Seq)
	}
	if m, ok := metricNamed(nb.payload, BdSeqMetric); !ok || m.Value != datasource.Int(0) || m.Type != TypeInt64 {
		t.Errorf("NBIRTH bdSeq metric %+v", m)
	}
	if m, ok := metricNamed(nb.payload, RebirthMetric); !ok || m.Value != datasource.Bool(false) {
		t.Errorf("NBIRTH rebirth metric %+v", m)
	}
	births := map[string]*Payload{}
	for range 2 {
		r := l.next(t, DBIRTH)
		births[r.topic.Device] = r.payload
	}
	plc1 := births["PLC1"]
	if plc1 == nil || births["PLC2"] == nil {
		t.Fatalf("DBIRTH for devices %v, want PLC1 and PLC2", births)
	}
	lvl, ok := metricNamed(plc1, "Tank1.Level")
	if !ok || lvl.Type != TypeFloat || lvl.Value != datasource.Float(42.5) {
		t.Errorf("Tank1.Level in DBIRTH: %+v", lvl)
	}
	if u, _ := lvl.Property(PropUnits); u != datasource.String("%") {
		t.Errorf("engUnit %v", u)
	}
	if hi, _ := lvl.Property(PropHigh); hi != datasource.Float(100) {
		t.Errorf("engHigh %v", hi)
	}
	if q, _ := lvl.Property(QualityProperty); q != datasource.Int(0xC0) {
		t.Errorf("Quality %v, want 192", q)
	}
	if sp, _ := metricNamed(plc1, "Tank1.LevelSP"); sp.Value.IsNone() == false || sp.Type != TypeFloat {
		t.Errorf("a tag without a reading yet is born null: %+v", sp)
	}
	if _, ok := metricNamed(plc1, "_sys.PLC1.connected"); ok {
		t.Error("a system tag was published")
	}

	p.set(0, datasource.Float(43))
	d := l.next(t, DDATA)
	if m, ok := metricNamed(d.payload, "Tank1.Level"); !ok || m.Value != datasource.Float(43) {
		t.Errorf("DDATA %+v", d.payload.Metrics)
	}
	p.set(0, datasource.Float(43)) // the same value again: no DDATA
	l.none(t, DDATA, flusher(t, l))
	p.table.Publish([]datasource.Sample{{Tag: 0, Value: datasource.Float(43), Quality: datasource.UncertainQuality(datasource.Stale)}})
	d = l.next(t, DDATA)
	m, _ := metricNamed(d.payload, "Tank1.Level")
	if q, _ := m.Property(QualityProperty); QualityOf(int32(mustInt(q))) != datasource.UncertainQuality(datasource.Stale) {
		t.Errorf("a quality change gives quality %v", q)
	}
}

func mustInt(v datasource.Value) int64 {
	i, _ := v.AsInt()
	return i
}

func TestNodeSeqCountsEveryMessageAndWrapsAfter255(t *testing.T) {
	b := sparkplugtest.Start(t)
	l := listen(t, b, Namespace+"/g/#")
	p := newPlant()
	runNode(t, NodeConfig{Broker: Broker{URL: b.URL()}, Group: "g", Node: "n", Tags: p.tags, Table: p.table})
	l.next(t, NBIRTH)
	want := uint64(1)
	for range 2 {
		r := l.next(t, DBIRTH)
		if r.payload.Seq != want {
			t.Fatalf("DBIRTH seq %d, want %d", r.payload.Seq, want)
		}
		want++
	}
	for i := range 300 {
		p.set(0, datasource.Float(float64(i)))
		r := l.next(t, DDATA)
		if r.payload.Seq != want {
			t.Fatalf("DDATA %d has seq %d, want %d", i, r.payload.Seq, want)
		}
		want = (want + 1) % 256
	}
}

func TestNodeAnswersARebirthRequestWithNewBirthsFromSeqZero(t *testing.T) {
	b := sparkplugtest.Start(t)
	l := listen(t, b, Namespace+"/g/#")
	p := newPlant()
	p.set(2, datasource.Bool(true))
	runNode(t, NodeConfig{Broker: Broker{URL: b.URL()}, Group: "g", Node: "n", Tags: p.tags, Table: p.table})
	l.next(t, NBIRTH)
	l.next(t, DBIRTH)
	l.next(t, DBIRTH) // the births are out: a change now is a DDATA
	p.set(0, datasource.Float(1))
	l.next(t, DDATA)

	cmd, err := Encode(&Payload{Metrics: []Metric{{Name: RebirthMetric, Type: TypeBoolean, Value: datasource.Bool(true)}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.conn.Publish(context.Background(), NodeTopic("g", NCMD, "n").String(), cmd, 0, false); err != nil {
		t.Fatal(err)
	}
	nb := l.next(t, NBIRTH)
	if nb.payload.Seq != 0 {
		t.Errorf("rebirth NBIRTH seq %d, want 0", nb.payload.Seq)
	}
	if m, _ := metricNamed(nb.payload, BdSeqMetric); m.Value != datasource.Int(0) {
		t.Errorf("rebirth changed bdSeq to %v; it belongs to the connection", m.Value)
	}
	for range 2 {
		r := l.next(t, DBIRTH)
		if r.topic.Device == "PLC2" {
			if m, _ := metricNamed(r.payload, "Pump1.Running"); m.Value != datasource.Bool(true) {
				t.Errorf("rebirth DBIRTH carries %v, want the current true", m.Value)
			}
		}
	}
}

func TestNodeDeathIsTheWillWithTheBdSeqOfItsConnection(t *testing.T) {
	b := sparkplugtest.Start(t)
	l := listen(t, b, Namespace+"/g/#")
	p := newPlant()
	n := runNode(t, NodeConfig{Broker: Broker{URL: b.URL()}, Group: "g", Node: "n", Tags: p.tags, Table: p.table,
		Backoff: datasource.Backoff{Min: time.Millisecond, Max: time.Millisecond}})
	l.next(t, NBIRTH)

	n.sendMu.Lock()
	n.conn.c.TerminateConnectionForTest() // the link dies: no DISCONNECT, so the broker sends the will
	n.sendMu.Unlock()
	death := l.next(t, NDEATH)
	if m, _ := metricNamed(death.payload, BdSeqMetric); m.Value != datasource.Int(0) {
		t.Errorf("NDEATH bdSeq %v, want 0", m.Value)
	}
	if death.payload.HasSeq {
		t.Error("NDEATH has a seq")
	}
	nb := l.next(t, NBIRTH)
	if m, _ := metricNamed(nb.payload, BdSeqMetric); m.Value != datasource.Int(1) {
		t.Errorf("NBIRTH after reconnect has bdSeq %v, want 1", m.Value)
	}
}

func TestNodeForwardsWhatItBufferedWhileTheBrokerWasDownInOrderAndOnce(t *testing.T) {
	b := sparkplugtest.Start(t)
	clk := clockwork.NewFakeClock()
	p := newPlant()
	n := runNode(t, NodeConfig{Broker: Broker{URL: b.URL()}, Group: "g", Node: "n", Tags: p.tags, Table: p.table, Clock: clk,
		Backoff: datasource.Backoff{Min: time.Second, Max: time.Second}})
	waitFor(t, "connected", func() bool { return n.Status().Connected })

	b.Stop()
	waitFor(t, "the broker loss noticed", func() bool { return !n.Status().Connected })
	for i := range 50 {
		p.set(0, datasource.Float(float64(i)))
		p.set(0, datasource.Float(float64(i))) // repeated: must not be buffered twice
	}
	waitFor(t, "50 samples buffered", func() bool { return n.Status().Backlog == 50 })
	expectForwarded(t, reconnect(t, b, n, clk), n, 50)
}

func TestNodeDropsTheOldestSamplesBeyondItsBuffer(t *testing.T) {
	p := newPlant()
	n, err := NewNode(NodeConfig{Broker: Broker{URL: "tcp://127.0.0.1:1"}, Group: "g", Node: "n", Tags: p.tags, Table: p.table, Buffer: 10})
	if err != nil {
		t.Fatal(err)
	}
	var batch []datasource.Sample
	for i := range 25 {
		batch = append(batch, datasource.Sample{Tag: 0, Value: datasource.Float(float64(i))})
	}
	n.buffer(n.changed(batch))
	s := n.Status()
	if s.Backlog != 10 || s.Dropped != 15 {
		t.Fatalf("backlog %d dropped %d, want 10 and 15", s.Backlog, s.Dropped)
	}
	if f, _ := n.backlog[0].Value.AsFloat(); f != 15 {
		t.Errorf("the oldest kept sample is %v, want 15", f)
	}
}

// waitFor is sparkplugtest.Eventually.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	sparkplugtest.Eventually(t, what, cond)
}

// TestNodeForwardsAnOutageLongerThanItsBufferFromHistory keeps only ten
// samples in memory: the forty before them leave for history's copy (the
// history store fed from the same table, as in the runtime) and are read
// back and sent first on reconnect, so the host still gets all fifty, in
// order and once.
func TestNodeForwardsAnOutageLongerThanItsBufferFromHistory(t *testing.T) {
	b := sparkplugtest.Start(t)
	clk := clockwork.NewFakeClock()
	p := newPlant()
	p.tags[0].History = datasource.HistorySettings{Enabled: true}
	store, err := history.Open(filepath.Join(t.TempDir(), "h.db"), history.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	sub := p.table.Subscribe("history", 1<<12)
	ctx, cancel := context.WithCancel(context.Background())
	ingested := make(chan error, 1)
	go func() { ingested <- history.Ingest(ctx, sub, p.tags, store) }()
	t.Cleanup(func() {
		cancel()
		<-ingested
		sub.Close()
		store.Close()
	})
	n := runNode(t, NodeConfig{Broker: Broker{URL: b.URL()}, Group: "g", Node: "n", Tags: p.tags, Table: p.table, Clock: clk,
		Buffer: 10, History: storeSource{store}, Backoff: datasource.Backoff{Min: time.Second, Max: time.Second}})
	waitFor(t, "connected", func() bool { return n.Status().Connected })

	b.Stop()
	waitFor(t, "the broker loss noticed", func() bool { return !n.Status().Connected })
	t0 := time.Now().Truncate(time.Second)
	for i := range 50 {
		p.table.Publish([]datasource.Sample{{Tag: 0, Value: datasource.Float(float64(i)), Time: t0.Add(time.Duration(i) * time.Millisecond)}})
	}
	waitFor(t, "10 samples kept, 40 spilled", func() bool { s := n.Status(); return s.Backlog == 10 && s.Spilled == 40 })
	waitFor(t, "history has the outage", func() bool {
		pts, err := store.Query(context.Background(), "Tank1.Level", t0, t0.Add(time.Second), 0)
		return err == nil && len(pts) == 50
	})
	expectForwarded(t, reconnect(t, b, n, clk), n, 50)
}

// reconnect restarts the broker, listens to the group and advances the fake
// clock the node waits on until it has reconnected.
func reconnect(t *testing.T, b *sparkplugtest.Broker, n *Node, clk *clockwork.FakeClock) *listener {
	t.Helper()
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	l := listen(t, b, Namespace+"/g/#")
	waitFor(t, "reconnected", func() bool {
		clk.Advance(time.Second)
		return n.Status().Connected
	})
	return l
}

// expectForwarded reads, after the reconnect's NBIRTH, the forwarded
// backlog: values 0..count-1, all historical, in order and once, and then
// nothing more; the node's status agrees.
func expectForwarded(t *testing.T, l *listener, n *Node, count int) {
	t.Helper()
	l.next(t, NBIRTH)
	var got []float64
	for len(got) < count {
		r := l.next(t, DDATA)
		for _, m := range r.payload.Metrics {
			if !m.Historical {
				t.Fatalf("a forwarded metric is not historical: %+v", m)
			}
			f, _ := m.Value.AsFloat()
			got = append(got, f)
		}
	}
	for i, f := range got {
		if f != float64(i) {
			t.Fatalf("forwarded values %v, want 0..%d in order", got, count-1)
		}
	}
	l.none(t, DDATA, flusher(t, l))
	if s := n.Status(); s.Backlog != 0 || s.Forwarded != uint64(count) || s.Dropped != 0 {
		t.Errorf("status after forwarding: %+v", s)
	}
}

// storeSource is the wiring's adapter of *history.Store (cli's storedPoints):
// the node reads a real history file through it.
type storeSource struct{ store *history.Store }

func (h storeSource) StoredPoints(ctx context.Context, tag string, from, to time.Time) ([]StoredPoint, error) {
	pts, err := h.store.Query(ctx, tag, from, to, 0)
	out := make([]StoredPoint, len(pts))
	for i, p := range pts {
		out[i] = StoredPoint{Time: p.Time, Value: p.Value, Quality: p.Quality}
	}
	return out, err
}
