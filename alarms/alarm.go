package alarms

import (
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// ID identifies one alarm definition of an Engine: its index in the order
// the tags and their alarms were given to New. IDs are stable while the
// engine runs; across restarts alarms are matched by tag and name.
type ID uint32

// State is an alarm's ISA-18.2 state.
type State uint8

// The ISA-18.2 states. Shelved, suppressed and out-of-service are overlays
// on these (fields of Alarm), not states of their own, because the engine
// keeps evaluating those alarms.
const (
	Normal   State = iota // inactive and acknowledged
	Unack                 // active, not acknowledged (annunciated, flashing)
	Acked                 // active and acknowledged
	RTNUnack              // returned to normal, not acknowledged
)

var stateNames = [...]string{"Normal", "Unack", "Acked", "RTNUnack"}

// String returns "Normal", "Unack", "Acked" or "RTNUnack", the names used in
// the journal.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State?"
}

// ParseState returns the State named s (as printed by String).
func ParseState(s string) (State, bool) {
	for i, n := range stateNames {
		if n == s {
			return State(i), true
		}
	}
	return Normal, false
}

// Alarm is a snapshot of one alarm for the UI: its definition's identity,
// its ISA state and overlays, and the last reading of its tag.
type Alarm struct {
	ID       ID
	Tag      string // the tag's name
	Group    string // the tag's group (area)
	Name     string // the alarm's name, unique per tag ("HiHi")
	Kind     datasource.AlarmKind
	Priority datasource.Priority
	Severity uint16 // OPC UA severity, see Severity
	Limit    float64

	State       State
	Active      bool // the condition is active (after delays), or the alarm is latched
	Acked       bool
	Latched     bool // cleared but waiting for Reset
	Annunciated bool // not Normal and not hidden by shelving, suppression or out-of-service

	Shelved      bool
	OneShot      bool      // shelved until the alarm clears
	ShelvedUntil time.Time // timed shelving: when it ends
	ShelvedBy    string
	ShelveReason string
	ShelveMax    time.Duration // the longest the alarm may be shelved; 0 when unknown (a remote station's)
	Suppressed   bool          // suppressed by design: its condition tag is true
	OutOfService bool
	OOSBy        string
	OOSReason    string

	Value       datasource.Value
	Quality     datasource.Quality
	Units       string
	Message     string        // operator text with the current value and units
	TimeToLimit time.Duration // predictive alarms: the forecast; -1 when there is none
	Since       time.Time     // when it last became active (or, when not active, its last change)
	LastChange  time.Time     // its last transition or action
}

// Summary counts alarms for the banner and the alarm summary screen.
type Summary struct {
	// Version is the engine's change counter when the summary was taken
	// (see Engine.Version).
	Version uint64
	// Annunciated counts annunciated alarms per priority, indexed by
	// datasource.Priority (index 0 unused).
	Annunciated  [datasource.PriorityCritical + 1]int
	Unacked      int // annunciated and not acknowledged
	Active       int // condition active (shelved, suppressed and out-of-service included)
	Shelved      int
	Suppressed   int
	OutOfService int
	Latched      int
}
