// Package polltest is the conformance check every poll.Driver must pass.
//
// A driver package calls Run from one of its tests against a real peer
// running in-process (the Modbus TCP server of modbustest, the gopcua server
// of opcuatest, the simulated plant):
//
//	func TestConformance(t *testing.T) {
//		srv := modbustest.Start(t)
//		polltest.Run(t, polltest.Target{
//			New:        func() poll.Driver { return newDriverFor(srv.Addr()) },
//			Tags:       readableTags,   // IDs set, all readable on the peer
//			Writable:   setpointTag,    // optional
//			WriteValue: datasource.Float(42.5),
//			BadTag:     badAddressTag,  // optional: Prepare must refuse it
//			Stop:       srv.Stop,       // optional: make the peer unreachable
//			Start:      srv.Start,      //           and reachable again
//		})
//	}
//
// Run checks what the poll engine relies on: Prepare does no I/O and refuses
// bad addresses with a *datasource.TagError naming the tag; Read fails
// before Connect and on a cancelled context instead of hanging; Read
// returns exactly one Good sample per tag, in the same order on every Read
// of a plan; a written value reads back
// (poll.ValuesMatch); Close is idempotent; a vanished peer makes Read and
// Connect fail, and a returned one makes them work again; no goroutine
// outlives Close. A driver fed by a broker (Target.Pushed) gets its values
// some time after Connect, so Run waits for them instead of judging the
// first Read; it is held to every other check as is.
//
// EngineBench is the shared engine-overhead benchmark of the driver
// packages: a driver's Read alone against the same device polled through
// the engine, with table subscribers.
//
// It sits beside the engine in the data flow: drivers -> poll engine; it
// never runs in the product.
package polltest

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// Target describes the driver under test and its peer.
type Target struct {
	// New makes a fresh, unconnected driver for the peer.
	New func() poll.Driver
	// Tags are readable tags with their IDs set (distinct).
	Tags []*datasource.Tag
	// Writable is a writable tag and WriteValue a value for it; when
	// Writable is nil the write check is skipped.
	Writable   *datasource.Tag
	WriteValue datasource.Value
	// BadTag has an address the driver's Prepare must refuse with a
	// *datasource.TagError; nil skips that check.
	BadTag *datasource.Tag
	// Stop makes the peer unreachable and Start reachable again (both
	// optional, together): they drive the "peer lost" checks.
	Stop, Start func()
	// Pushed says the peer sends values on its own after Connect instead
	// of answering each Read (a broker-fed driver such as mqtt, whose Read
	// returns the last values that arrived): the checks that want Good
	// samples, and the one that wants Read to fail once the peer is lost,
	// repeat Read until it gives what they want or opTimeout passes,
	// instead of judging the first Read, and the write check waits for
	// Good samples before it writes. Every check still runs.
	Pushed bool
}

// Timeouts of the checks. A driver call that does not return within
// callLimit is reported as hanging; opTimeout is the context deadline given
// to calls that are expected to succeed or fail on their own.
const (
	opTimeout = 5 * time.Second
	callLimit = 15 * time.Second
)

// Run runs the conformance checks as subtests of t.
func Run(t *testing.T, tg Target) {
	t.Helper()
	if tg.New == nil || len(tg.Tags) == 0 {
		t.Fatal("polltest: Target needs New and at least one tag")
	}

	t.Run("Prepare needs no connection", func(t *testing.T) {
		d := tg.New()
		defer d.Close()
		if _, err := d.Prepare(tg.Tags); err != nil {
			t.Fatalf("Prepare without Connect: %v", err)
		}
	})

	t.Run("Prepare refuses the bad tag with a TagError naming it", func(t *testing.T) {
		if tg.BadTag == nil {
			t.Skip("no BadTag in the target")
		}
		d := tg.New()
		defer d.Close()
		_, err := d.Prepare([]*datasource.Tag{tg.BadTag})
		if err == nil {
			t.Fatalf("Prepare accepted tag %s with address %q", tg.BadTag.Name, tg.BadTag.Address)
		}
		var te *datasource.TagError
		if !errors.As(err, &te) {
			t.Fatalf("Prepare error is %T (%v), want a *datasource.TagError", err, err)
		}
		if te.Tag == nil || te.Tag.Name != tg.BadTag.Name {
			t.Fatalf("TagError names %v, want tag %s: %v", te.Tag, tg.BadTag.Name, err)
		}
	})

	t.Run("Read before Connect fails", func(t *testing.T) {
		d := tg.New()
		defer d.Close()
		plan := prepare(t, d, tg.Tags)
		_, err := read(t, d, plan)
		if err == nil {
			t.Fatal("Read before Connect returned no error")
		}
	})

	t.Run("Connect then Read returns one Good sample per tag", func(t *testing.T) {
		d := tg.New()
		defer d.Close()
		plan := prepare(t, d, tg.Tags)
		connect(t, d)
		samples, err := tg.readGood(t, d, plan, tg.Tags)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		checkSamples(t, tg.Tags, samples)
		// The Driver contract: every Read of a plan gives its tags in the
		// same order. The table publishes a scan class's batches as one
		// layout and lays it out anew, at a cost, whenever it changes; a
		// driver that reorders fails here rather than in the field.
		first := make([]datasource.TagID, len(samples))
		for i, s := range samples {
			first[i] = s.Tag
		}
		again, err := read(t, d, plan)
		if err != nil {
			t.Fatalf("second Read: %v", err)
		}
		for i, s := range again {
			if i >= len(first) || s.Tag != first[i] {
				t.Fatalf("second Read: sample %d is tag ID %d, the first Read had %v: Read must keep the order of a plan", i, s.Tag, first)
			}
		}
	})

	t.Run("Write then Read gives the written value back", func(t *testing.T) {
		if tg.Writable == nil {
			t.Skip("no Writable tag in the target")
		}
		d := tg.New()
		defer d.Close()
		tags := []*datasource.Tag{tg.Writable}
		plan := prepare(t, d, tags)
		connect(t, d)
		if tg.Pushed {
			// A pushed peer is known only once its first values arrived; a
			// write before that is refused (the peer may be offline).
			if _, err := tg.readGood(t, d, plan, tags); err != nil {
				t.Fatalf("Read before Write: %v", err)
			}
		}
		err := call(t, "Write", func(ctx context.Context) error { return d.Write(ctx, tg.Writable, tg.WriteValue) })
		if err != nil {
			t.Fatalf("Write %s = %v: %v", tg.Writable.Name, tg.WriteValue, err)
		}
		samples, err := tg.readGood(t, d, plan, tags)
		if err != nil {
			t.Fatalf("Read after Write: %v", err)
		}
		checkSamples(t, tags, samples)
		if got := samples[0].Value; !poll.ValuesMatch(tg.Writable, tg.WriteValue, got) {
			t.Fatalf("%s: wrote %v (%s), read back %v (%s)", tg.Writable.Name, tg.WriteValue, tg.WriteValue.Kind(), got, got.Kind())
		}
	})

	t.Run("Read with a cancelled context returns an error promptly", func(t *testing.T) {
		d := tg.New()
		defer d.Close()
		plan := prepare(t, d, tg.Tags)
		connect(t, d)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := within(t, "Read", func() error {
			_, err := d.Read(ctx, plan, nil)
			return err
		})
		if err == nil {
			t.Fatal("Read with a cancelled context returned no error")
		}
	})

	t.Run("Close twice is safe", func(t *testing.T) {
		d := tg.New()
		prepare(t, d, tg.Tags)
		connect(t, d)
		if err := within(t, "Close", d.Close); err != nil {
			t.Fatalf("first Close: %v", err)
		}
		// The second Close may report that it is closed already, but must
		// neither panic nor hang.
		_ = within(t, "second Close", d.Close)
	})

	t.Run("a lost peer makes Read and Connect fail and a returned one works again", func(t *testing.T) {
		if tg.Stop == nil || tg.Start == nil {
			t.Skip("no Stop/Start in the target")
		}
		d := tg.New()
		defer d.Close()
		plan := prepare(t, d, tg.Tags)
		connect(t, d)
		if _, err := tg.readGood(t, d, plan, tg.Tags); err != nil {
			t.Fatalf("Read before Stop: %v", err)
		}
		tg.Stop()
		restarted := false
		defer func() {
			if !restarted {
				tg.Start()
			}
		}()
		if _, err := tg.readFailing(t, d, plan); err == nil {
			t.Fatal("Read after the peer stopped returned no error")
		}
		_ = within(t, "Close", d.Close)
		if err := call(t, "Connect", d.Connect); err == nil {
			t.Fatal("Connect to a stopped peer returned no error")
		}
		_ = within(t, "Close", d.Close)
		tg.Start()
		restarted = true
		connect(t, d)
		samples, err := tg.readGood(t, d, plan, tg.Tags)
		if err != nil {
			t.Fatalf("Read after the peer returned: %v", err)
		}
		checkSamples(t, tg.Tags, samples)
	})

	t.Run("no goroutine is left after Close", func(t *testing.T) {
		// The peer and the calling test may run goroutines of their own:
		// only goroutines started from here on count.
		before := goleak.IgnoreCurrent()
		d := tg.New()
		plan := prepare(t, d, tg.Tags)
		connect(t, d)
		if _, err := read(t, d, plan); err != nil {
			t.Fatalf("Read: %v", err)
		}
		if err := within(t, "Close", d.Close); err != nil {
			t.Fatalf("Close: %v", err)
		}
		goleak.VerifyNone(t, before)
	})
}

func prepare(t *testing.T, d poll.Driver, tags []*datasource.Tag) poll.Plan {
	t.Helper()
	var plan poll.Plan
	err := within(t, "Prepare", func() (err error) {
		plan, err = d.Prepare(tags)
		return err
	})
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return plan
}

func connect(t *testing.T, d poll.Driver) {
	t.Helper()
	if err := call(t, "Connect", d.Connect); err != nil {
		t.Fatalf("Connect: %v", err)
	}
}

func read(t *testing.T, d poll.Driver, plan poll.Plan) ([]datasource.Sample, error) {
	t.Helper()
	var out []datasource.Sample
	err := call(t, "Read", func(ctx context.Context) (err error) {
		out, err = d.Read(ctx, plan, nil)
		return err
	})
	return out, err
}

// readGood reads plan. For a Pushed target it reads again while a Read
// succeeds but not every sample is Good yet (the peer's values are still
// on their way), up to opTimeout; the last Read is returned for the
// caller's checks.
func (tg Target) readGood(t *testing.T, d poll.Driver, plan poll.Plan, tags []*datasource.Tag) ([]datasource.Sample, error) {
	t.Helper()
	end := time.Now().Add(opTimeout)
	for {
		samples, err := read(t, d, plan)
		if err != nil || !tg.Pushed || allGood(samples, len(tags)) || time.Now().After(end) {
			return samples, err
		}
		time.Sleep(retryPause)
	}
}

// readFailing reads plan. For a Pushed target it reads again while Read
// succeeds, up to opTimeout: the driver learns of the lost peer when its
// connection notices, not at the Read.
func (tg Target) readFailing(t *testing.T, d poll.Driver, plan poll.Plan) ([]datasource.Sample, error) {
	t.Helper()
	end := time.Now().Add(opTimeout)
	for {
		samples, err := read(t, d, plan)
		if err != nil || !tg.Pushed || time.Now().After(end) {
			return samples, err
		}
		time.Sleep(retryPause)
	}
}

// retryPause is the wait between two Reads of a Pushed target.
const retryPause = 10 * time.Millisecond

// allGood reports whether samples are n Good samples.
func allGood(samples []datasource.Sample, n int) bool {
	if len(samples) != n {
		return false
	}
	for _, s := range samples {
		if !s.Quality.IsGood() {
			return false
		}
	}
	return true
}

// call runs fn with an opTimeout context and fails t if it hangs.
func call(t *testing.T, what string, fn func(context.Context) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	return within(t, what, func() error { return fn(ctx) })
}

// within runs fn and fails the test if it has not returned after callLimit:
// the check is that the driver does not hang, not how fast it is.
func within(t *testing.T, what string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- panicError{what, r}
			}
		}()
		done <- fn()
	}()
	timer := time.NewTimer(callLimit)
	defer timer.Stop()
	select {
	case err := <-done:
		var pe panicError
		if errors.As(err, &pe) {
			t.Fatalf("%s panicked: %v", what, pe.v)
		}
		return err
	case <-timer.C:
		t.Fatalf("%s did not return within %v", what, callLimit)
		return nil
	}
}

type panicError struct {
	what string
	v    any
}

func (p panicError) Error() string { return p.what + " panicked" }

// checkSamples checks exactly one Good sample per tag, by ID.
func checkSamples(t *testing.T, tags []*datasource.Tag, samples []datasource.Sample) {
	t.Helper()
	if len(samples) != len(tags) {
		t.Errorf("Read returned %d samples for %d tags", len(samples), len(tags))
	}
	want := make(map[datasource.TagID]*datasource.Tag, len(tags))
	for _, tag := range tags {
		want[tag.ID] = tag
	}
	seen := make(map[datasource.TagID]bool, len(samples))
	for _, s := range samples {
		tag, ok := want[s.Tag]
		switch {
		case !ok:
			t.Errorf("sample for tag ID %d, which was not asked for", s.Tag)
		case seen[s.Tag]:
			t.Errorf("%s: more than one sample", tag.Name)
		case !s.Quality.IsGood():
			t.Errorf("%s: quality %s, want Good", tag.Name, s.Quality)
		}
		seen[s.Tag] = true
	}
	for id, tag := range want {
		if !seen[id] {
			t.Errorf("%s (ID %d): no sample", tag.Name, id)
		}
	}
}
