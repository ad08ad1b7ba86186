// Package horn is the station's audible annunciation (ISA-18.2): a new
// unacknowledged alarm of a sounding priority (critical and high by
// default) sounds its priority's tone until it is acknowledged or the
// operator silences the horn. Silencing is audited and lasts for the alarms
// that were sounding: a later alarm sounds again.
//
// Horn decides what sounds from the alarm engine's state; a Sink makes the
// sound. Speaker is the Sink of a real station (tones generated in code,
// played through github.com/ebitengine/oto/v3); a station without an audio
// device gets a Speaker that reports it cannot sound and carries on.
package horn

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
)

// ActionSilence is the audited action of silencing the horn.
const ActionSilence alarms.Action = "silence horn"

// Engine is the part of the alarm engine the horn reads.
type Engine interface {
	Active() []alarms.Alarm
	Version() uint64
}

// Recorder audits the silencing; *audit.Auditor satisfies it.
type Recorder interface {
	AlarmAction(user string, action alarms.Action, alarm, reason string, err error) error
}

// Sink makes the sound: Sound(p) plays priority p's tone until the next
// call; Sound(0) is quiet. Called from the horn's caller's goroutine.
type Sink interface {
	Sound(p datasource.Priority)
}

// DefaultPriorities are the priorities that sound unless configured:
// critical and high. Medium and low alarms are seen, not heard.
var DefaultPriorities = []datasource.Priority{datasource.PriorityCritical, datasource.PriorityHigh}

// Options tune a Horn.
type Options struct {
	Priorities []datasource.Priority // which sound; nil: DefaultPriorities
	Audit      Recorder              // nil: silencing is not recorded
}

// Horn decides what sounds. Safe for concurrent use: every window of the
// station calls Update at its refresh, and any of them Silence.
type Horn struct {
	eng  Engine
	sink Sink
	opts Options

	mu       sync.Mutex // guards what follows
	started  bool
	version  uint64
	silenced map[alarms.ID]bool // sounding alarms the operator silenced
	sounding []alarms.Alarm     // what sounds now, most important first
	tone     datasource.Priority
}

// New returns a horn on eng sounding through sink.
func New(eng Engine, sink Sink, opts Options) *Horn {
	if opts.Priorities == nil {
		opts.Priorities = DefaultPriorities
	}
	return &Horn{eng: eng, sink: sink, opts: opts, silenced: map[alarms.ID]bool{}}
}

// Update reads the engine and starts, changes or stops the tone. Cheap when
// the engine's version has not changed.
func (h *Horn) Update() {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.eng.Version()
	if h.started && v == h.version {
		return
	}
	h.started, h.version = true, v
	h.sounding = h.sounding[:0]
	calling := map[alarms.ID]bool{}
	for _, a := range h.eng.Active() {
		if !a.Active || a.Acked || !a.Annunciated || !slices.Contains(h.opts.Priorities, a.Priority) {
			continue
		}
		calling[a.ID] = true
		if !h.silenced[a.ID] {
			h.sounding = append(h.sounding, a)
		}
	}
	// An alarm silenced, then acknowledged or cleared, sounds again when
	// it comes back.
	for id := range h.silenced {
		if !calling[id] {
			delete(h.silenced, id)
		}
	}
	slices.SortStableFunc(h.sounding, func(x, y alarms.Alarm) int { return int(y.Priority) - int(x.Priority) })
	h.setTone()
}

// setTone gives the sink the most important sounding priority. h.mu is held.
func (h *Horn) setTone() {
	var p datasource.Priority
	if len(h.sounding) > 0 {
		p = h.sounding[0].Priority
	}
	if p != h.tone {
		h.tone = p
		h.sink.Sound(p)
	}
}

// Sounding returns the priority whose tone sounds, 0 when the horn is quiet.
func (h *Horn) Sounding() datasource.Priority {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tone
}

// Silence stops the tone for the alarms sounding now and records who did
// it; it returns how many alarms it silenced (0: nothing sounded, nothing
// is recorded).
func (h *Horn) Silence(user string) int {
	h.mu.Lock()
	silenced := slices.Clone(h.sounding)
	for _, a := range silenced {
		h.silenced[a.ID] = true
	}
	h.sounding = h.sounding[:0]
	h.setTone()
	h.mu.Unlock()
	if len(silenced) == 0 {
		return 0
	}
	if h.opts.Audit != nil {
		names := make([]string, len(silenced))
		for i, a := range silenced {
			names[i] = a.Tag + "/" + a.Name
		}
		// The audit trail's own failure is reported by the trail (it
		// refuses further writes); the horn is silenced either way, since
		// a horn that cannot be silenced would be worse.
		_ = h.opts.Audit.AlarmAction(user, ActionSilence, "horn", fmt.Sprintf("silenced %s", strings.Join(names, ", ")), nil)
	}
	return len(silenced)
}
