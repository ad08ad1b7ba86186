package alarms

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
)

// Options configure an Engine. The zero Options use the real clock, no
// journal, AllowAll and a discarding logger.
type Options struct {
	Clock      clockwork.Clock // time of transitions, delays and shelving
	Journal    Journal         // where transitions are written and state restored from; nil: none
	Authorizer Authorizer      // permission checks of operator actions; nil: AllowAll
	Logger     *slog.Logger    // journal failures and dropped samples; nil: discard

	// TickInterval is how often Run checks delays and shelving expiry;
	// default 250ms.
	TickInterval time.Duration
	// RestoreWindow is how far back New reads the journal to restore
	// state; default 30 days. The engine re-journals restored state, so
	// state survives any number of restarts within the window.
	RestoreWindow time.Duration
	// MaxPending bounds the events waiting for the journal; the oldest are
	// dropped (and counted) beyond it, because evaluation must never wait
	// for the disk. Default 100000.
	MaxPending int
}

// Tag roles, one byte per tag so Process skips uninteresting tags fast.
const (
	roleAlarmed    uint8 = 1 << iota // the tag has alarms
	roleSetpoint                     // a deviation alarm's setpoint
	roleSuppressor                   // a suppress_by condition tag
)

// Engine evaluates the alarms of a project. Process and Tick are called
// from one goroutine (Run's); the snapshot and action methods may be called
// from any goroutine.
type Engine struct {
	clock  clockwork.Clock
	jrn    Journal
	auth   Authorizer
	log    *slog.Logger
	tick   time.Duration
	maxPnd int

	tags  []*datasource.Tag
	defs  []def
	byKey []ID    // every ID, by tag name then alarm name: for actions by name and restore (lookup)
	role  []uint8 // per TagID
	off   []int32 // alarms of tag i are defs[off[i]:off[i+1]]
	spOff []int32 // deviation alarms using tag i as setpoint: spIdx[spOff[i]:spOff[i+1]]
	spIdx []int32
	suOff []int32 // alarms suppressed by tag i: suIdx[suOff[i]:suOff[i+1]]
	suIdx []int32

	mu       sync.Mutex // guards everything below
	st       []state
	spVal    []float64 // current value of setpoint tags, per TagID
	spOK     []bool
	scratch  []float64 // fit buffer
	pending  []history.Event
	dropped  uint64          // events dropped because the journal fell behind
	recent   []history.Event // without a journal: the last 24 h of events, for KPIs
	flushing sync.Mutex      // serialises journal appends (held without mu)

	version atomic.Uint64
	changed chan struct{} // one token: the snapshot changed
	flush   chan struct{} // one token: events are pending
}

// New compiles and validates the alarm definitions of tags (index ==
// TagID, as datasource/project compiles them) and returns an engine with
// every alarm Normal, or restored from opts.Journal when given. Every
// invalid definition is reported, as *DefError values joined together.
func New(tags []*datasource.Tag, opts Options) (*Engine, error) {
	defs, err := compile(tags)
	if err != nil {
		return nil, fmt.Errorf("alarms: %w", err)
	}
	e := &Engine{
		clock: opts.Clock, jrn: opts.Journal, auth: opts.Authorizer, log: opts.Logger,
		tick: opts.TickInterval, maxPnd: opts.MaxPending,
		tags: tags, defs: defs, byKey: make([]ID, len(defs)),
		role: make([]uint8, len(tags)), st: make([]state, len(defs)),
		spVal: make([]float64, len(tags)), spOK: make([]bool, len(tags)),
		changed: make(chan struct{}, 1), flush: make(chan struct{}, 1),
	}
	if e.clock == nil {
		e.clock = clockwork.NewRealClock()
	}
	if e.auth == nil {
		e.auth = AllowAll{}
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.tick <= 0 {
		e.tick = 250 * time.Millisecond
	}
	if e.maxPnd <= 0 {
		e.maxPnd = 100000
	}
	e.index()
	e.sortKeys()
	for i := range e.defs {
		d := &e.defs[i]
		e.st[i].ttl = math.NaN()
		switch d.kind {
		case datasource.AlarmRateOfChange:
			e.st[i].series = newSeries(d.window, ratePoints)
		case datasource.AlarmPredictive:
			e.st[i].series = newSeries(d.window, predictivePoints)
		}
	}
	if e.jrn != nil {
		window := opts.RestoreWindow
		if window <= 0 {
			window = 30 * 24 * time.Hour
		}
		if err := e.restore(context.Background(), window); err != nil {
			return nil, fmt.Errorf("alarms: restore from the journal: %w", err)
		}
	}
	return e, nil
}

// index builds the per-tag slices Process walks instead of maps.
func (e *Engine) index() {
	n := len(e.tags)
	e.off = make([]int32, n+1)
	spCount := make([]int32, n+1)
	suCount := make([]int32, n+1)
	for i := range e.defs {
		d := &e.defs[i]
		e.off[d.tag.ID+1]++
		e.role[d.tag.ID] |= roleAlarmed
		if d.setpoint >= 0 {
			spCount[d.setpoint+1]++
			e.role[d.setpoint] |= roleSetpoint
		}
		if d.suppress >= 0 {
			suCount[d.suppress+1]++
			e.role[d.suppress] |= roleSuppressor
		}
	}
	for i := 0; i < n; i++ {
		e.off[i+1] += e.off[i]
		spCount[i+1] += spCount[i]
		suCount[i+1] += suCount[i]
	}
	e.spOff, e.suOff = append([]int32(nil), spCount...), append([]int32(nil), suCount...)
	e.spIdx = make([]int32, spCount[n])
	e.suIdx = make([]int32, suCount[n])
	for i := range e.defs {
		d := &e.defs[i]
		if d.setpoint >= 0 {
			e.spIdx[spCount[d.setpoint]] = int32(i)
			spCount[d.setpoint]++
		}
		if d.suppress >= 0 {
			e.suIdx[suCount[d.suppress]] = int32(i)
			suCount[d.suppress]++
		}
	}
}

// Len returns the number of alarm definitions.
func (e *Engine) Len() int { return len(e.defs) }

// Lookup returns the ID of the alarm name of tag.
func (e *Engine) Lookup(tag, name string) (ID, bool) {
	return e.lookup(tag, name)
}

// sortKeys fills byKey with every ID and orders it by tag name, alarm
// name, then ID.
func (e *Engine) sortKeys() {
	for i := range e.byKey {
		e.byKey[i] = ID(i)
	}
	slices.SortFunc(e.byKey, func(a, b ID) int {
		da, db := &e.defs[a], &e.defs[b]
		return cmp.Or(strings.Compare(da.tag.Name, db.tag.Name), strings.Compare(da.name, db.name), cmp.Compare(a, b))
	})
}

// lookup finds the alarm name of tag by bisection of byKey: a lookup is an
// operator's action or a journal entry restored, and a map of "tag/name"
// keys was 1 MB at 20,000 alarms. Of two alarms of one key (never in a
// project: compile refuses them) it finds the later, as that map did.
func (e *Engine) lookup(tag, name string) (ID, bool) {
	i, _ := slices.BinarySearchFunc(e.byKey, 0, func(id ID, _ int) int {
		d := &e.defs[id]
		if c := cmp.Or(strings.Compare(d.tag.Name, tag), strings.Compare(d.name, name)); c > 0 {
			return 1
		}
		return -1
	})
	if i == 0 {
		return 0, false
	}
	id := e.byKey[i-1]
	if d := &e.defs[id]; d.tag.Name != tag || d.name != name {
		return 0, false
	}
	return id, true
}

// Process evaluates a batch of samples from the tag table at the clock's
// now. It allocates nothing for samples that change no alarm.
func (e *Engine) Process(samples []datasource.Sample) {
	if len(samples) == 0 {
		return
	}
	now := e.clock.Now()
	changed := false
	e.mu.Lock()
	for i := range samples {
		s := &samples[i]
		id := int(s.Tag)
		if id >= len(e.role) || e.role[id] == 0 {
			continue
		}
		r := e.role[id]
		at := s.Time
		if at.IsZero() {
			at = now
		}
		if r&roleAlarmed != 0 {
			for k := e.off[id]; k < e.off[id+1]; k++ {
				d, st := &e.defs[k], &e.st[k]
				in := input{value: s.Value, quality: s.Quality, at: at}
				if d.setpoint >= 0 {
					in.setpoint, in.setpointOK = e.spVal[d.setpoint], e.spOK[d.setpoint]
				}
				if c := st.evaluate(d, &in, now, &e.scratch); c != 0 {
					e.record(ID(k), c, now)
					changed = true
				}
			}
		}
		if r&roleSetpoint != 0 && e.setpointSample(id, s, now) {
			changed = true
		}
		if r&roleSuppressor != 0 && e.suppressorSample(id, s, now) {
			changed = true
		}
	}
	e.mu.Unlock()
	if changed {
		e.notify()
	}
}

// setpointSample tracks a setpoint tag's value and re-evaluates the
// deviation alarms that use it with their own last reading.
func (e *Engine) setpointSample(id int, s *datasource.Sample, now time.Time) bool {
	v, ok := s.Value.AsFloat()
	ok = ok && !s.Quality.IsBad() && !math.IsNaN(v)
	e.spVal[id], e.spOK[id] = v, ok
	changed := false
	for _, k := range e.spIdx[e.spOff[id]:e.spOff[id+1]] {
		d, st := &e.defs[k], &e.st[k]
		if !st.hasValue {
			continue
		}
		in := input{value: st.value, quality: st.quality, at: now, setpoint: v, setpointOK: ok}
		if c := st.evaluate(d, &in, now, &e.scratch); c != 0 {
			e.record(ID(k), c, now)
			changed = true
		}
	}
	return changed
}

// suppressorSample applies a suppress_by tag's value to the alarms it
// suppresses. A Bad reading keeps the suppression as it was.
func (e *Engine) suppressorSample(id int, s *datasource.Sample, now time.Time) bool {
	if s.Quality.IsBad() || s.Value.IsNone() {
		return false
	}
	on := s.Value.AsBool()
	changed := false
	for _, k := range e.suIdx[e.suOff[id]:e.suOff[id+1]] {
		if c := e.st[k].suppress(on, now); c != 0 {
			e.record(ID(k), c, now)
			changed = true
		}
	}
	return changed
}

// Tick ends on- and off-delays and timed shelving that are due at now,
// without waiting for a reading. Run calls it every TickInterval.
func (e *Engine) Tick(now time.Time) {
	changed := false
	e.mu.Lock()
	for i := range e.st {
		st := &e.st[i]
		if st.cond == st.active && st.shelve != shelvedTimed {
			continue
		}
		if c := st.settle(&e.defs[i], now) | st.expire(now); c != 0 {
			e.record(ID(i), c, now)
			changed = true
		}
	}
	e.mu.Unlock()
	if changed {
		e.notify()
	}
}

// notify bumps the change counter and wakes a waiting UI.
func (e *Engine) notify() {
	e.version.Add(1)
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// Version returns a counter that grows whenever an alarm changes state, so
// the UI can poll cheaply and rebuild its list only when it moved.
func (e *Engine) Version() uint64 { return e.version.Load() }

// Changed returns a channel that receives (one token, coalesced) after
// alarms changed state.
func (e *Engine) Changed() <-chan struct{} { return e.changed }

// recvPiece is how many samples Run takes from its subscription at a time.
// The buffer was as large as the largest backlog and stayed so: up to the
// subscription's size (2^18 samples, 16.8 MB), 5-11 MB after 2 minutes of
// 100,000 tags. A piece of 4,096 is 256 KB, and costs a wake-up per 4,096
// samples.
const recvPiece = 4096

// Run evaluates the samples of sub until ctx ends, ticking delays and
// shelving every TickInterval and writing the journal from a second
// goroutine it owns, so a slow disk never delays evaluation. It flushes
// the journal and returns nil when ctx ends; Run does not close sub.
func (e *Engine) Run(ctx context.Context, sub *datasource.Subscription) error {
	wctx, stopWriter := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.writeJournal(wctx)
	}()
	defer func() {
		stopWriter()
		wg.Wait()
		if err := e.Flush(); err != nil {
			e.log.Error("alarms: final journal flush failed", "err", err)
		}
	}()

	ticker := e.clock.NewTicker(e.tick)
	defer ticker.Stop()
	buf := make([]datasource.Sample, 0, recvPiece)
	var dropped uint64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.Ready():
			// One piece at a time; Ready comes again for the rest, so
			// a long backlog does not hold up the ticks either.
			buf = sub.TryRecvMax(buf[:0], recvPiece)
			e.Process(buf)
		case <-ticker.Chan():
			e.Tick(e.clock.Now())
			if d := sub.Dropped(); d != dropped {
				e.log.Warn("alarms: the subscription dropped samples; alarms may have missed readings",
					"subscription", sub.Name(), "dropped", d-dropped)
				dropped = d
			}
		}
	}
}
