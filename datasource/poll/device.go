package poll

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// device is the engine's state for one device.
//
// Two goroutines take turns with it. The device goroutine (run) connects,
// backs off and reconnects; for each connection it starts a session
// goroutine (session) that makes the driver instance if needed, prepares,
// connects, polls and writes, calling the driver directly, and waits for it
// to end. Everything below "owned by the session" belongs to the session
// goroutine while one runs and to the device goroutine otherwise; the
// hand-over is the session's end (its result on a channel) or the watchdog
// abandoning one of its driver calls (see host). Status is shared with
// Status readers under mu.
type device struct {
	e       *Engine
	def     *datasource.Device
	factory Factory
	timeout time.Duration
	backoff datasource.Backoff
	log     *slog.Logger
	classes []*scanClass      // fastest first after sortClasses
	tags    []*datasource.Tag // the device's tags without system tags, project order
	sys     *datasource.Tag   // the "connected" system tag; nil when the project has none
	writes  chan *writeOp     // write requests for the session goroutine
	raws    chan *rawOp       // raw reads for the session goroutine (raw.go)
	done    chan struct{}     // closed when the device goroutine has ended
	hung    chan hangReport   // the watchdog's report of an abandoned driver call; buffered 1

	// Owned by the session (see above).
	h       *host                      // the current driver instance; nil before the first
	badTags map[datasource.TagID]error // tags Prepare refused, with its error
	rbPlans map[datasource.TagID]Plan  // one-tag read-back plans of the current instance
	down    datasource.Reason          // the Bad reason last published for the device, ReasonNone while up
	batch   []datasource.Sample        // scratch for quality changes
	stage   datasource.Reason          // the Bad reason if the session's current driver call hangs
	healthy bool                       // the session read successfully at least once
	serving *writeOp                   // the write the session is doing, to answer if it hangs
	reading *rawOp                     // the raw read the session is doing, likewise

	mu     sync.Mutex // guards st and logged
	st     DeviceStatus
	logged string // the cause of the last state line logged; see logState
}

// scanClass is one poll rate of a device and the tags read at it.
type scanClass struct {
	name string
	rate time.Duration
	tags []*datasource.Tag // as configured
	good []*datasource.Tag // those the current driver instance accepted
	plan Plan
	next time.Time           // when the class is due next
	feed *datasource.Feed    // publishes the class's scans into the table
	buf  []datasource.Sample // lent by the feed for the next read; nil once published
	size int                 // samples of the last read, to size the next buffer
}

func newDevice(e *Engine, def *datasource.Device, f Factory) *device {
	d := &device{
		e:       e,
		def:     def,
		factory: f,
		timeout: deviceTimeout(def),
		backoff: deviceBackoff(def),
		log:     e.log.With("device", def.Name),
		writes:  make(chan *writeOp),
		raws:    make(chan *rawOp),
		done:    make(chan struct{}),
		hung:    make(chan hangReport, 1),
		badTags: map[datasource.TagID]error{},
		rbPlans: map[datasource.TagID]Plan{},
	}
	for _, sc := range def.ScanClasses {
		rate := sc.Rate
		if rate <= 0 {
			rate = defaultScanRate
		}
		d.classes = append(d.classes, &scanClass{name: sc.Name, rate: rate})
	}
	if len(d.classes) == 0 {
		d.classes = []*scanClass{{name: "default", rate: defaultScanRate}}
	}
	for _, c := range d.classes {
		c.feed = e.table.Engine().NewFeed()
	}
	d.st = DeviceStatus{Name: def.Name, Driver: def.Driver, State: Connecting}
	if def.Disabled {
		d.st.State = Disabled
	}
	return d
}

// addTag files t under its scan class (or as the device's system tag).
func (d *device) addTag(t *datasource.Tag) error {
	if t.System {
		if t.Name == datasource.ConnectedTagName(d.def.Name) {
			d.sys = t
		}
		return nil
	}
	c := d.classes[0]
	if t.ScanClass != "" {
		i := slices.IndexFunc(d.classes, func(c *scanClass) bool { return c.name == t.ScanClass })
		if i < 0 {
			return fmt.Errorf("tag %s: scan class %q is not defined on device %s", t.Name, t.ScanClass, d.def.Name)
		}
		c = d.classes[i]
	}
	c.tags = append(c.tags, t)
	d.tags = append(d.tags, t)
	d.st.Tags++
	return nil
}

// sortClasses orders the scan classes fastest first, so that when several
// are due at once the fast ones are read first.
func (d *device) sortClasses() {
	slices.SortStableFunc(d.classes, func(a, b *scanClass) int { return cmp.Compare(a.rate, b.rate) })
}

// publishDisabled marks every tag of a disabled device Bad/OutOfService.
func (d *device) publishDisabled() {
	now := d.e.clock.Now()
	batch := make([]datasource.Sample, 0, len(d.tags)+1)
	for _, t := range d.tags {
		batch = append(batch, datasource.Sample{Tag: t.ID, Quality: datasource.BadQuality(datasource.OutOfService), Time: now})
	}
	if d.sys != nil {
		// Out of service rather than "false": a device switched off on purpose
		// must not raise its communication alarm.
		batch = append(batch, datasource.Sample{Tag: d.sys.ID, Value: datasource.Bool(false), Quality: datasource.BadQuality(datasource.OutOfService), Time: now})
	}
	d.e.table.Publish(batch)
	d.setState(Disabled, nil, time.Time{})
}

// run is the device goroutine: connect, poll until failure, back off, again,
// until ctx is done.
func (d *device) run(ctx context.Context) {
	defer close(d.done)
	defer d.shutdown(ctx)
	attempt := 0
	for {
		d.setState(Connecting, nil, time.Time{})
		healthy, err := d.supervise(ctx, d.session)
		if ctx.Err() != nil {
			return
		}
		if healthy {
			attempt = 0
		}
		delay := d.backoff.Delay(attempt, d.e.rnd.Int64N)
		attempt++
		retry := d.e.clock.Now().Add(delay)
		msg := "device failed to connect"
		if d.state() == Connected {
			msg = "device disconnected"
		}
		d.logState(slog.LevelWarn, msg, err, "retry_in", delay.Round(time.Millisecond))
		d.setState(Backoff, err, retry)
		if !d.sleepUntil(ctx, retry) {
			return
		}
	}
}

// shutdown closes the driver instance, if a session left one, and marks
// the device stopped when the device goroutine ends. The Close is a driver
// call like any other, so it runs on a session goroutine of its own.
func (d *device) shutdown(ctx context.Context) {
	if d.h != nil {
		_, _ = d.supervise(ctx, func(context.Context) (bool, error) { return false, nil })
	}
	for _, c := range d.classes {
		c.feed.Close() // the last scan stays the tags' value, in the table's own storage
	}
	d.setState(Stopped, nil, time.Time{})
}

// sessionEnd is how a session goroutine ended.
type sessionEnd struct {
	healthy bool
	err     error
}

// supervise runs session on a goroutine of its own and waits until it ends
// or the watchdog abandons one of its driver calls. When ctx is done, the
// session goroutine closes the driver before it ends. healthy is true when
// at least one read succeeded, which resets the backoff.
func (d *device) supervise(ctx context.Context, session func(context.Context) (bool, error)) (healthy bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan sessionEnd, 1)
	d.healthy = false
	d.e.workers.Add(1)
	go func() {
		defer d.e.workers.Done()
		healthy, err := session(sctx)
		if ctx.Err() != nil && d.h != nil {
			// Shutting down: close the driver now, while it is still ours.
			if err := d.h.discard(d.timeout); err != nil {
				d.log.Warn("driver close at shutdown failed", "err", err)
			}
			d.h = nil
		}
		out <- sessionEnd{healthy, err}
	}()
	select {
	case end := <-out:
		return end.healthy, end.err
	case r := <-d.hung:
		cancel() // stops the lost session's subscriptions, if any
		return d.abandoned(ctx, r)
	}
}

// abandoned takes over from a session whose driver call r hung: the stuck
// goroutine keeps (and later closes) its driver instance and whatever it
// was reading into; the device fails as the session would have failed had
// the call returned the *HangError.
func (d *device) abandoned(ctx context.Context, r hangReport) (healthy bool, err error) {
	d.h = nil
	for _, c := range d.classes {
		c.buf = nil // the driver may still write into it
	}
	d.count(r.err, 0, false)
	if op := d.serving; op != nil {
		d.serving = nil
		op.replyFailed(d.def.Name, r.op, r.err)
	}
	if op := d.reading; op != nil {
		d.reading = nil
		op.reply(nil, r.err)
	}
	if ctx.Err() == nil {
		d.failed(r.err, d.stage)
	}
	return d.healthy, r.err
}

// session makes a driver instance if needed, prepares it, connects and
// polls (or subscribes) until the device fails or ctx is done. healthy is
// true when at least one read succeeded.
func (d *device) session(ctx context.Context) (healthy bool, err error) {
	if d.h == nil || d.h.broken {
		d.stage = datasource.ConfigError
		if err := d.newInstance(ctx); err != nil {
			return false, err
		}
	}
	d.stage = datasource.NotConnected
	err = d.h.call(ctx, "Connect", d.timeout, func(ctx context.Context, drv Driver) error { return drv.Connect(ctx) })
	d.count(err, 0, false)
	if err != nil {
		// Drivers say what they connected to ("connect tcp://…: …"); the
		// engine names the step only for one that does not, so that the
		// last error does not read "connect: connect tcp://…".
		op := "connect"
		if strings.HasPrefix(d.withoutName(err.Error()), "connect ") {
			op = ""
		}
		err = wrapDevice(d.def.Name, op, err)
		d.failed(err, datasource.NotConnected)
		return false, err
	}
	d.logState(slog.LevelInfo, "device connected", nil)
	d.up()
	d.stage = datasource.CommFailure
	if sub, ok := d.h.drv.(Subscriber); ok {
		healthy, err = d.subscribe(ctx, sub)
	} else {
		healthy, err = d.poll(ctx)
	}
	if err != nil && ctx.Err() == nil {
		d.failed(err, datasource.CommFailure)
	}
	return healthy, err
}

// newInstance discards the current driver instance, makes a new one from
// the factory and prepares the scan classes' plans for it.
func (d *device) newInstance(ctx context.Context) error {
	if d.h != nil {
		if err := d.h.discard(d.timeout); err != nil {
			d.log.Debug("closing the discarded driver instance", "err", err)
		}
		d.h = nil
	}
	var drv Driver
	err := protect(d.def.Name, "Factory", func() (err error) {
		drv, err = d.factory(d.def)
		return err
	})
	if err == nil && drv == nil {
		err = errors.New("the factory returned no driver")
	}
	if err != nil {
		err = wrapDevice(d.def.Name, "make driver", err)
		d.failed(err, datasource.ConfigError)
		return err
	}
	d.h = d.newHost(drv)
	clear(d.rbPlans)
	if err := d.prepare(ctx); err != nil {
		d.failed(err, datasource.ConfigError)
		return err
	}
	return nil
}

// prepare builds the plan of every scan class. Tags the driver refuses with
// a *datasource.TagError are published Bad/ConfigError, logged once and
// left out; the rest are prepared again without them.
func (d *device) prepare(ctx context.Context) error {
	bad := func(t *datasource.Tag) bool { return d.badTags[t.ID] != nil }
	for _, c := range d.classes {
		// Without refused tags (the usual case) the class's own list is
		// the good one: shared, not copied, since neither changes.
		tags := c.tags
		if slices.ContainsFunc(tags, bad) {
			tags = slices.DeleteFunc(slices.Clone(tags), bad)
		}
		c.plan, c.good = nil, nil
		for len(tags) > 0 {
			var plan Plan
			err := d.h.call(ctx, "Prepare", d.timeout, func(_ context.Context, drv Driver) (err error) {
				plan, err = drv.Prepare(tags)
				return err
			})
			if err == nil {
				c.plan, c.good = plan, tags
				break
			}
			if d.h.broken || errors.Is(err, errBrokenHost) || ctx.Err() != nil {
				return wrapDevice(d.def.Name, "prepare scan class "+c.name, err)
			}
			refused := refusedTags(err, tags)
			if len(refused) == 0 {
				// An error that names none of the tags: the class cannot be
				// read as configured at all.
				for _, t := range tags {
					refused[t.ID] = fmt.Errorf("device %s: scan class %s: %w", d.def.Name, c.name, err)
				}
			}
			d.refuse(refused)
			// a copy: tags may still be the class's own list
			tags = slices.DeleteFunc(slices.Clone(tags), func(t *datasource.Tag) bool { return refused[t.ID] != nil })
		}
	}
	return nil
}

// refusedTags picks the *datasource.TagError of tags out of a (joined) error.
func refusedTags(err error, tags []*datasource.Tag) map[datasource.TagID]error {
	out := map[datasource.TagID]error{}
	var walk func(error)
	walk = func(err error) {
		var te *datasource.TagError
		if errors.As(err, &te) && te.Tag != nil && slices.Contains(tags, te.Tag) {
			out[te.Tag.ID] = te
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			if e := u.Unwrap(); e != nil {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// refuse records, logs and publishes tags the driver cannot read.
func (d *device) refuse(refused map[datasource.TagID]error) {
	now := d.e.clock.Now()
	batch := d.batch[:0]
	for _, t := range d.tags {
		err := refused[t.ID]
		if err == nil || d.badTags[t.ID] != nil {
			continue
		}
		d.badTags[t.ID] = err
		d.log.Error("tag cannot be read as configured; it stays Bad/ConfigError", "tag", t.Name, "err", err)
		batch = append(batch, datasource.Sample{Tag: t.ID, Quality: datasource.BadQuality(datasource.ConfigError), Time: now})
	}
	d.e.table.Publish(batch)
	d.batch = batch[:0]
}

// poll reads each scan class when it is due until a read fails or ctx is
// done, serving writes in between.
func (d *device) poll(ctx context.Context) (healthy bool, err error) {
	now := d.e.clock.Now()
	for _, c := range d.classes {
		c.next = now
	}
	var timer interface {
		Chan() <-chan time.Time
		Reset(time.Duration) bool
		Stop() bool
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		now = d.e.clock.Now()
		var next time.Time
		for _, c := range d.classes {
			if len(c.good) == 0 {
				continue
			}
			if !now.Before(c.next) {
				if err := d.scan(ctx, c); err != nil {
					return healthy, err
				}
				healthy, d.healthy = true, true
				now = d.e.clock.Now()
				d.advance(c, now)
			}
			if next.IsZero() || c.next.Before(next) {
				next = c.next
			}
		}
		var tick <-chan time.Time // nil (never) when no class has tags
		if !next.IsZero() {
			wait := next.Sub(d.e.clock.Now())
			if wait <= 0 {
				continue
			}
			if timer == nil {
				timer = d.e.clock.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			if !d.e.clock.Now().Before(next) {
				// The clock passed next between reading it and arming the
				// timer, which then fires late: scan now instead.
				continue
			}
			tick = timer.Chan()
		}
		d.e.idle()
		select {
		case <-ctx.Done():
			return healthy, nil
		case <-tick:
		case op := <-d.writes:
			if err := d.serve(ctx, op); err != nil {
				return healthy, err
			}
		case op := <-d.raws:
			if err := d.readRaw(ctx, op); err != nil {
				return healthy, err
			}
		}
	}
}

// advance moves c.next to its next tick after now. Ticks that passed while
// a read was still running are skipped, not caught up, so a slow device
// cannot make the schedule drift further and further behind; each skipped
// tick counts as an overrun.
func (d *device) advance(c *scanClass, now time.Time) {
	c.next = c.next.Add(c.rate)
	if c.next.After(now) {
		return
	}
	missed := now.Sub(c.next)/c.rate + 1
	c.next = c.next.Add(missed * c.rate)
	d.mu.Lock()
	d.st.Overruns += uint64(missed)
	d.mu.Unlock()
}

// scan reads one scan class and publishes its samples in one batch.
//
// The driver reads into a buffer lent by the class's feed, and the feed
// takes the buffer over with no pass over it: the batch itself becomes the
// current value of its tags and is shared with every subscriber, never
// copied, and its samples without a source time are stamped with the poll
// time by its first reader (datasource.Feed, docs/engine.md).
func (d *device) scan(ctx context.Context, c *scanClass) error {
	start := d.e.clock.Now()
	if c.buf == nil {
		c.buf = c.feed.Buffer(max(c.size, len(c.good)))
	}
	buf := c.buf[:0]
	var out []datasource.Sample
	err := d.h.call(ctx, "Read", d.timeout, func(ctx context.Context, drv Driver) (err error) {
		out, err = drv.Read(ctx, c.plan, buf)
		return err
	})
	d.count(err, d.e.clock.Since(start), true)
	if err != nil {
		return wrapDevice(d.def.Name, "read scan class "+c.name, err)
	}
	c.buf, c.size = nil, len(out)
	c.feed.Publish(out, start)
	return nil
}

// up publishes the connected system tag true and enters Connected.
func (d *device) up() {
	d.down = datasource.ReasonNone
	if d.sys != nil {
		d.e.table.Publish([]datasource.Sample{{Tag: d.sys.ID, Value: datasource.Bool(true), Time: d.e.clock.Now()}})
	}
	d.setState(Connected, nil, time.Time{})
}

// failed closes the driver connection and, on a change of reason, publishes
// every readable tag of the device Bad with reason (keeping its last value)
// and the connected system tag false, in one batch so that consumers see the
// device fail at once.
func (d *device) failed(err error, reason datasource.Reason) {
	if d.h != nil && !d.h.broken {
		// A fresh context: the engine's may be done, and Close must still run.
		cerr := d.h.call(context.Background(), "Close", d.timeout, func(_ context.Context, drv Driver) error { return drv.Close() })
		if cerr != nil {
			d.log.Debug("driver close after failure", "err", cerr)
		}
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		d.log.Error("driver panicked; making a new driver instance", "err", err, "stack", string(pe.Stack))
	}
	if d.down == reason {
		return
	}
	d.down = reason
	now := d.e.clock.Now()
	batch := d.batch[:0]
	for _, t := range d.tags {
		if d.badTags[t.ID] != nil {
			continue // stays ConfigError: more useful than NotConnected
		}
		last := d.e.table.Get(t.ID)
		batch = append(batch, datasource.Sample{Tag: t.ID, Value: last.Value, Quality: datasource.BadQuality(reason), Time: now})
	}
	if d.sys != nil {
		batch = append(batch, datasource.Sample{Tag: d.sys.ID, Value: datasource.Bool(false), Time: now})
	}
	d.e.table.Publish(batch)
	d.batch = batch[:0]
}

// sleepUntil waits for t on the clock, refusing writes meanwhile. It
// returns false when ctx ended first.
func (d *device) sleepUntil(ctx context.Context, t time.Time) bool {
	wait := t.Sub(d.e.clock.Now())
	if wait <= 0 {
		return ctx.Err() == nil
	}
	timer := d.e.clock.NewTimer(wait)
	defer timer.Stop()
	if !d.e.clock.Now().Before(t) { // the clock moved on while the timer was armed
		return ctx.Err() == nil
	}
	for {
		d.e.idle()
		select {
		case <-ctx.Done():
			return false
		case <-timer.Chan():
			return true
		case op := <-d.writes:
			op.reply(WriteResult{Tag: op.tag.ID, Requested: op.value}, d.notConnected(op.tag))
		case op := <-d.raws:
			op.reply(nil, &RawError{Device: d.def.Name, Err: ErrDeviceNotConnected, Last: d.status().LastError})
		}
	}
}

// setState enters state s; err, when not nil, becomes LastError.
func (d *device) setState(s State, err error, retry time.Time) {
	now := d.e.clock.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st.State != s {
		d.st.Since = now
	}
	d.st.State = s
	d.st.NextRetry = retry
	if err != nil {
		d.st.LastError = err.Error()
	}
}

// logState logs a change of the device's state as one line with its cause
// (err, nil for a connect) at level, unless the last line logged had the
// same cause: a device that keeps failing for the same reason gets one line,
// not one per retry, and the repeats go to Debug. A connect always differs
// from a failure, so every connect and disconnect is logged.
func (d *device) logState(level slog.Level, msg string, err error, args ...any) {
	cause := "connected"
	if err != nil {
		cause = causeOf(err)
		args = append([]any{"cause", d.withoutName(err.Error())}, args...)
	}
	d.mu.Lock()
	repeat := d.logged == cause
	d.logged = cause
	d.mu.Unlock()
	if repeat {
		level = slog.LevelDebug
	}
	d.log.Log(context.Background(), level, msg, args...)
}

// withoutName drops the device's name from an error message for a log
// line that carries it as an attribute already: the engine and the driver
// each prefix it ("device plc: connect: device \"plc\": dial tcp ...").
func (d *device) withoutName(msg string) string { return withoutDeviceName(d.def.Name, msg) }

// withoutDeviceName drops "device NAME: " and the drivers' "device
// \"NAME\": " from msg, for a line that names the device already.
func withoutDeviceName(name, msg string) string {
	msg = strings.ReplaceAll(msg, "device "+name+": ", "")
	return strings.ReplaceAll(msg, "device "+strconv.Quote(name)+": ", "")
}

// ephemeral matches the local end of a TCP connection in a net error
// ("read tcp 127.0.0.1:52144->127.0.0.1:502: ..."), which differs on every
// attempt without being another cause.
var ephemeral = regexp.MustCompile(`\S+:\d+->`)

// causeOf is the text that tells two failures' causes apart: the error's
// message without the parts that change on every attempt.
func causeOf(err error) string {
	return ephemeral.ReplaceAllString(err.Error(), "")
}

// count records one driver request.
func (d *device) count(err error, rtt time.Duration, setRTT bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.Requests++
	if err != nil {
		d.st.Errors++
	} else if setRTT {
		d.st.LastRTT = rtt
	}
}

func (d *device) status() DeviceStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.st
}

func (d *device) state() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.st.State
}

// wrapDevice prefixes err with the device and, unless op is empty, the
// operation. A panic or a hang is returned as it is: it names both.
func wrapDevice(dev, op string, err error) error {
	var pe *PanicError
	var he *HangError
	if errors.As(err, &pe) || errors.As(err, &he) {
		return err
	}
	if op == "" {
		return fmt.Errorf("device %s: %w", dev, err)
	}
	return fmt.Errorf("device %s: %s: %w", dev, op, err)
}
