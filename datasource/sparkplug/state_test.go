package sparkplug

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
)

func TestStatePayloadIsTheJSONOfSparkplug3(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_123)
	if got, want := string(EncodeState(true, at)), `{"online":true,"timestamp":1700000000123}`; got != want {
		t.Errorf("EncodeState = %s, want %s", got, want)
	}
	s, err := DecodeState([]byte(`{"timestamp":5,"online":false}`))
	if err != nil || s != (HostState{Online: false, Timestamp: 5}) {
		t.Errorf("DecodeState = %+v, %v", s, err)
	}
	for _, bad := range []string{`ONLINE`, `{"online":true}`, `{"timestamp":1}`, `{"online":"yes","timestamp":1}`} {
		if _, err := DecodeState([]byte(bad)); err == nil {
			t.Errorf("DecodeState(%s): no error", bad)
		}
	}
}

// TestHostWatchTakesOnlyNewerStates: the will of a session carries the
// timestamp of its birth, so an offline with the same timestamp ends that
// session, and an older STATE (a stale will) changes nothing.
func TestHostWatchTakesOnlyNewerStates(t *testing.T) {
	w := newHostWatch()
	steps := []struct {
		online bool
		ts     int64
		want   bool
	}{
		{true, 100, true},
		{false, 50, true},   // an older session's will
		{false, 100, false}, // this session's will
		{true, 100, false},  // a repeat of the old birth
		{true, 200, true},   // a new session
		{true, 200, true},
		{false, 300, false},
	}
	for i, s := range steps {
		if err := w.observe(EncodeState(s.online, time.UnixMilli(s.ts))); err != nil {
			t.Fatal(err)
		}
		if got, _ := w.online(); got != s.want {
			t.Errorf("step %d (online %v at %d): online %v, want %v", i, s.online, s.ts, got, s.want)
		}
	}
	if err := w.observe([]byte("ONLINE")); err == nil {
		t.Error("a Sparkplug 2 STATE payload was taken")
	}
}

// TestNodeWithAPrimaryHostPublishesOnlyWhileTheHostIsOnline: while the
// host's retained STATE is offline the node publishes no births and
// buffers; once online it publishes the births and forwards the backlog;
// when the host's will says offline it publishes NDEATH and buffers again
// until the host's next session.
func TestNodeWithAPrimaryHostPublishesOnlyWhileTheHostIsOnline(t *testing.T) {
	b := sparkplugtest.Start(t)
	l := listen(t, b, Namespace+"/g/#")
	state := func(online bool, ms int64) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		if err := l.conn.Publish(ctx, StateTopic("scada").String(), EncodeState(online, time.UnixMilli(ms)), 1, true); err != nil {
			t.Fatal(err)
		}
	}
	state(false, 1000)
	p := newPlant()
	n := runNode(t, NodeConfig{Broker: Broker{URL: b.URL()}, Group: "g", Node: "n", Tags: p.tags, Table: p.table,
		PrimaryHost: "scada", Backoff: datasource.Backoff{Min: time.Millisecond, Max: 5 * time.Millisecond}})
	waitFor(t, "connected, waiting for the host", func() bool { s := n.Status(); return s.Connected && s.WaitingForHost })
	p.set(0, datasource.Float(1))
	waitFor(t, "the change buffered", func() bool { return n.Status().Backlog == 1 })
	l.none(t, NBIRTH, flusher(t, l))
	if s := n.Status(); s.Births != 0 || s.Messages != 0 {
		t.Fatalf("published while the host was offline: %+v", s)
	}

	state(true, 2000)
	l.next(t, NBIRTH)
	expectValue(t, l, 1, true)
	waitFor(t, "live", func() bool { s := n.Status(); return !s.WaitingForHost && s.Forwarded == 1 })

	state(false, 1500) // stale: an older session's will
	p.set(0, datasource.Float(2))
	expectValue(t, l, 2, false)

	state(false, 2000) // this session's will
	l.next(t, NDEATH)
	waitFor(t, "reconnected, waiting for the host", func() bool { s := n.Status(); return s.Connected && s.WaitingForHost })
	p.set(0, datasource.Float(3))
	waitFor(t, "the change buffered", func() bool { return n.Status().Backlog == 1 })
	l.none(t, NBIRTH, flusher(t, l))

	state(true, 3000)
	l.next(t, NBIRTH)
	expectValue(t, l, 3, true)
	if s := n.Status(); s.Births != 2 {
		t.Errorf("%d births, want 2", s.Births)
	}
}

// expectValue reads the next DDATA: Tank1.Level = v, historical or not.
func expectValue(t *testing.T, l *listener, v float64, historical bool) {
	t.Helper()
	r := l.next(t, DDATA)
	m, ok := metricNamed(r.payload, "Tank1.Level")
	if f, _ := m.Value.AsFloat(); !ok || f != v || m.Historical != historical || len(r.payload.Metrics) != 1 {
		t.Fatalf("DDATA %+v, want Tank1.Level = %v, historical %v", r.payload.Metrics, v, historical)
	}
}
