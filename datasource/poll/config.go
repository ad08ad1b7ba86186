package poll

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
)

// Defaults applied by New when a Config or Device field is zero.
const (
	DefaultStaleCheck = time.Second
	DefaultTimeout    = time.Second
	DefaultBackoffMin = 500 * time.Millisecond
	DefaultBackoffMax = 30 * time.Second
	defaultScanRate   = time.Second
)

// Config is what New needs to build an Engine.
type Config struct {
	Devices []*datasource.Device
	// Tags are all tags of the project, index == TagID, including the
	// system tags (System == true) the project appends per device.
	Tags  []*datasource.Tag
	Table *datasource.Table
	// Drivers maps Device.Driver ("sim", "modbus", "opcua") to its factory.
	Drivers map[string]Factory
	// Clock drives scan schedules, timeouts, backoff and stale checks;
	// nil means the real clock.
	Clock clockwork.Clock
	// Logger receives connect/disconnect, configuration and panic reports;
	// nil discards them.
	Logger *slog.Logger
	// Rand draws the backoff jitter; nil means a randomly seeded source.
	// Seed it in tests to get a reproducible backoff sequence.
	Rand *rand.Rand
	// StaleCheck is how often the table's MarkStale runs: 0 means
	// DefaultStaleCheck, a negative value disables stale marking.
	StaleCheck time.Duration
}

// New checks cfg and builds an engine. It does no I/O and starts nothing:
// Run does.
func New(cfg Config) (*Engine, error) {
	if cfg.Table == nil {
		return nil, errors.New("poll: no tag table")
	}
	if cfg.Table.Len() != len(cfg.Tags) {
		return nil, fmt.Errorf("poll: the table has %d tags but the config %d", cfg.Table.Len(), len(cfg.Tags))
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if cfg.StaleCheck == 0 {
		cfg.StaleCheck = DefaultStaleCheck
	}
	// The engine's clock also stamps what is published into the table
	// without a time, so that a fake clock governs every time a test sees.
	cfg.Table.Engine().SetClock(cfg.Clock.Now)
	e := &Engine{
		clock:      cfg.Clock,
		log:        cfg.Logger,
		table:      cfg.Table,
		tags:       cfg.Tags,
		rnd:        &lockedRand{r: cfg.Rand},
		staleCheck: cfg.StaleCheck,
		byName:     make(map[string]*device, len(cfg.Devices)),
		tagDev:     make([]*device, len(cfg.Tags)),
	}
	var errs []error
	for _, def := range cfg.Devices {
		if def == nil {
			continue
		}
		if _, dup := e.byName[def.Name]; dup {
			errs = append(errs, fmt.Errorf("device %q: defined twice", def.Name))
			continue
		}
		f := cfg.Drivers[def.Driver]
		if f == nil && !def.Disabled {
			errs = append(errs, fmt.Errorf("device %q: no driver %q in this build", def.Name, def.Driver))
			continue
		}
		d := newDevice(e, def, f)
		e.devices = append(e.devices, d)
		e.byName[def.Name] = d
	}
	for i, t := range cfg.Tags {
		if t == nil || int(t.ID) != i {
			errs = append(errs, fmt.Errorf("poll: tag #%d: its ID does not match its index", i))
			continue
		}
		if t.Calc != nil {
			continue // computed by datasource/calc from what the devices publish; no device reads it
		}
		d := e.byName[t.Device]
		if d == nil {
			errs = append(errs, fmt.Errorf("tag %s: unknown device %q", t.Name, t.Device))
			continue
		}
		e.tagDev[i] = d
		if err := d.addTag(t); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, d := range e.devices {
		d.sortClasses()
		// Grown by append, the lists had up to twice the room they need
		// for the whole run: 1 MB of pointers at 100,000 tags.
		d.tags = exact(d.tags)
		for _, c := range d.classes {
			c.tags = exact(c.tags)
		}
	}
	return e, nil
}

// deviceTimeout returns the per-request timeout of def with its default.
func deviceTimeout(def *datasource.Device) time.Duration {
	if def.Timeout > 0 {
		return def.Timeout
	}
	return DefaultTimeout
}

// deviceBackoff returns def's backoff bounds with defaults and Max >= Min.
func deviceBackoff(def *datasource.Device) datasource.Backoff {
	b := def.Backoff
	if b.Min <= 0 {
		b.Min = DefaultBackoffMin
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	if b.Max < b.Min {
		b.Max = b.Min
	}
	return b
}

// exact returns s in an array of its length.
func exact[S ~[]E, E any](s S) S {
	if len(s) == cap(s) {
		return s
	}
	return append(make(S, 0, len(s)), s...)
}
