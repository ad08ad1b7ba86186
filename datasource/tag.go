package datasource

import (
	"strconv"
	"time"
)

// TagID is a tag's index in its project and in the Table: dense, from 0, in
// the order the project file defines the tags.
type TagID uint32

// Pos is a place in a project file, for messages of the form "file:line: ...".
type Pos struct {
	File string
	Line int
}

// String renders "file:line", or "" for the zero Pos.
func (p Pos) String() string {
	if p.File == "" && p.Line == 0 {
		return ""
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// SystemTagPrefix starts the names of tags the engine makes itself (one
// "<prefix><device>.connected" per device). Project tags may not use it.
const SystemTagPrefix = "_sys."

// ConnectedTagName returns the name of the system tag that carries whether
// device is connected; its comm alarm is defined on that tag.
func ConnectedTagName(device string) string { return SystemTagPrefix + device + ".connected" }

// Tag is the compiled, validated definition of one tag. Tags are created by
// the project package and never change while the engine runs; share them by
// pointer.
//
// A project holds one Tag per tag for as long as it runs (100,000 of them in
// a large plant), so the fields are laid out to leave no padding: the small
// ones together first, then the words. TestTagSize pins the size, 304 bytes;
// a new field goes where it adds no padding (bools and bytes beside the
// others at the top).
type Tag struct {
	ID TagID
	// AddressLine is the line of the tag's address in its project file
	// (Pos.File), for driver errors: see AddressPos.
	AddressLine int32
	Type        DataType
	WordOrder   WordOrder // WordOrderDefault: use the device's
	Writable    bool
	Critical    bool // a write needs the operator's password again
	System      bool // made by the engine, not read from a device address

	Name        string // unique in the project, e.g. "Tank1.Level"
	Description string
	Group       string  // area or tag group: permissions, overview grouping
	Device      string  // the Device.Name it is read from
	Address     string  // driver-specific, checked by the driver's Prepare
	Length      int     // TypeString: number of 16-bit registers (2 characters each) or maximum characters
	Scaling     Scaling // raw -> engineering units; the zero Scaling is identity
	Units       string
	Decimals    int              // digits after the point for display; -1 means as many as needed
	Span        Range            // display range (bars, trend axis); from scaling or limits when not given
	States      map[int64]string // state texts for digital tags: 0 -> "STOPPED", 1 -> "RUNNING"
	WriteLimits *Range           // nil: only the data type's range limits writes
	ScanClass   string
	ScanRate    time.Duration // of ScanClass, resolved
	StaleAfter  time.Duration // not refreshed for this long -> Uncertain/Stale; 0 disables
	History     HistorySettings
	Alarms      []AlarmDef
	Calc        *CalcDef // a calculated tag (datasource/calc): no device, read-only; nil for device tags
	Pos         Pos      // the tag's entry in the project file
}

// AddressPos is the place of the tag's address in the project file, for
// driver errors: the tag's file at AddressLine, or the zero Pos when the
// address has no line (a tag made in code).
func (t *Tag) AddressPos() Pos {
	if t.AddressLine == 0 {
		return Pos{}
	}
	return Pos{File: t.Pos.File, Line: int(t.AddressLine)}
}

// Range is a closed interval [Min, Max].
type Range struct {
	Min, Max float64
}

// Contains reports whether Min <= v <= Max.
func (r Range) Contains(v float64) bool { return v >= r.Min && v <= r.Max }

// HistorySettings says what of a tag is stored in history.
//
// The two words first, then the two bytes: 24 bytes, not 32 (see Tag).
type HistorySettings struct {
	Deadband    float64       // store a value only when it moved more than this (engineering units); 0 stores every change
	MaxInterval time.Duration // store at least this often even when flat; 0 means only on change
	Enabled     bool
	// Interpolation says how a trend joins the stored values: a step
	// (the value holds until the next change) or a straight line.
	// InterpolationDefault resolves per tag, see Tag.Stepped.
	Interpolation Interpolation
}

// Interpolation is how a trend draws a tag between two stored values.
type Interpolation uint8

// The interpolations of history.interpolation in the project file.
const (
	InterpolationDefault Interpolation = iota // step for bool, integer, state and writable tags; linear otherwise
	InterpolationStep                         // the value holds until the next sample: setpoints, states, counts
	InterpolationLinear                       // a straight line between samples: measured analog values
)

// String returns "step", "linear" or "" for the default.
func (i Interpolation) String() string {
	switch i {
	case InterpolationStep:
		return "step"
	case InterpolationLinear:
		return "linear"
	}
	return ""
}

// Stepped reports whether a trend of the tag draws steps rather than
// ramps. Without an explicit history.interpolation, bool, integer, state
// (States set) and writable tags step: their values change at an instant
// (an operator's write, a state change), and a ramp between two stored
// values would show a change that never happened.
func (t *Tag) Stepped() bool {
	switch t.History.Interpolation {
	case InterpolationStep:
		return true
	case InterpolationLinear:
		return false
	}
	switch t.Type {
	case TypeBool, TypeInt16, TypeUint16, TypeInt32, TypeUint32, TypeInt64, TypeUint64:
		// a scaled integer register is a measured analog value
		if t.Type != TypeBool && !t.Scaling.IsIdentity() && len(t.States) == 0 && !t.Writable {
			return false
		}
		return true
	}
	return len(t.States) > 0 || t.Writable
}

// DataType is how a tag's value is encoded on the device.
type DataType uint8

// The data types. Scaled numeric tags have engineering values of KindFloat.
const (
	TypeBool DataType = iota
	TypeInt16
	TypeUint16
	TypeInt32
	TypeUint32
	TypeInt64
	TypeUint64
	TypeFloat32
	TypeFloat64
	TypeString
)

var dataTypeNames = [...]string{"bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64", "string"}

// String returns the name used in project files ("float32").
func (t DataType) String() string {
	if int(t) < len(dataTypeNames) {
		return dataTypeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// ParseDataType returns the DataType of a project-file name such as "uint16".
func ParseDataType(s string) (DataType, bool) {
	for i, n := range dataTypeNames {
		if n == s {
			return DataType(i), true
		}
	}
	return 0, false
}

// DataTypeNames lists the project-file names of all data types, for messages.
func DataTypeNames() []string { return append([]string(nil), dataTypeNames[:]...) }

// Registers returns how many 16-bit registers the type occupies (bool: 1 when
// it is a bit of a register; string: length).
func (t DataType) Registers(length int) int {
	switch t {
	case TypeInt32, TypeUint32, TypeFloat32:
		return 2
	case TypeInt64, TypeUint64, TypeFloat64:
		return 4
	case TypeString:
		return length
	}
	return 1
}

// Numeric reports whether values of the type are numbers.
func (t DataType) Numeric() bool { return t != TypeBool && t != TypeString }

// WordOrder is the order of bytes in a multi-register value, named by where
// the bytes A (most significant) .. D land: ABCD is big-endian.
type WordOrder uint8

// The word orders. WordOrderDefault defers to the device's setting.
const (
	WordOrderDefault WordOrder = iota
	ABCD                       // big-endian, high word first (Modbus standard)
	CDAB                       // word-swapped: low word first, bytes big-endian
	BADC                       // byte-swapped words, high word first
	DCBA                       // little-endian
)

var wordOrderNames = [...]string{"", "ABCD", "CDAB", "BADC", "DCBA"}

// String returns "ABCD", "CDAB", "BADC", "DCBA", or "" for the default.
func (o WordOrder) String() string {
	if int(o) < len(wordOrderNames) {
		return wordOrderNames[o]
	}
	return "order(" + strconv.Itoa(int(o)) + ")"
}

// ParseWordOrder returns the WordOrder named s ("ABCD" ...).
func ParseWordOrder(s string) (WordOrder, bool) {
	for i, n := range wordOrderNames {
		if i > 0 && n == s {
			return WordOrder(i), true
		}
	}
	return WordOrderDefault, false
}

// Scaling maps raw device values linearly to engineering units:
// RawLo -> EngLo and RawHi -> EngHi. The zero Scaling is the identity.
type Scaling struct {
	RawLo, RawHi, EngLo, EngHi float64
}

// IsIdentity reports whether the scaling leaves values unchanged.
func (s Scaling) IsIdentity() bool {
	return s.RawLo == s.RawHi || (s.RawLo == s.EngLo && s.RawHi == s.EngHi)
}

// ToEng converts a raw value to engineering units.
func (s Scaling) ToEng(raw float64) float64 {
	if s.IsIdentity() {
		return raw
	}
	return s.EngLo + (raw-s.RawLo)*(s.EngHi-s.EngLo)/(s.RawHi-s.RawLo)
}

// ToRaw converts an engineering value back to the raw device value (for writes).
func (s Scaling) ToRaw(eng float64) float64 {
	if s.IsIdentity() || s.EngHi == s.EngLo {
		return eng
	}
	return s.RawLo + (eng-s.EngLo)*(s.RawHi-s.RawLo)/(s.EngHi-s.EngLo)
}

// Priority is an alarm's priority. Larger is more urgent.
type Priority uint8

// The alarm priorities of ISA-18.2, from least to most urgent.
const (
	PriorityLow Priority = iota + 1
	PriorityMedium
	PriorityHigh
	PriorityCritical
)

var priorityNames = [...]string{"", "low", "medium", "high", "critical"}

// String returns "low", "medium", "high" or "critical".
func (p Priority) String() string {
	if int(p) < len(priorityNames) && p > 0 {
		return priorityNames[p]
	}
	return "priority(" + strconv.Itoa(int(p)) + ")"
}

// ParsePriority returns the Priority named s ("high").
func ParsePriority(s string) (Priority, bool) {
	for i, n := range priorityNames {
		if i > 0 && n == s {
			return Priority(i), true
		}
	}
	return 0, false
}

// Number is the operator-facing digit: 1 for critical .. 4 for low.
func (p Priority) Number() int { return 5 - int(p) }

// AlarmKind is the kind of condition an AlarmDef watches.
type AlarmKind uint8

// The alarm kinds.
const (
	AlarmHiHi         AlarmKind = iota + 1 // value >= Limit
	AlarmHi                                // value >= Limit
	AlarmLo                                // value <= Limit
	AlarmLoLo                              // value <= Limit
	AlarmDiscrete                          // value == State (or != State when NotEqual)
	AlarmDeviation                         // |value - Setpoint tag| >= Limit
	AlarmRateOfChange                      // |d value / dt| over Window >= Limit per second
	AlarmBadQuality                        // quality Bad for OnDelay
	AlarmComm                              // the device's connected system tag is false
	AlarmPredictive                        // forecast time to reach Limit < Horizon
)

var alarmKindNames = [...]string{"", "hihi", "hi", "lo", "lolo", "discrete", "deviation", "rate_of_change", "bad_quality", "comm", "predictive"}

// String returns the project-file name of the kind ("hihi").
func (k AlarmKind) String() string {
	if int(k) < len(alarmKindNames) && k > 0 {
		return alarmKindNames[k]
	}
	return "alarmkind(" + strconv.Itoa(int(k)) + ")"
}

// ParseAlarmKind returns the AlarmKind named s.
func ParseAlarmKind(s string) (AlarmKind, bool) {
	for i, n := range alarmKindNames {
		if i > 0 && n == s {
			return AlarmKind(i), true
		}
	}
	return 0, false
}

// AlarmDef is one alarm of a tag as the project file defines it: plain data
// for the alarm engine, which owns the behaviour. Its bytes are together at
// the top, as in Tag: 184 bytes (TestTagSize).
type AlarmDef struct {
	Kind       AlarmKind
	Priority   Priority
	Latching   bool    // stays active until reset after it clears
	NotEqual   bool    // discrete: alarm when value != State
	Name       string  // unique per tag; defaults to the kind name ("HiHi")
	Limit      float64 // limit kinds: the limit; deviation: allowed deviation; rate: units per second; predictive: the limit forecast
	Deadband   float64 // a limit alarm clears only when back past Limit by this much
	OnDelay    time.Duration
	OffDelay   time.Duration
	Message    string // operator text; may use {value} and {units}
	ShelveMax  time.Duration
	State      Value         // discrete: the alarm state value
	Setpoint   string        // deviation: the setpoint tag's name
	Window     time.Duration // rate of change and predictive: the fit window
	Horizon    time.Duration // predictive: alarm when the forecast crossing is nearer than this
	SuppressBy string        // suppressed by design while this bool tag is true
	Pos        Pos
}

// Device is the compiled definition of one device (a PLC, meter, server or the
// simulated plant) and how to reach it.
type Device struct {
	Name        string
	Driver      string // a name of the driver registry (datasource/drivers): "sim", "modbus", "opcua", "mqtt"
	Address     string // driver-specific URL: tcp://host:502, rtu:///dev/ttyUSB0, rtuovertcp://host:4001, opc.tcp://host:4840
	Timeout     time.Duration
	ScanClasses []ScanClass
	Backoff     Backoff
	Disabled    bool     // configured but not polled; its tags are Bad/OutOfService
	CommAlarm   Priority // priority of the device's communication alarm
	// Settings are the driver's own settings, the section of the device
	// named after its driver, as the driver's schema decodes them
	// (modbus.Settings, opcua.Settings, sim.Settings, sparkplug.Settings
	// for mqtt); nil when the device has none. Each driver package reads
	// its own with a SettingsOf function.
	Settings any
	Pos      Pos
}

// ScanClass is a named poll rate of a device; each tag belongs to one.
type ScanClass struct {
	Name string
	Rate time.Duration
	Pos  Pos
}

// Backoff bounds the capped, jittered exponential reconnect delay.
type Backoff struct {
	Min, Max time.Duration
}

// Delay returns the wait before reconnect attempt number attempt (0 for the
// first retry after a failure) within Min .. Max; rnd(n) draws uniformly
// from [0, n). The poll engine and the Sparkplug edge node both use it.
//
// It uses "equal jitter": the ceiling c = min(Max, Min*2^attempt) grows
// exponentially and the delay is drawn uniformly from [c/2, c], never below
// Min. Full jitter (uniform in [0, c]) spreads retries a little more but can
// retry a just-failed PLC almost immediately, again and again; on a serial
// line or a small PLC with few TCP connection slots that hammering is worse
// than the slightly stronger correlation of equal jitter. Half of every delay
// still being random is enough to de-synchronise many devices that lost a
// shared switch at the same instant.
func (b Backoff) Delay(attempt int, rnd func(n int64) int64) time.Duration {
	c := b.Min
	for i := 0; i < attempt && c < b.Max; i++ {
		c *= 2
	}
	if c > b.Max || c <= 0 { // c <= 0: overflow on absurd bounds
		c = b.Max
	}
	half := c / 2
	d := half
	if span := c - half; span > 0 {
		d += time.Duration(rnd(int64(span) + 1))
	}
	if d < b.Min {
		d = b.Min
	}
	return d
}
