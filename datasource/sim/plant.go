package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
)

// StepDur is the plant's fixed internal step of simulated time. The plant
// is stepped in whole steps up to the clock's now on every access, so what it
// reports depends only on the seed, the writes and the clock, not on how often
// it is read.
const StepDur = 100 * time.Millisecond

// MaxCatchUp bounds the simulated time one access catches up (about 4.6
// simulated days of steps). After a longer pause of the clock (a suspended
// laptop) the plant skips the excess instead of stalling its caller.
const MaxCatchUp = 4_000_000 * StepDur

// Errors of writes, for callers that branch with errors.Is.
var (
	ErrUnknownSignal = errors.New("unknown signal")
	ErrReadOnly      = errors.New("signal is read-only")
	ErrOutOfRange    = errors.New("value out of range")
	ErrBadValue      = errors.New("value of the wrong kind")
	ErrInAuto        = errors.New("controlled by its controller in auto")
	ErrInterlock     = errors.New("start interlocked")
)

// Reading is the current value and quality of one signal.
type Reading struct {
	Signal  string
	Value   datasource.Value // KindBool or KindFloat; none when Quality is Bad
	Quality datasource.Quality
}

// Plant is one simulated plant. It is safe for concurrent use: the engine's
// driver and a `vigil sim` server may share it.
type Plant struct {
	clk       clockwork.Clock
	speed     float64   // simulated seconds per clock second
	start     time.Time // clock time at creation; faults count from here
	startHour float64   // local hour of day at start
	seedMix   uint64    // seed of the per-step noise

	mu        sync.Mutex // guards everything below
	steps     uint64     // steps done since start
	proc      process
	out       [nSignals]float64 // what the instruments report, as of the last step
	faults    []fault
	hasFreeze bool
	frozen    [nSignals]bool // signals whose reported value is held by a freeze fault
}

// NewPlant makes a plant that starts now on clk, deterministic from seed.
// speed is simulated seconds per clock second; 0 means 1.
func NewPlant(clk clockwork.Clock, seed int64, speed float64) (*Plant, error) {
	if speed == 0 {
		speed = 1
	}
	if !(speed > 0) || math.IsInf(speed, 0) {
		return nil, fmt.Errorf("sim: speed %g: must be a number > 0 (simulated seconds per second)", speed)
	}
	now := clk.Now()
	hour := float64(now.Hour()) + float64(now.Minute())/60 + float64(now.Second())/3600
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed_0f_f1a_a7))
	p := &Plant{
		clk:       clk,
		speed:     speed,
		start:     now,
		startHour: hour,
		seedMix:   mix(uint64(seed) ^ 0x9e3779b97f4a7c15),
		proc:      initial(r, hour),
	}
	p.publish()
	return p, nil
}

// Speed returns the simulated seconds per clock second.
func (p *Plant) Speed() float64 { return p.speed }

// SimTime returns the plant's simulated time now: its start plus the
// simulated time elapsed (which runs Speed times faster than the clock).
func (p *Plant) SimTime() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	return p.start.Add(time.Duration(p.steps) * StepDur)
}

// Get returns the current reading of one signal by name.
func (p *Plant) Get(name string) (Reading, error) {
	s, ok := lookup(name)
	if !ok {
		return Reading{}, fmt.Errorf("%w %q", ErrUnknownSignal, name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := p.advance()
	return p.reading(s, elapsed), nil
}

// ReadAll appends the current reading of every signal, in catalogue order,
// to dst.
func (p *Plant) ReadAll(dst []Reading) []Reading {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := p.advance()
	for s := range nSignals {
		dst = append(dst, p.reading(s, elapsed))
	}
	return dst
}

// reading is signal s's reading at elapsed clock time; p.mu is held.
func (p *Plant) reading(s sig, elapsed time.Duration) Reading {
	r := Reading{Signal: catalogue[s].Name}
	if p.badAt(s, elapsed) {
		r.Quality = datasource.BadQuality(datasource.DeviceFailure)
		return r
	}
	v := p.out[s]
	if catalogue[s].Kind == datasource.KindBool {
		r.Value = datasource.Bool(v != 0)
	} else {
		r.Value = datasource.Float(v)
	}
	return r
}

// snapshot is every signal's reported value and badness at one instant.
type snapshot struct {
	vals    [nSignals]float64
	bad     [nSignals]bool
	dropped bool
}

// snap fills s with the plant's state now, under one lock.
func (p *Plant) snap(s *snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := p.advance()
	s.vals = p.out
	s.dropped = p.droppedAt(elapsed)
	for i := range nSignals {
		s.bad[i] = p.badAt(i, elapsed)
	}
}

// Set writes a writable signal (a setpoint, a mode or a command). Values are
// engineering values; bool signals take a bool or the numbers 0 and 1.
func (p *Plant) Set(name string, v datasource.Value) error {
	s, ok := lookup(name)
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownSignal, name)
	}
	info := catalogue[s]
	if !info.Writable {
		return fmt.Errorf("%s: %w: the plant measures it; writable signals: %s", info.Name, ErrReadOnly, writableNames())
	}
	var (
		f float64
		b bool
	)
	if info.Kind == datasource.KindBool {
		x, ok := v.AsFloat()
		if v.Kind() == datasource.KindString || !ok || (x != 0 && x != 1) {
			return fmt.Errorf("%s: %w: want true or false, got %s %q", info.Name, ErrBadValue, v.Kind(), v.String())
		}
		b = x == 1
	} else {
		x, ok := v.AsFloat()
		if v.Kind() == datasource.KindNone || !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%s: %w: want a number, got %s %q", info.Name, ErrBadValue, v.Kind(), v.String())
		}
		if x < info.Min || x > info.Max {
			return fmt.Errorf("%s: %w: %g not in %g..%g %s", info.Name, ErrOutOfRange, x, info.Min, info.Max, info.Units)
		}
		f = x
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	pr := &p.proc
	switch s {
	case sTankLevelSP:
		pr.sp = f
	case sTankAuto:
		if b && !pr.auto { // bumpless transfer: the output continues from the manual position
			pr.integ = min(max(pr.ctlOut-levelKp*(pr.levelPct()-pr.sp), 0), 100)
		}
		pr.auto = b
	case sTankOutletValve:
		if pr.auto {
			return fmt.Errorf("%s: %w: set tank1.auto to false (manual) first", info.Name, ErrInAuto)
		}
		pr.ctlOut, pr.valve = f, f
	case sPumpRunning:
		if !b {
			pr.running = false
			break
		}
		if pr.fault {
			if why := pr.tripCause(); why != "" {
				return fmt.Errorf("pump1: %w: tripped on %s and the cause persists (%s)", ErrInterlock, pr.trip, why)
			}
			pr.fault, pr.trip = false, ""
		}
		if !pr.running {
			pr.running, pr.runFor = true, 0
		}
	case sFieldMoistureSP:
		pr.msp = f
	case sFieldAuto:
		pr.irrAuto = b
	case sFieldValve:
		if pr.irrAuto {
			return fmt.Errorf("%s: %w: set field1.auto to false (manual) first", info.Name, ErrInAuto)
		}
		pr.irrValve = b
	}
	p.publish()
	return nil
}

// tripCause says why a tripped pump may not restart yet, or "" when it may.
func (p *process) tripCause() string {
	if p.winding >= resetTemp {
		return fmt.Sprintf("winding %.0f °C, resets below %.0f °C", p.winding, resetTemp)
	}
	if v := vibBase + p.wear + 0.3; v >= tripVib {
		return fmt.Sprintf("bearing worn, vibration %.1f mm/s at the trip level %.1f mm/s", v, tripVib)
	}
	return ""
}

// TripPump trips pump 1 as a motor protection relay would (fault on,
// running off). A start command resets it.
func (p *Plant) TripPump() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	p.proc.tripPump("injected trip")
	p.publish()
}

// ReplaceBearing models the maintenance that predictive alarms ask for: the
// worn bearing of pump 1 is replaced and its vibration is back to new.
func (p *Plant) ReplaceBearing() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	p.proc.wear = 0.2
	p.publish()
}

// writableNames lists the writable signals, for messages.
func writableNames() string {
	var s string
	for _, c := range catalogue {
		if c.Writable {
			if s != "" {
				s += ", "
			}
			s += c.Name
		}
	}
	return s
}

// advance steps the process up to the clock's now and returns the clock
// time elapsed since start; p.mu is held.
func (p *Plant) advance() time.Duration {
	elapsed := p.clk.Now().Sub(p.start)
	if elapsed <= 0 {
		return 0
	}
	target := uint64(float64(elapsed) * p.speed / float64(StepDur))
	if target <= p.steps {
		return elapsed
	}
	if maxSteps := uint64(MaxCatchUp / StepDur); target-p.steps > maxSteps {
		p.steps = target - maxSteps
	}
	g := p.gauss
	for p.steps < target {
		p.steps++
		hour := math.Mod(p.startHour+float64(p.steps)*dt/3600, 24)
		p.proc.step(hour, g)
		if p.hasFreeze {
			p.updateFrozen(time.Duration(float64(p.steps) * float64(StepDur) / p.speed))
		}
	}
	p.publish()
	return elapsed
}

// publish copies what the instruments report into out, except frozen
// signals; p.mu is held.
func (p *Plant) publish() {
	for s := range nSignals {
		if !p.frozen[s] {
			p.out[s] = p.proc.measure(s, p.gauss)
		}
	}
}

// gauss is this step's standard normal noise of channel ch: a pure function
// of the seed, the step and the channel (an Irwin-Hall sum of four 16-bit
// uniforms from a SplitMix64 hash), so reads never consume randomness.
func (p *Plant) gauss(ch uint64) float64 {
	h := mix(p.seedMix ^ mix(p.steps*0x9e3779b97f4a7c15+ch))
	s := float64(h&0xffff) + float64(h>>16&0xffff) + float64(h>>32&0xffff) + float64(h>>48)
	return (s/65536 - 2) * math.Sqrt(3)
}

// mix is the SplitMix64 finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
