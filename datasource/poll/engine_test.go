package poll

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestScanClassesArePolledAtTheirRatesFastestFirst(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags()).start()
	h.waitState("plc", Connected)
	// At connect both classes are due: fast (2 tags) first, then slow (4).
	if ev := h.next("Read"); ev.n != 2 || !ev.at.Equal(t0) {
		t.Fatalf("first read %+v, want the 2 fast tags at t0", ev)
	}
	if ev := h.next("Read"); ev.n != 4 || !ev.at.Equal(t0) {
		t.Fatalf("second read %+v, want the 4 slow tags at t0", ev)
	}
	for i := 1; i <= 8; i++ {
		h.advance(250 * time.Millisecond)
		at := t0.Add(time.Duration(i) * 250 * time.Millisecond)
		if ev := h.next("Read"); ev.n != 2 || !ev.at.Equal(at) {
			t.Fatalf("tick %d: read %+v, want the fast class at %v", i, ev, at)
		}
		if i%4 == 0 {
			if ev := h.next("Read"); ev.n != 4 || !ev.at.Equal(at) {
				t.Fatalf("tick %d: read %+v, want the slow class at %v", i, ev, at)
			}
		}
	}
	h.waitFor("samples stamped with the poll time", func() bool {
		return h.get("Tank1.Level").Time.Equal(t0.Add(2 * time.Second))
	})
	s := h.get("Tank1.Level")
	if !s.Quality.IsGood() || s.Value != datasource.Float(0) {
		t.Errorf("Tank1.Level = %+v, want Good 0", s)
	}
	if sys := h.get("_sys.plc.connected"); sys.Value != datasource.Bool(true) || !sys.Quality.IsGood() {
		t.Errorf("system tag = %+v, want true Good", sys)
	}
	h.parked()
	st := h.state("plc")
	if st.Requests != 2+8+2+1 || st.Errors != 0 || st.Tags != 6 || st.Driver != "fake" {
		t.Errorf("status %+v: want 13 requests (connect + 12 reads), 0 errors, 6 tags", st)
	}
}

func TestASlowReadSkipsMissedTicksAndCountsOverruns(t *testing.T) {
	dev := plantDevice()
	dev.ScanClasses = []datasource.ScanClass{{Name: "fast", Rate: 250 * time.Millisecond}}
	tags := plantTags()[:2]
	h := newHarness(t, []*datasource.Device{dev}, tags)
	h.peer.set(func(p *fakePeer) { p.slowRead = 600 * time.Millisecond })
	h.start()
	h.next("Read") // t0, takes until t0+600ms: ticks at 250 and 500 are missed
	h.parked()
	if st := h.state("plc"); st.Overruns != 2 {
		t.Fatalf("overruns %d after the slow read, want 2", st.Overruns)
	}
	h.clock.Advance(150 * time.Millisecond) // t0+750ms: back on the grid
	if ev := h.next("Read"); !ev.at.Equal(t0.Add(750 * time.Millisecond)) {
		t.Fatalf("read after the overrun at %v, want t0+750ms", ev.at.Sub(t0))
	}
	h.advance(250 * time.Millisecond)
	if ev := h.next("Read"); !ev.at.Equal(t0.Add(time.Second)) {
		t.Fatalf("next read at %v, want t0+1s", ev.at.Sub(t0))
	}
	h.parked()
	if st := h.state("plc"); st.Overruns != 2 || st.LastRTT != 0 {
		t.Errorf("status %+v: want 2 overruns and the last RTT 0", st)
	}
}

func TestLastRTTIsMeasuredOnTheClock(t *testing.T) {
	dev := plantDevice()
	dev.ScanClasses = []datasource.ScanClass{{Name: "fast", Rate: 250 * time.Millisecond}}
	h := newHarness(t, []*datasource.Device{dev}, plantTags()[:2])
	h.peer.set(func(p *fakePeer) { p.readCost = 5 * time.Millisecond })
	h.start()
	h.next("Read")
	h.waitFor("RTT", func() bool { return h.state("plc").LastRTT == 5*time.Millisecond })
}

func TestBackoffDelaysGrowCappedAndJittered(t *testing.T) {
	b := datasource.Backoff{Min: time.Second, Max: 8 * time.Second}
	rnd := rand.New(rand.NewPCG(7, 7))
	seen := map[time.Duration]bool{}
	for attempt := range 12 {
		ceiling := min(b.Min<<attempt, b.Max)
		lo := max(ceiling/2, b.Min)
		for range 50 {
			d := b.Delay(attempt, rnd.Int64N)
			if d < lo || d > ceiling {
				t.Fatalf("attempt %d: delay %v outside [%v, %v]", attempt, d, lo, ceiling)
			}
			seen[d] = true
		}
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct delays in 600 draws: not jittered", len(seen))
	}
	a := rand.New(rand.NewPCG(1, 2))
	c := rand.New(rand.NewPCG(1, 2))
	for attempt := range 10 {
		if x, y := b.Delay(attempt, a.Int64N), b.Delay(attempt, c.Int64N); x != y {
			t.Fatalf("attempt %d: same seed gave %v and %v", attempt, x, y)
		}
	}
	if d := (datasource.Backoff{Min: time.Hour, Max: time.Hour}).Delay(1000, a.Int64N); d != time.Hour {
		t.Errorf("huge attempt count: %v, want the cap 1h", d)
	}
}

func TestReconnectAttemptsFollowTheSeededBackoffSequence(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
	h.peer.set(func(p *fakePeer) { p.down = true })
	h.start()
	want := rand.New(rand.NewPCG(1, 2)) // the harness's seed
	b := deviceBackoff(plantDevice())
	last := h.next("Connect").at
	for attempt := range 6 {
		h.retry("plc")
		at := h.next("Connect").at
		if got, exp := at.Sub(last), b.Delay(attempt, want.Int64N); got != exp {
			t.Fatalf("attempt %d: waited %v, want %v", attempt, got, exp)
		}
		last = at
	}
	st := h.waitState("plc", Backoff)
	if d := st.NextRetry.Sub(h.clock.Now()); d < b.Max/2 || d > b.Max {
		t.Errorf("capped delay %v, want within [%v, %v]", d, b.Max/2, b.Max)
	}
	if !strings.Contains(st.LastError, "device plc: connect: connection refused") || st.Errors != 7 {
		t.Errorf("status %+v: want the connect error and 7 errors", st)
	}
}

func TestAFailedDeviceTurnsItsTagsBadAtOnceAndRecovers(t *testing.T) {
	other := &datasource.Device{Name: "other", Driver: "fake", ScanClasses: []datasource.ScanClass{{Name: "default", Rate: time.Second}}}
	tags := append(plantTags(), &datasource.Tag{Name: "Other.Value", Device: "other", Address: "x", Type: datasource.TypeFloat64})
	h := newHarness(t, []*datasource.Device{plantDevice(), other}, tags).start()
	h.waitFor("first samples", func() bool { return h.get("Pump1.Speed").Quality.IsGood() && h.get("Other.Value").Quality.IsGood() })
	h.peer.set(func(p *fakePeer) {
		p.values[h.byName["Tank1.Level"].ID] = datasource.Float(42)
	})
	h.clock.Advance(250 * time.Millisecond)
	h.waitFor("Tank1.Level 42", func() bool { return h.get("Tank1.Level").Value == datasource.Float(42) })

	h.peer.set(func(p *fakePeer) { p.readErr = errors.New("connection reset by peer") })
	h.clock.Advance(250 * time.Millisecond)
	st := h.waitState("plc", Backoff)
	failAt := h.get("_sys.plc.connected").Time
	if failAt.Before(t0.Add(500 * time.Millisecond)) {
		t.Errorf("failure published at %v, before the failing read", failAt)
	}
	for _, name := range []string{"Tank1.Level", "Tank1.LevelSP", "Pump1.Run", "Pump1.Speed", "Valve1.Raw", "Recipe.Name"} {
		s := h.get(name)
		if s.Quality != datasource.BadQuality(datasource.CommFailure) || !s.Time.Equal(failAt) {
			t.Errorf("%s = %+v, want Bad/CommFailure at the failure time %v, with the system tag", name, s, failAt)
		}
	}
	if v := h.get("Tank1.Level").Value; v != datasource.Float(42) {
		t.Errorf("Tank1.Level lost its last value: %v", v)
	}
	if sys := h.get("_sys.plc.connected"); sys.Value != datasource.Bool(false) || !sys.Quality.IsGood() {
		t.Errorf("system tag %+v, want false Good", sys)
	}
	if !strings.Contains(st.LastError, "device plc: read scan class fast: connection reset by peer") {
		t.Errorf("LastError %q", st.LastError)
	}
	if s := h.get("Other.Value"); !s.Quality.IsGood() {
		t.Errorf("the other device's tag is %v: one device's failure must not touch another's", s.Quality)
	}

	// The reconnect fails too: the tags say NotConnected now.
	h.peer.set(func(p *fakePeer) { p.readErr = nil; p.down = true })
	h.retry("plc")
	h.next("Connect")
	h.waitFor("NotConnected", func() bool {
		return h.get("Tank1.Level").Quality == datasource.BadQuality(datasource.NotConnected)
	})

	h.peer.set(func(p *fakePeer) { p.down = false })
	h.retry("plc")
	h.waitState("plc", Connected)
	h.waitFor("fresh samples", func() bool {
		return h.get("Pump1.Speed").Quality.IsGood() && h.get("Tank1.Level").Quality.IsGood()
	})
	if sys := h.get("_sys.plc.connected"); sys.Value != datasource.Bool(true) {
		t.Errorf("system tag %+v after reconnect, want true", sys)
	}
}

func TestTagsThePrepareRefusesAreConfigErrorsAndTheRestIsPolled(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
	h.peer.set(func(p *fakePeer) { p.badAddr = "speed" })
	h.start()
	h.waitFor("good tags polled", func() bool { return h.get("Pump1.Run").Quality.IsGood() })
	if q := h.get("Pump1.Speed").Quality; q != datasource.BadQuality(datasource.ConfigError) {
		t.Errorf("Pump1.Speed quality %v, want Bad/ConfigError", q)
	}
	if !strings.Contains(h.log.String(), `no such address \"speed\"`) {
		t.Errorf("the refusal is not logged:\n%s", h.log)
	}
	// A failure keeps the refused tag ConfigError, not NotConnected.
	h.peer.set(func(p *fakePeer) { p.readErr = errors.New("broken pipe") })
	h.clock.Advance(250 * time.Millisecond)
	h.waitState("plc", Backoff)
	if q := h.get("Pump1.Speed").Quality; q != datasource.BadQuality(datasource.ConfigError) {
		t.Errorf("after failure Pump1.Speed quality %v, want Bad/ConfigError", q)
	}
	if q := h.get("Pump1.Run").Quality; q != datasource.BadQuality(datasource.CommFailure) {
		t.Errorf("after failure Pump1.Run quality %v, want Bad/CommFailure", q)
	}
}

func TestADriverThatPanicsIsReplacedByANewInstance(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
	h.peer.set(func(p *fakePeer) { p.panicOn = "Read" })
	h.start()
	st := h.waitState("plc", Backoff)
	if !strings.Contains(st.LastError, "device plc: driver panicked in Read: fake driver exploded in Read") {
		t.Errorf("LastError %q", st.LastError)
	}
	if q := h.get("Tank1.Level").Quality; q != datasource.BadQuality(datasource.CommFailure) {
		t.Errorf("quality after the panic %v, want Bad/CommFailure", q)
	}
	h.waitFor("the panic logged with its stack", func() bool {
		return strings.Contains(h.log.String(), "driver panicked") && strings.Contains(h.log.String(), "goroutine ")
	})
	h.retry("plc")
	h.waitState("plc", Connected)
	if ev := h.next("Read"); ev.inst != 2 {
		t.Errorf("read by driver instance %d, want a new instance 2", ev.inst)
	}
	h.waitFor("Good again", func() bool { return h.get("Tank1.Level").Quality.IsGood() })
}

func TestADriverCallThatHangsIsAbandonedAndReplaced(t *testing.T) {
	for _, c := range []struct {
		op     string
		reason datasource.Reason
	}{{"Connect", datasource.NotConnected}, {"Read", datasource.CommFailure}} {
		t.Run(c.op, func(t *testing.T) {
			h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
			h.peer.set(func(p *fakePeer) { p.hangOn = c.op })
			h.start()
			h.next(c.op + "-hang")
			h.peer.set(func(p *fakePeer) { p.hangOn = "" })
			// Timeout 1s, then a grace of 500ms for the driver to give up itself.
			h.advanceUntil("the hang detected", func() bool { return h.state("plc").State == Backoff })
			st := h.state("plc")
			if !strings.Contains(st.LastError, "device plc: driver did not return from "+c.op+" within its 1s timeout") {
				t.Errorf("LastError %q", st.LastError)
			}
			if q := h.get("Tank1.Level").Quality; q != datasource.BadQuality(c.reason) {
				t.Errorf("quality %v, want %v", q, datasource.BadQuality(c.reason))
			}
			h.retry("plc")
			h.waitState("plc", Connected)
			if ev := h.next("Read"); ev.inst != 2 {
				t.Errorf("read by instance %d, want the new instance 2", ev.inst)
			}
			h.releaseHung(1)
		})
	}
}

func TestAReadThatHonoursItsTimeoutFailsTheDevice(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
	h.peer.set(func(p *fakePeer) { p.blockOn = "Read" })
	h.start()
	h.next("Read-block")
	h.peer.set(func(p *fakePeer) { p.blockOn = "" })
	h.clock.Advance(time.Second)
	st := h.waitState("plc", Backoff)
	if !strings.Contains(st.LastError, "deadline exceeded") {
		t.Errorf("LastError %q, want the deadline", st.LastError)
	}
}

func TestASubscriberDeviceIsSubscribedPerScanClassAndReconnects(t *testing.T) {
	dev := plantDevice()
	dev.Driver = "fakesub"
	h := newHarness(t, []*datasource.Device{dev}, plantTags()).start()
	h.waitFor("subscribed samples", func() bool {
		return h.get("Tank1.Level").Quality.IsGood() && h.get("Pump1.Run").Quality.IsGood()
	})
	if s := h.get("Tank1.Level"); !s.Time.Equal(t0) {
		t.Errorf("sample time %v, want the stamp t0", s.Time)
	}
	h.peer.subErr <- errors.New("subscription lost")
	st := h.waitState("plc", Backoff)
	if !strings.Contains(st.LastError, "device plc: subscription: scan class") || !strings.Contains(st.LastError, "subscription lost") {
		t.Errorf("LastError %q", st.LastError)
	}
	if q := h.get("Pump1.Run").Quality; q != datasource.BadQuality(datasource.CommFailure) {
		t.Errorf("quality %v, want Bad/CommFailure", q)
	}
	h.retry("plc")
	h.waitState("plc", Connected)
	h.waitFor("Good again", func() bool { return h.get("Pump1.Run").Quality.IsGood() })
}

func TestADisabledDeviceIsOutOfServiceAndNotPolled(t *testing.T) {
	dev := plantDevice()
	dev.Disabled = true
	dev.Driver = "absent" // a disabled device needs no driver in the build
	h := newHarness(t, []*datasource.Device{dev}, plantTags()).start()
	h.waitFor("OutOfService", func() bool {
		return h.get("Tank1.Level").Quality == datasource.BadQuality(datasource.OutOfService)
	})
	if st := h.state("plc"); st.State != Disabled || st.State.String() != "Disabled" {
		t.Errorf("state %v, want Disabled", st.State)
	}
	if sys := h.get("_sys.plc.connected"); sys.Quality != datasource.BadQuality(datasource.OutOfService) {
		t.Errorf("system tag %+v, want OutOfService (no comm alarm for a device switched off)", sys)
	}
	h.stop()
	if n := h.peer.instances; n != 0 {
		t.Errorf("%d drivers made for a disabled device", n)
	}
}

func TestStaleTagsAreMarkedEveryStaleCheck(t *testing.T) {
	dev := plantDevice()
	dev.ScanClasses = []datasource.ScanClass{{Name: "fast", Rate: 10 * time.Second}}
	tags := plantTags()[:1]
	tags[0].StaleAfter = 1500 * time.Millisecond
	h := newHarness(t, []*datasource.Device{dev}, tags, func(c *Config) { c.StaleCheck = time.Second })
	h.start()
	h.waitFor("first sample", func() bool { return h.get("Tank1.Level").Quality.IsGood() })
	h.clock.Advance(time.Second)
	h.clock.Advance(time.Second)
	h.waitFor("stale", func() bool { return h.get("Tank1.Level").Quality == datasource.UncertainQuality(datasource.Stale) })
	if s := h.get("Tank1.Level"); !s.Time.Equal(t0) {
		t.Errorf("stale sample time %v, want the last read t0", s.Time)
	}
}

func TestCancellingRunStopsEveryDeviceAndClosesDrivers(t *testing.T) {
	dev2 := plantDevice()
	dev2.Name = "plc2"
	tags := plantTags()
	for _, tag := range plantTags() {
		tag.Name += "2"
		tag.Device = "plc2"
		tags = append(tags, tag)
	}
	h := newHarness(t, []*datasource.Device{plantDevice(), dev2}, tags).start()
	h.waitState("plc", Connected)
	h.waitState("plc2", Connected)
	h.waitFor("first samples", func() bool { return h.get("Tank1.Level").Quality.IsGood() })
	h.stop()
	// The scan classes' feeds are closed: the last scan stays the value.
	if s := h.get("Tank1.Level"); !s.Quality.IsGood() || s.Value != datasource.Float(0) || !s.Time.Equal(t0) {
		t.Errorf("Tank1.Level after Run returned %+v, want the last read, Good 0 at t0", s)
	}
	for _, st := range h.eng.Status() {
		if st.State != Stopped {
			t.Errorf("%s: state %v after Run returned, want Stopped", st.Name, st.State)
		}
	}
	closes := 0
	for {
		select {
		case ev := <-h.peer.events:
			if ev.op == "Close" {
				closes++
			}
			continue
		default:
		}
		break
	}
	if closes != 2 {
		t.Errorf("%d drivers closed, want 2", closes)
	}
	if err := h.eng.Run(t.Context()); !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("second Run: %v, want ErrAlreadyRunning", err)
	}
}

func TestNewRefusesInconsistentConfigs(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"a device whose driver is not built in is refused", func(c *Config) { c.Devices[0].Driver = "profibus" }, `device "plc": no driver "profibus"`},
		{"a tag of an unknown device is refused", func(c *Config) { c.Tags[0].Device = "nope" }, `tag Tank1.Level: unknown device "nope"`},
		{"a tag of an unknown scan class is refused", func(c *Config) { c.Tags[0].ScanClass = "medium" }, `tag Tank1.Level: scan class "medium" is not defined on device plc`},
		{"a missing table is refused", func(c *Config) { c.Table = nil }, "no tag table"},
		{"tags out of ID order are refused", func(c *Config) { c.Tags[1].ID = 7 }, "tag #1: its ID does not match its index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tags := plantTags()
			for i, tag := range tags {
				tag.ID = datasource.TagID(i)
			}
			cfg := Config{Devices: []*datasource.Device{plantDevice()}, Tags: tags, Table: datasource.NewTable(tags),
				Drivers: map[string]Factory{"fake": newFakePeer(nil).factory}}
			tt.edit(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestStateNames(t *testing.T) {
	for s, want := range map[State]string{Connecting: "Connecting", Connected: "Connected", Backoff: "Backoff", Disabled: "Disabled", Stopped: "Stopped", 9: "State(9)"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d) = %q, want %q", s, got, want)
		}
	}
}

func TestAFailingFactoryKeepsTheDeviceInBackoff(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
	h.peer.set(func(p *fakePeer) { p.factoryErr = errors.New("unit 300 is out of range") })
	h.start()
	st := h.waitState("plc", Backoff)
	if !strings.Contains(st.LastError, "device plc: make driver: unit 300 is out of range") {
		t.Errorf("LastError %q", st.LastError)
	}
	if q := h.get("Tank1.Level").Quality; q != datasource.BadQuality(datasource.ConfigError) {
		t.Errorf("quality %v, want Bad/ConfigError", q)
	}
	h.peer.set(func(p *fakePeer) { p.factoryErr = nil })
	h.retry("plc")
	h.waitState("plc", Connected)
	h.waitFor("Good", func() bool { return h.get("Tank1.Level").Quality.IsGood() })
}

func TestAPrepareErrorNamingNoTagRefusesTheWholeClass(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
	h.peer.set(func(p *fakePeer) { p.prepareErr = errors.New("plan too large") })
	h.start()
	h.waitState("plc", Connected)
	h.waitFor("ConfigError", func() bool {
		return h.get("Pump1.Run").Quality == datasource.BadQuality(datasource.ConfigError) &&
			h.get("Tank1.Level").Quality == datasource.BadQuality(datasource.ConfigError)
	})
	if !strings.Contains(h.log.String(), "device plc: scan class slow: plan too large") {
		t.Errorf("not logged:\n%s", h.log)
	}
}

func TestDriverCallsSeeTheirDeadlineOnTheEngineClock(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags()).start()
	h.next("Read")
	h.parked()
	var dl time.Time
	h.peer.set(func(p *fakePeer) { dl = p.lastDeadline })
	if want := t0.Add(time.Second); !dl.Equal(want) {
		t.Errorf("Read's context deadline %v, want %v (now + the device timeout on the fake clock)", dl, want)
	}
}

func TestTheEngineRunsOnTheRealClock(t *testing.T) {
	dev := plantDevice()
	dev.ScanClasses = []datasource.ScanClass{{Name: "fast", Rate: 5 * time.Millisecond}}
	h := newHarness(t, []*datasource.Device{dev}, plantTags()[:2], func(c *Config) {
		c.Clock = clockwork.NewRealClock()
		c.StaleCheck = 0 // the default, 1s
	}).start()
	for range 3 {
		h.next("Read")
	}
	tag := h.byName["Tank1.LevelSP"]
	res, err := h.eng.Write(t.Context(), WriteRequest{Tag: tag.ID, Value: datasource.Float(12.5)})
	if err != nil || !res.Match {
		t.Fatalf("Write on the real clock: %+v, %v", res, err)
	}
	h.stop()
	if st := h.state("plc"); st.State != Stopped || st.Errors != 0 {
		t.Errorf("status %+v, want Stopped without errors", st)
	}
}

// TestEveryScanReachesASubscriberStampedAndIntact checks the engine's
// hand-over of its read buffers to the table: a subscriber gets every
// sample of every scan, stamped with that scan's poll time, in scan order,
// with the value read then, although the buffers are recycled between scans.
func TestEveryScanReachesASubscriberStampedAndIntact(t *testing.T) {
	dev := plantDevice()
	dev.ScanClasses = []datasource.ScanClass{{Name: "fast", Rate: 250 * time.Millisecond}, {Name: "slow", Rate: time.Hour}}
	h := newHarness(t, []*datasource.Device{dev}, plantTags())
	sub := h.table.Subscribe("history", 1000)
	defer sub.Close()
	h.start()
	h.waitState("plc", Connected)
	level := h.byName["Tank1.Level"].ID
	h.next("Read") // at connect, both classes: fast then slow
	h.next("Read")
	const scans = 20
	for i := 1; i <= scans; i++ {
		h.peer.set(func(p *fakePeer) { p.values[level] = datasource.Float(float64(i)) })
		h.advance(250 * time.Millisecond)
		h.next("Read")
	}
	h.parked()
	var got []datasource.Sample
	for _, s := range sub.TryRecv(nil) {
		if s.Tag == level {
			got = append(got, s)
		}
	}
	// The read at connect (value 0 at t0) and one per tick.
	if len(got) != scans+1 {
		t.Fatalf("subscriber got %d samples of Tank1.Level, want %d", len(got), scans+1)
	}
	for i, s := range got {
		want := t0.Add(time.Duration(i) * 250 * time.Millisecond)
		if s.Value != datasource.Float(float64(i)) || !s.Time.Equal(want) || !s.Quality.IsGood() {
			t.Fatalf("sample %d = %v %v %v, want %d Good at %v", i, s.Value, s.Quality, s.Time, i, want)
		}
	}
	if d := sub.Dropped(); d != 0 {
		t.Fatalf("dropped %d", d)
	}
}

// releaseHung lets hung driver calls return and waits until driver
// instance inst, whose call the engine abandoned, has been closed.
func (h *harness) releaseHung(inst int) {
	h.t.Helper()
	h.peer.set(func(p *fakePeer) { close(p.release) })
	for ev := h.next("Close"); ev.inst != inst; ev = h.next("Close") {
	}
}

// received returns a condition that holds once a value arrived on c,
// stored in v.
func received[T any](c <-chan T, v *T) func() bool {
	return func() bool {
		select {
		case *v = <-c:
			return true
		default:
			return false
		}
	}
}

// advanceUntil advances the fake clock in steps of 100ms until cond holds:
// for the watchdog's timeout plus grace, whose timer the test cannot see.
func (h *harness) advanceUntil(what string, cond func() bool) {
	h.t.Helper()
	h.waitFor(what, func() bool {
		if cond() {
			return true
		}
		h.clock.Advance(100 * time.Millisecond)
		return false
	})
}

func TestRunReturnsWhileADriverCallHangs(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags()).start()
	h.waitState("plc", Connected)
	h.parked() // the first scans are done
	h.peer.set(func(p *fakePeer) { p.hangOn = "Read" })
	h.clock.Advance(250 * time.Millisecond) // the fast class is due
	h.next("Read-hang")
	h.cancel()
	var err error
	h.advanceUntil("Run to return", received(h.done, &err))
	h.cancel = nil // Run has returned: nothing left for the cleanup to stop
	if err != nil {
		t.Errorf("Run: %v", err)
	}
	if st := h.state("plc"); st.State != Stopped {
		t.Errorf("state %v after Run returned, want Stopped", st.State)
	}
	if !strings.Contains(h.log.String(), "a driver call did not return at shutdown") {
		t.Errorf("the goroutine left behind is not logged:\n%s", h.log.String())
	}
	h.releaseHung(1) // goleak checks that the stuck goroutine exits
}

func TestALateWatchdogLeavesTheNextCallAlone(t *testing.T) {
	hung := make(chan hangReport, 1)
	h := &host{dev: "plc", drv: &fakeDriver{p: newFakePeer(clockwork.NewFakeClock())}, clock: clockwork.NewFakeClock(),
		log: slog.New(slog.DiscardHandler), hung: hung}
	read := func(context.Context, Driver) error { return nil }
	if err := h.call(t.Context(), "Read", time.Second, read); err != nil {
		t.Fatal(err)
	}
	// The first Read's watchdog fires only now, during the second Read, as
	// when its call returned at the very moment its timer expired.
	done := make(chan error, 1)
	go func() {
		done <- h.call(t.Context(), "Read", time.Second, func(context.Context, Driver) error {
			h.abandon(1, "Read", time.Second)
			return nil
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("second Read: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second Read never returned: the first one's watchdog abandoned it")
	}
	select {
	case r := <-hung:
		t.Fatalf("a hang was reported: %v", r.err)
	default:
	}
}

// TestDeviceStateChangesAreLoggedOncePerCause fails a device's connect five
// times for the same reason: one warning with the cause and the retry delay,
// the repeats at debug only. A connect, a disconnect and the same refusal
// after it are each a line of their own again, and the cause is in the
// device status for the Devices screen.
func TestDeviceStateChangesAreLoggedOncePerCause(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags())
	h.peer.set(func(p *fakePeer) { p.down = true })
	h.start()
	for range 5 {
		h.next("Connect")
		h.retry("plc")
	}
	h.next("Connect")
	h.waitState("plc", Backoff)
	lines := func(level, msg string) []string {
		var out []string
		for _, l := range strings.Split(h.log.String(), "\n") {
			if strings.Contains(l, "level="+level+" msg=\""+msg+"\"") {
				out = append(out, l)
			}
		}
		return out
	}
	failed := lines("WARN", "device failed to connect")
	if len(failed) != 1 || !strings.Contains(failed[0], "connection refused") || !strings.Contains(failed[0], "retry_in=") || !strings.Contains(failed[0], "device=plc") {
		t.Fatalf("six refused connects logged as warnings:\n%s\nwant one line with the device, cause and retry delay; log:\n%s", strings.Join(failed, "\n"), h.log)
	}
	if n := len(lines("DEBUG", "device failed to connect")); n != 5 {
		t.Errorf("%d repeats at debug, want 5", n)
	}
	if st := h.state("plc"); !strings.Contains(st.LastError, "connection refused") {
		t.Errorf("status LastError %q lacks the cause", st.LastError)
	}

	h.peer.set(func(p *fakePeer) { p.down = false })
	h.retry("plc")
	h.waitState("plc", Connected)
	h.peer.set(func(p *fakePeer) { p.readErr = errors.New("connection reset by peer"); p.down = true })
	h.clock.Advance(250 * time.Millisecond)
	h.waitState("plc", Backoff)
	h.peer.set(func(p *fakePeer) { p.readErr = nil })
	h.retry("plc")
	h.next("Connect")
	h.waitFor("the refusal after the disconnect logged", func() bool { return len(lines("WARN", "device failed to connect")) == 2 })
	if n := len(lines("INFO", "device connected")); n != 1 {
		t.Errorf("%d connect lines, want 1:\n%s", n, h.log)
	}
	if d := lines("WARN", "device disconnected"); len(d) != 1 || !strings.Contains(d[0], "connection reset by peer") {
		t.Errorf("disconnect lines %q, want one with its cause", d)
	}
}

func TestARawReadOfADriverWithoutRawReadsIsRefused(t *testing.T) {
	h := newHarness(t, []*datasource.Device{plantDevice()}, plantTags()).start()
	h.waitState("plc", Connected)
	_, err := h.eng.ReadRaw(context.Background(), "plc", RawRequest{Address: "hr:0", Count: 1})
	var re *RawError
	if !errors.As(err, &re) || !errors.Is(err, ErrRawReadUnsupported) {
		t.Fatalf("error %v, want a *RawError: ErrRawReadUnsupported", err)
	}
	if st := h.state("plc"); st.State != Connected {
		t.Errorf("device %v after the refused raw read, want Connected", st.State)
	}
}

// fakeRawDriver is the fake driver with raw reads, which fail, hang or
// block as the peer's faults say (op "ReadRaw").
type fakeRawDriver struct{ *fakeDriver }

func (d fakeRawDriver) ReadRaw(ctx context.Context, req RawRequest) ([]byte, error) {
	if err := d.fault(ctx, "ReadRaw"); err != nil {
		return nil, err
	}
	d.p.emit(event{op: "ReadRaw", at: d.p.clock.Now(), inst: d.inst, n: req.Count})
	return []byte(req.Address), nil
}

func withRawDriver(h **harness) harnessOpt {
	return func(c *Config) {
		c.Drivers["fakeraw"] = func(dev *datasource.Device) (Driver, error) {
			drv, err := (*h).peer.factory(dev)
			if err != nil {
				return nil, err
			}
			return fakeRawDriver{drv.(*fakeDriver)}, nil
		}
	}
}

func TestARawReadRunsOnTheSessionAndAHangFailsTheDevice(t *testing.T) {
	dev := plantDevice()
	dev.Driver = "fakeraw"
	var h *harness
	h = newHarness(t, []*datasource.Device{dev}, plantTags(), withRawDriver(&h))
	h.start() // after h is set: the factory reads it
	h.waitState("plc", Connected)
	h.parked()
	got, err := h.eng.ReadRaw(context.Background(), "plc", RawRequest{Address: "hr:7", Count: 3})
	if err != nil || string(got) != "hr:7" {
		t.Fatalf("raw read: %q, %v", got, err)
	}
	if ev := h.next("ReadRaw"); ev.inst != 1 || ev.n != 3 {
		t.Fatalf("raw read event %+v, want instance 1, count 3", ev)
	}

	h.peer.set(func(p *fakePeer) { p.hangOn = "ReadRaw" })
	res := make(chan error, 1)
	go func() {
		_, err := h.eng.ReadRaw(context.Background(), "plc", RawRequest{Address: "hr:0", Count: 1})
		res <- err
	}()
	h.next("ReadRaw-hang")
	h.peer.set(func(p *fakePeer) { p.hangOn = "" })
	var rerr error
	h.advanceUntil("the hung raw read answered", received(res, &rerr))
	var he *HangError
	if !errors.As(rerr, &he) || he.Op != "ReadRaw" {
		t.Fatalf("the hung raw read returned %v, want a *HangError of ReadRaw", rerr)
	}
	h.advanceUntil("the device failed", func() bool { return h.state("plc").State == Backoff })
	if q := h.get("Tank1.Level").Quality; q != datasource.BadQuality(datasource.CommFailure) {
		t.Errorf("quality %v after the hang, want Bad/CommFailure", q)
	}
	_, err = h.eng.ReadRaw(context.Background(), "plc", RawRequest{Address: "hr:0", Count: 1})
	if !errors.Is(err, ErrDeviceNotConnected) || !strings.Contains(err.Error(), "did not return from ReadRaw") {
		t.Errorf("raw read of the failed device: %v, want not connected with the hang as the reason", err)
	}
	h.retry("plc")
	h.waitState("plc", Connected)
	h.releaseHung(1)
}
