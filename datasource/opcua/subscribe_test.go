package opcua

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	gopcua "github.com/gopcua/opcua"
	"github.com/gopcua/opcua/ua"
	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/opcua/opcuatest"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// collector records published samples and lets a test wait for a condition.
type collector struct {
	mu      sync.Mutex
	samples []datasource.Sample
	changed chan struct{}
}

func newCollector() *collector { return &collector{changed: make(chan struct{}, 1)} }

func (c *collector) publish(b []datasource.Sample) {
	c.mu.Lock()
	c.samples = append(c.samples, b...)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// wait waits up to 10s for cond over the samples so far.
func (c *collector) wait(t *testing.T, what string, cond func([]datasource.Sample) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		ok := cond(c.samples)
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (c *collector) reset() {
	c.mu.Lock()
	c.samples = nil
	c.mu.Unlock()
}

// counterAdvanced reports whether the tag's good values rose at least n times.
func counterAdvanced(id datasource.TagID, n int) func([]datasource.Sample) bool {
	return func(ss []datasource.Sample) bool {
		seen, last := 0, int64(-1)
		for _, s := range ss {
			if s.Tag != id || !s.Quality.IsGood() {
				continue
			}
			v, _ := s.Value.AsInt()
			if last >= 0 && v > last {
				seen++
			}
			last = v
		}
		return seen >= n
	}
}

func hasQuality(id datasource.TagID, q datasource.Quality) func([]datasource.Sample) bool {
	return func(ss []datasource.Sample) bool {
		for _, s := range ss {
			if s.Tag == id && s.Quality == q {
				return true
			}
		}
		return false
	}
}

type subscription struct {
	cancel context.CancelFunc
	done   chan error
}

func subscribe(d *Driver, pl poll.Plan, rate time.Duration, c *collector) *subscription {
	ctx, cancel := context.WithCancel(context.Background())
	s := &subscription{cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- d.Subscribe(ctx, pl, rate, c.publish) }()
	return s
}

func (s *subscription) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Subscribe did not return after its context ended")
	}
	return nil
}

func (s *subscription) failed(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.cancel()
		return err
	case <-time.After(15 * time.Second):
		s.cancel()
		t.Fatal("Subscribe did not fail")
	}
	return nil
}

func subTags() []*datasource.Tag {
	return []*datasource.Tag{
		testTag(0, "Counter", opcuatest.NodeID("Counter"), datasource.TypeUint32),
		testTag(1, "Setpoint", opcuatest.NodeID("SetDouble"), datasource.TypeFloat64),
		testTag(2, "Missing", opcuatest.NodeID("NoSuchNode"), datasource.TypeFloat64),
	}
}

func TestSubscribeDeliversChangesAndBadNodes(t *testing.T) {
	srv := sharedServer(t)
	d := newDriver(t, testDevice(srv), Options{})
	connect(t, d)
	pl, _ := d.Prepare(subTags())
	c := newCollector()
	s := subscribe(d, pl, 50*time.Millisecond, c)
	c.wait(t, "the counter to advance twice", counterAdvanced(0, 2))
	c.wait(t, "the setpoint's current value", func(ss []datasource.Sample) bool {
		for _, s := range ss {
			if s.Tag == 1 && s.Quality.IsGood() && !s.Time.IsZero() {
				return true
			}
		}
		return false
	})
	c.wait(t, "the unknown node to be Bad/ConfigError", hasQuality(2, datasource.BadQuality(datasource.ConfigError)))
	srv.Set("SetDouble", 3.5)
	c.wait(t, "a server-side change", func(ss []datasource.Sample) bool {
		for _, s := range ss {
			if s.Tag == 1 && s.Value == datasource.Float(3.5) {
				return true
			}
		}
		return false
	})
	if err := s.stop(t); err != nil {
		t.Fatalf("Subscribe ended by its context returned %v, want nil", err)
	}
}

func TestTwoScanClassesShareOneSession(t *testing.T) {
	srv := sharedServer(t)
	d := newDriver(t, testDevice(srv), Options{})
	connect(t, d)
	tags := subTags()
	fast, _ := d.Prepare(tags[:1])
	slow, _ := d.Prepare(tags[1:2])
	cf, cs := newCollector(), newCollector()
	s1 := subscribe(d, fast, 20*time.Millisecond, cf)
	s2 := subscribe(d, slow, 100*time.Millisecond, cs)
	cf.wait(t, "fast data", counterAdvanced(0, 3))
	srv.Set("SetDouble", 4.5)
	cs.wait(t, "slow data", func(ss []datasource.Sample) bool {
		return len(ss) > 0 && ss[len(ss)-1].Value == datasource.Float(4.5)
	})
	if err := s1.stop(t); err != nil {
		t.Fatal(err)
	}
	if err := s2.stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestWatchdogCatchesADeadSubscriptionAndReconnectRecovers(t *testing.T) {
	srv := faultServer(t)
	dev := testDevice(srv)
	dev.Timeout = 300 * time.Millisecond
	clock := clockwork.NewFakeClock()
	d := newDriver(t, dev, Options{Clock: clock})
	connect(t, d)
	pl, _ := d.Prepare(subTags()[:1])
	c := newCollector()
	s := subscribe(d, pl, 20*time.Millisecond, c)
	c.wait(t, "data", counterAdvanced(0, 1))
	// Each change resets the watchdog (540ms): two 400ms steps with data
	// between them do not fire it.
	for i := 0; i < 2; i++ {
		clock.Advance(400 * time.Millisecond)
		c.reset()
		c.wait(t, "data after a step of the clock", counterAdvanced(0, 1))
	}
	select {
	case err := <-s.done:
		t.Fatalf("Subscribe failed while data was flowing: %v", err)
	default:
	}
	if n := srv.KillSubscriptions(); n < 1 {
		t.Fatalf("killed %d subscriptions, want the driver's", n)
	}
	// watchdog = 3 keep-alive periods of 4 x 20ms, plus the 300ms timeout.
	clock.Advance(3*4*20*time.Millisecond + 300*time.Millisecond + time.Millisecond)
	err := s.failed(t)
	if !errors.Is(err, poll.ErrNotConnected) || !strings.Contains(err.Error(), "no data or keep-alive") {
		t.Fatalf("Subscribe on a dead subscription = %v, want the watchdog's ErrNotConnected", err)
	}
	c.wait(t, "the tag to go Bad/CommFailure", hasQuality(0, datasource.BadQuality(datasource.CommFailure)))
	if _, err := d.Read(context.Background(), pl, nil); !errors.Is(err, poll.ErrNotConnected) {
		t.Fatalf("Read after the watchdog fired = %v, want ErrNotConnected (a full reconnect)", err)
	}
	// The engine's reconnect: Close, Connect, Subscribe.
	d.Close()
	connect(t, d)
	c.reset()
	s = subscribe(d, pl, 20*time.Millisecond, c)
	c.wait(t, "data after the reconnect", counterAdvanced(0, 2))
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestServerRestartEndsWithDataFlowingAgain(t *testing.T) {
	srv := faultServer(t)
	dev := testDevice(srv)
	dev.Timeout = 300 * time.Millisecond
	d := newDriver(t, dev, Options{})
	connect(t, d)
	pl, _ := d.Prepare(subTags()[:1])
	c := newCollector()
	s := subscribe(d, pl, 20*time.Millisecond, c)
	c.wait(t, "data", counterAdvanced(0, 1))
	srv.Stop()
	if err := s.failed(t); err == nil {
		t.Fatal("Subscribe went on after the server stopped")
	}
	c.wait(t, "the tag to go Bad/CommFailure", hasQuality(0, datasource.BadQuality(datasource.CommFailure)))
	d.Close()
	if err := d.Connect(context.Background()); err == nil {
		t.Fatal("Connect succeeded while the server is down")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	connect(t, d)
	c.reset()
	s = subscribe(d, pl, 20*time.Millisecond, c)
	c.wait(t, "data after the restart", counterAdvanced(0, 2))
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestReadAfterServerStopFailsTheDevice(t *testing.T) {
	srv := faultServer(t)
	dev := testDevice(srv)
	dev.Timeout = 300 * time.Millisecond
	d := newDriver(t, dev, Options{})
	connect(t, d)
	pl, _ := d.Prepare(subTags()[1:2])
	srv.Stop()
	if _, err := d.Read(context.Background(), pl, nil); err == nil {
		t.Fatal("Read succeeded with the server stopped")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	connect(t, d)
	if got, err := d.Read(context.Background(), pl, nil); err != nil || !got[0].Quality.IsGood() {
		t.Fatalf("Read after restart = %v, %v", got, err)
	}
}

func TestPollingSubscribeReadsAtTheRate(t *testing.T) {
	srv := sharedServer(t)
	dev := testDevice(srv)
	modify(dev, func(s *Settings) { s.Poll = true })
	d := newDriver(t, dev, Options{})
	connect(t, d)
	pl, _ := d.Prepare(subTags()[:1])
	c := newCollector()
	s := subscribe(d, pl, 20*time.Millisecond, c)
	c.wait(t, "polled data", counterAdvanced(0, 2))
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
}

// faultServer returns a test server private to the fault tests, which stop
// it and kill its subscriptions; each test leaves it running.
func faultServer(t *testing.T) *opcuatest.Server {
	t.Helper()
	faultOnce.Do(func() {
		s, err := opcuatest.New(opcuatest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fault = s
	})
	if fault == nil {
		t.Fatal("the fault test server did not start")
	}
	t.Cleanup(func() {
		if err := fault.Start(); err != nil {
			t.Error(err)
		}
	})
	return fault
}

func TestNetworkDropEndsWithDataFlowingAgain(t *testing.T) {
	srv := faultServer(t)
	dev := testDevice(srv)
	dev.Timeout = 300 * time.Millisecond
	d := newDriver(t, dev, Options{})
	connect(t, d)
	pl, _ := d.Prepare(subTags()[:1])
	c := newCollector()
	s := subscribe(d, pl, 20*time.Millisecond, c)
	c.wait(t, "data", counterAdvanced(0, 1))
	if n := srv.Drop(); n < 1 {
		t.Fatalf("dropped %d connections, want the driver's", n)
	}
	if err := s.failed(t); err == nil {
		t.Fatal("Subscribe went on after the network dropped")
	}
	c.wait(t, "the tag to go Bad/CommFailure", hasQuality(0, datasource.BadQuality(datasource.CommFailure)))
	d.Close()
	connect(t, d)
	c.reset()
	s = subscribe(d, pl, 20*time.Millisecond, c)
	c.wait(t, "data after the drop", counterAdvanced(0, 2))
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
}

// closeSessionBehindTheDriver closes the driver's session on the server from
// a second connection, as a server does when the session times out.
func closeSessionBehindTheDriver(t *testing.T, d *Driver, endpoint string) {
	t.Helper()
	ctx := context.Background()
	s := d.conn.c.Session()
	c2, err := gopcua.NewClient(endpoint, gopcua.AutoReconnect(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	if err := c2.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c2.ActivateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := c2.CloseSession(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSessionLossEndsWithDataFlowingAgain(t *testing.T) {
	srv := faultServer(t)
	dev := testDevice(srv)
	dev.Timeout = 300 * time.Millisecond
	d := newDriver(t, dev, Options{})
	connect(t, d)
	pl, _ := d.Prepare(subTags()[:1])
	c := newCollector()
	s := subscribe(d, pl, 20*time.Millisecond, c)
	c.wait(t, "data", counterAdvanced(0, 1))
	closeSessionBehindTheDriver(t, d, srv.Endpoint())
	err := s.failed(t)
	if !errors.Is(err, ua.StatusBadSessionIDInvalid) {
		t.Fatalf("Subscribe after the session was closed = %v, want BadSessionIdInvalid", err)
	}
	c.wait(t, "the tag to go Bad/CommFailure", hasQuality(0, datasource.BadQuality(datasource.CommFailure)))
	d.Close()
	connect(t, d)
	c.reset()
	s = subscribe(d, pl, 20*time.Millisecond, c)
	c.wait(t, "data in the new session", counterAdvanced(0, 2))
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
}
