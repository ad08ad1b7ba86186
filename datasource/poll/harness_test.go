package poll

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is the fake clock's start, a round time so that logs read easily.
var t0 = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

// harness runs an engine over fake devices on a fake clock.
type harness struct {
	t      *testing.T
	clock  *clockwork.FakeClock
	peer   *fakePeer
	eng    *Engine
	table  *datasource.Table
	tags   []*datasource.Tag
	byName map[string]*datasource.Tag
	log    *syncBuffer
	cancel context.CancelFunc
	done   chan error
	idles  chan struct{} // one per device-goroutine park (Engine.onIdle)
}

// plantTags are the tags of device "plc" used by most tests.
func plantTags() []*datasource.Tag {
	lim := func(lo, hi float64) *datasource.Range { return &datasource.Range{Min: lo, Max: hi} }
	return []*datasource.Tag{
		{Name: "Tank1.Level", Device: "plc", Address: "level", Type: datasource.TypeFloat32, Units: "%", ScanClass: "fast"},
		{Name: "Tank1.LevelSP", Device: "plc", Address: "levelsp", Type: datasource.TypeFloat32, Units: "%", ScanClass: "fast", Writable: true, WriteLimits: lim(0, 100)},
		{Name: "Pump1.Run", Device: "plc", Address: "run", Type: datasource.TypeBool, ScanClass: "slow", Writable: true},
		{Name: "Pump1.Speed", Device: "plc", Address: "speed", Type: datasource.TypeInt16, Units: "rpm", ScanClass: "slow", Writable: true},
		{Name: "Valve1.Raw", Device: "plc", Address: "valve", Type: datasource.TypeInt16, Units: "%", ScanClass: "slow", Writable: true,
			Scaling: datasource.Scaling{RawLo: 0, RawHi: 27648, EngLo: 0, EngHi: 100}},
		{Name: "Recipe.Name", Device: "plc", Address: "recipe", Type: datasource.TypeString, Length: 8, ScanClass: "slow", Writable: true},
	}
}

func plantDevice() *datasource.Device {
	return &datasource.Device{
		Name:        "plc",
		Driver:      "fake",
		Timeout:     time.Second,
		Backoff:     datasource.Backoff{Min: time.Second, Max: 8 * time.Second},
		ScanClasses: []datasource.ScanClass{{Name: "slow", Rate: time.Second}, {Name: "fast", Rate: 250 * time.Millisecond}},
	}
}

type harnessOpt func(*Config)

// newHarness builds an engine over devs and tags (system tags are added
// per device), not yet running.
func newHarness(t *testing.T, devs []*datasource.Device, tags []*datasource.Tag, opts ...harnessOpt) *harness {
	t.Helper()
	clock := clockwork.NewFakeClockAt(t0)
	h := &harness{t: t, clock: clock, peer: newFakePeer(clock), byName: map[string]*datasource.Tag{}, log: &syncBuffer{}}
	for _, d := range devs {
		tags = append(tags, &datasource.Tag{Name: datasource.ConnectedTagName(d.Name), Device: d.Name, Type: datasource.TypeBool, System: true})
	}
	for i, tag := range tags {
		tag.ID = datasource.TagID(i)
		if tag.Decimals == 0 {
			tag.Decimals = -1
		}
		h.byName[tag.Name] = tag
	}
	h.tags = tags
	h.table = datasource.NewTable(tags)
	cfg := Config{
		Devices:    devs,
		Tags:       tags,
		Table:      h.table,
		Drivers:    map[string]Factory{"fake": h.peer.factory, "fakesub": h.peer.subFactory},
		Clock:      clock,
		Logger:     slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Rand:       rand.New(rand.NewPCG(1, 2)),
		StaleCheck: -1,
	}
	for _, o := range opts {
		o(&cfg)
	}
	eng, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.eng = eng
	h.idles = make(chan struct{}, 4096)
	eng.onIdle = func() {
		select {
		case h.idles <- struct{}{}:
		default:
		}
	}
	return h
}

// start runs the engine until the test ends.
func (h *harness) start() *harness {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- h.eng.Run(ctx) }()
	h.t.Cleanup(h.stop)
	return h
}

// stop cancels Run and waits for it; hung fake calls are released first.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.peer.set(func(p *fakePeer) {
		select {
		case <-p.release:
		default:
			close(p.release)
		}
	})
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		h.t.Fatal("Run did not return after cancel")
	}
	h.cancel = nil
}

// waitFor waits (in real time, bounded) until cond holds: synchronisation
// with the engine's goroutines, not a timing assertion.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; status %+v", what, h.eng.Status())
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// next returns the next driver event with op (skipping others).
func (h *harness) next(op string) event {
	h.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-h.peer.events:
			if ev.op == op {
				return ev
			}
		case <-timeout:
			h.t.Fatalf("no %s event; status %+v", op, h.eng.Status())
		}
	}
}

// parked waits until a device goroutine has parked since the last call:
// only then may the test advance the clock without racing a running read.
func (h *harness) parked() {
	h.t.Helper()
	select {
	case <-h.idles:
	case <-time.After(10 * time.Second):
		h.t.Fatalf("the device never parked; status %+v", h.eng.Status())
	}
}

// advance parks, advances the clock by d.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.parked()
	h.clock.Advance(d)
}

func (h *harness) get(name string) datasource.Sample {
	h.t.Helper()
	tag, ok := h.byName[name]
	if !ok {
		h.t.Fatalf("no tag %s", name)
	}
	return h.table.Get(tag.ID)
}

func (h *harness) state(dev string) DeviceStatus {
	st, _ := h.eng.DeviceStatus(dev)
	return st
}

func (h *harness) waitState(dev string, s State) DeviceStatus {
	h.t.Helper()
	h.waitFor(dev+" "+s.String(), func() bool { return h.state(dev).State == s })
	return h.state(dev)
}

// retry advances the clock to the device's next retry.
func (h *harness) retry(dev string) {
	st := h.waitState(dev, Backoff)
	h.clock.Advance(st.NextRetry.Sub(h.clock.Now()))
}
