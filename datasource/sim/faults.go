package sim

import (
	"fmt"
	"time"
)

// FaultKind is what a fault does.
type FaultKind string

// The fault kinds, named as in the project file's sim.faults.
const (
	FaultDrop   FaultKind = "drop"   // the connection drops: Connect and Read fail with poll.ErrNotConnected
	FaultFreeze FaultKind = "freeze" // the signal's reported value stops changing
	FaultBad    FaultKind = "bad"    // the signal's readings are Bad/DeviceFailure
)

// Fault is a fault the plant injects from At to At+For after its start
// (clock time, not simulated time; For 0 lasts until ClearFaults or the
// plant is discarded).
type Fault struct {
	Kind   FaultKind
	Signal string // freeze and bad: a signal name, or "" for every signal; drop: ""
	At     time.Duration
	For    time.Duration
}

// fault is a Fault with its signal resolved (-1: every signal).
type fault struct {
	Fault
	sig sig
}

func (f fault) activeAt(elapsed time.Duration) bool {
	return elapsed >= f.At && (f.For == 0 || elapsed < f.At+f.For)
}

func (f fault) hits(s sig) bool { return f.sig < 0 || f.sig == s }

// Schedule adds a fault. At counts from the plant's start; a fault whose
// window has begun takes effect at once.
func (p *Plant) Schedule(f Fault) error {
	ff := fault{Fault: f, sig: -1}
	switch f.Kind {
	case FaultDrop:
		if f.Signal != "" {
			return fmt.Errorf("sim fault drop: drops the whole connection, give no signal (got %q)", f.Signal)
		}
	case FaultFreeze, FaultBad:
		if f.Signal != "" {
			s, ok := lookup(f.Signal)
			if !ok {
				return fmt.Errorf("sim fault %s: %w %q; did you mean %v?", f.Kind, ErrUnknownSignal, f.Signal, suggest(f.Signal))
			}
			ff.sig = s
			ff.Signal = catalogue[s].Name
		}
	default:
		return fmt.Errorf("sim fault: unknown kind %q: use drop, freeze or bad", f.Kind)
	}
	if f.At < 0 || f.For < 0 {
		return fmt.Errorf("sim fault %s: at %v and for %v must be >= 0", f.Kind, f.At, f.For)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := p.advance()
	p.faults = append(p.faults, ff)
	if f.Kind == FaultFreeze {
		p.hasFreeze = true
		p.updateFrozen(elapsed)
	}
	return nil
}

// Inject starts a fault now, for d (0: until ClearFaults).
func (p *Plant) Inject(kind FaultKind, signal string, d time.Duration) error {
	p.mu.Lock()
	at := max(p.clk.Now().Sub(p.start), 0)
	p.mu.Unlock()
	return p.Schedule(Fault{Kind: kind, Signal: signal, At: at, For: d})
}

// ClearFaults ends every fault, scheduled or active, now.
func (p *Plant) ClearFaults() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	p.faults, p.hasFreeze = nil, false
	p.frozen = [nSignals]bool{}
	p.publish()
}

// Faults returns the faults scheduled, in the order they were added.
func (p *Plant) Faults() []Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Fault, len(p.faults))
	for i, f := range p.faults {
		out[i] = f.Fault
	}
	return out
}

// Connected reports whether the plant's connection is up now (no drop fault
// active).
func (p *Plant) Connected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.droppedAt(p.advance())
}

// updateFrozen holds the reported value of signals whose freeze began and
// releases those whose freeze ended, at elapsed clock time; p.mu is held.
func (p *Plant) updateFrozen(elapsed time.Duration) {
	var want [nSignals]bool
	for _, f := range p.faults {
		if f.Kind != FaultFreeze || !f.activeAt(elapsed) {
			continue
		}
		for s := range nSignals {
			if f.hits(s) {
				want[s] = true
			}
		}
	}
	for s := range nSignals {
		if want[s] && !p.frozen[s] {
			p.out[s] = p.proc.measure(s, p.gauss) // the value it freezes at
		}
	}
	p.frozen = want
}

// droppedAt reports whether a drop fault is active; p.mu is held.
func (p *Plant) droppedAt(elapsed time.Duration) bool {
	for _, f := range p.faults {
		if f.Kind == FaultDrop && f.activeAt(elapsed) {
			return true
		}
	}
	return false
}

// badAt reports whether a bad fault covers s; p.mu is held.
func (p *Plant) badAt(s sig, elapsed time.Duration) bool {
	for _, f := range p.faults {
		if f.Kind == FaultBad && f.hits(s) && f.activeAt(elapsed) {
			return true
		}
	}
	return false
}
