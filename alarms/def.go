package alarms

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// DefaultShelveMax is how long an alarm may be shelved when its definition
// sets no maximum.
const DefaultShelveMax = 60 * time.Minute

// The default fit windows when a definition gives none.
const (
	DefaultRateWindow       = 10 * time.Second
	DefaultPredictiveWindow = time.Hour
)

// def is one AlarmDef compiled for evaluation: defaults applied, tag
// references resolved to TagIDs. Its bytes and 32-bit fields come first,
// packed: 144 bytes, not 176 (TestStateAndDefSizes).
type def struct {
	kind      datasource.AlarmKind
	priority  datasource.Priority
	latching  bool
	notEqual  bool  // discrete
	upper     bool  // predictive: the limit is crossed rising (else falling)
	setpoint  int32 // deviation: the setpoint TagID, else -1
	suppress  int32 // the suppress_by TagID, else -1
	tag       *datasource.Tag
	name      string
	limit     float64
	deadband  float64
	onDelay   time.Duration
	offDelay  time.Duration
	message   string // template; "" means the default
	shelveMax time.Duration
	state     datasource.Value // discrete
	window    time.Duration    // rate of change, predictive
	horizon   time.Duration    // predictive
}

// DefError is a problem with one alarm definition, found by New. Its message
// reads "file:line: tags[Tank1.Level].alarms[HiHi].limit: message".
type DefError struct {
	Pos   datasource.Pos
	Tag   string
	Alarm string // the alarm's name, or its index when it has none
	Field string // the project-file field, e.g. "deadband"
	Err   error
}

// Error implements error.
func (e *DefError) Error() string {
	msg := "tags[" + e.Tag + "].alarms[" + e.Alarm + "]"
	if e.Field != "" {
		msg += "." + e.Field
	}
	msg += ": " + e.Err.Error()
	if p := e.Pos.String(); p != "" {
		return p + ": " + msg
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *DefError) Unwrap() error { return e.Err }

var defaultNames = map[datasource.AlarmKind]string{
	datasource.AlarmHiHi:         "HiHi",
	datasource.AlarmHi:           "Hi",
	datasource.AlarmLo:           "Lo",
	datasource.AlarmLoLo:         "LoLo",
	datasource.AlarmDiscrete:     "Discrete",
	datasource.AlarmDeviation:    "Deviation",
	datasource.AlarmRateOfChange: "RateOfChange",
	datasource.AlarmBadQuality:   "BadQuality",
	datasource.AlarmComm:         "Comm",
	datasource.AlarmPredictive:   "Predictive",
}

// compile validates the alarm definitions of tags and compiles them, in
// tag order then definition order. It collects every problem it finds.
func compile(tags []*datasource.Tag) ([]def, error) {
	var errs []error
	byName := make(map[string]*datasource.Tag, len(tags))
	for i, t := range tags {
		if t == nil {
			errs = append(errs, fmt.Errorf("tag %d is nil", i))
			continue
		}
		if int(t.ID) != i {
			errs = append(errs, fmt.Errorf("tag %s has ID %d at index %d; tags must be given in TagID order", t.Name, t.ID, i))
		}
		byName[t.Name] = t
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	n := 0
	for _, t := range tags {
		n += len(t.Alarms)
	}
	defs := make([]def, 0, n) // held for the whole run: no room to spare
	for _, t := range tags {
		start := len(defs)
		names := make(map[string]bool, len(t.Alarms))
		for j := range t.Alarms {
			a := &t.Alarms[j]
			d, derrs := compileOne(t, j, a, byName)
			errs = append(errs, derrs...)
			if names[d.name] {
				errs = append(errs, defErr(t, j, a, "name", fmt.Errorf("duplicate alarm name %q on this tag", d.name)))
			}
			names[d.name] = true
			defs = append(defs, d)
		}
		errs = append(errs, checkLimitOrder(t, defs[start:])...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return defs, nil
}

func defErr(t *datasource.Tag, j int, a *datasource.AlarmDef, field string, err error) error {
	name := a.Name
	if name == "" {
		name = defaultNames[a.Kind]
	}
	if name == "" {
		name = strconv.Itoa(j)
	}
	pos := a.Pos
	if pos == (datasource.Pos{}) {
		pos = t.Pos
	}
	return &DefError{Pos: pos, Tag: t.Name, Alarm: name, Field: field, Err: err}
}

func isLimitKind(k datasource.AlarmKind) bool {
	return k >= datasource.AlarmHiHi && k <= datasource.AlarmLoLo
}

func compileOne(t *datasource.Tag, j int, a *datasource.AlarmDef, byName map[string]*datasource.Tag) (def, []error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, defErr(t, j, a, field, fmt.Errorf(format, args...)))
	}
	d := def{
		tag: t, name: a.Name, kind: a.Kind, limit: a.Limit, deadband: a.Deadband,
		onDelay: a.OnDelay, offDelay: a.OffDelay, priority: a.Priority, message: a.Message,
		latching: a.Latching, shelveMax: a.ShelveMax, state: a.State, notEqual: a.NotEqual,
		setpoint: -1, suppress: -1, window: a.Window, horizon: a.Horizon, upper: true,
	}
	if _, ok := defaultNames[a.Kind]; !ok {
		bad("kind", "unknown alarm kind %d", a.Kind)
		return d, errs
	}
	if d.name == "" {
		d.name = defaultNames[a.Kind]
	}
	switch {
	case d.priority == 0:
		d.priority = datasource.PriorityMedium
	case d.priority > datasource.PriorityCritical:
		bad("priority", "priority %d is not low, medium, high or critical", d.priority)
	}
	if a.Deadband < 0 || math.IsNaN(a.Deadband) || math.IsInf(a.Deadband, 0) {
		bad("deadband", "deadband %v must be a finite number >= 0", a.Deadband)
	}
	if a.OnDelay < 0 {
		bad("on_delay", "on_delay %v must be >= 0", a.OnDelay)
	}
	if a.OffDelay < 0 {
		bad("off_delay", "off_delay %v must be >= 0", a.OffDelay)
	}
	switch {
	case a.ShelveMax < 0:
		bad("shelve_max", "shelve_max %v must be >= 0", a.ShelveMax)
	case a.ShelveMax == 0:
		d.shelveMax = DefaultShelveMax
	}
	if a.Window < 0 {
		bad("window", "window %v must be >= 0", a.Window)
	}
	needsLimit := isLimitKind(a.Kind) || a.Kind == datasource.AlarmDeviation ||
		a.Kind == datasource.AlarmRateOfChange || a.Kind == datasource.AlarmPredictive
	if needsLimit {
		if math.IsNaN(a.Limit) || math.IsInf(a.Limit, 0) {
			bad("limit", "limit %v must be a finite number", a.Limit)
		}
		if !t.Type.Numeric() {
			bad("kind", "a %s alarm needs a numeric tag; %s is %s", a.Kind, t.Name, t.Type)
		}
	}
	switch a.Kind {
	case datasource.AlarmDiscrete:
		if a.State.IsNone() {
			bad("state", "a discrete alarm needs the alarm state value")
		}
	case datasource.AlarmDeviation:
		if a.Limit <= 0 {
			bad("limit", "the allowed deviation %v must be > 0", a.Limit)
		} else if a.Deadband >= a.Limit {
			bad("deadband", "deadband %v must be smaller than the allowed deviation %v, or the alarm never clears", a.Deadband, a.Limit)
		}
		switch sp, ok := byName[a.Setpoint]; {
		case a.Setpoint == "":
			bad("setpoint", "a deviation alarm needs a setpoint tag")
		case !ok:
			bad("setpoint", "setpoint tag %q does not exist", a.Setpoint)
		case sp == t:
			bad("setpoint", "the setpoint tag cannot be the alarm's own tag")
		case !sp.Type.Numeric():
			bad("setpoint", "setpoint tag %q is %s, not numeric", a.Setpoint, sp.Type)
		default:
			d.setpoint = int32(sp.ID)
		}
	case datasource.AlarmRateOfChange:
		if a.Limit <= 0 {
			bad("limit", "the rate limit %v (units per second) must be > 0", a.Limit)
		} else if a.Deadband >= a.Limit {
			bad("deadband", "deadband %v must be smaller than the rate limit %v, or the alarm never clears", a.Deadband, a.Limit)
		}
		if d.window == 0 {
			d.window = DefaultRateWindow
		}
	case datasource.AlarmPredictive:
		if a.Horizon <= 0 {
			bad("horizon", "a predictive alarm needs a horizon > 0, got %v", a.Horizon)
		}
		if d.window == 0 {
			d.window = DefaultPredictiveWindow
		}
		d.upper = predictsUpward(t, a.Limit)
	case datasource.AlarmComm:
		if t.Type != datasource.TypeBool {
			bad("kind", "a comm alarm belongs on a device's bool connected tag; %s is %s", t.Name, t.Type)
		}
	}
	if a.SuppressBy != "" {
		switch sb, ok := byName[a.SuppressBy]; {
		case !ok:
			bad("suppress_by", "suppress_by tag %q does not exist", a.SuppressBy)
		case sb.Type != datasource.TypeBool:
			bad("suppress_by", "suppress_by tag %q is %s, not bool", a.SuppressBy, sb.Type)
		default:
			d.suppress = int32(sb.ID)
		}
	}
	return d, errs
}

// predictsUpward decides whether a predictive limit is an upper limit (the
// forecast watches for a rising crossing) or a lower one. A limit equal to
// one of the tag's lo/lolo limits is lower, equal to hi/hihi upper; else a
// limit in the lower half of the tag's span is lower. Upper is the default
// because wear (vibration, temperature) rises.
func predictsUpward(t *datasource.Tag, limit float64) bool {
	for _, o := range t.Alarms {
		if o.Limit != limit {
			continue
		}
		switch o.Kind {
		case datasource.AlarmHi, datasource.AlarmHiHi:
			return true
		case datasource.AlarmLo, datasource.AlarmLoLo:
			return false
		}
	}
	if t.Span.Max > t.Span.Min {
		return limit >= (t.Span.Min+t.Span.Max)/2
	}
	return true
}

// checkLimitOrder reports inverted limits (hihi >= hi > lo >= lolo must
// hold) and overlapping bands: a high alarm that clears only below
// limit-deadband must not still be active where a low alarm activates.
func checkLimitOrder(t *datasource.Tag, defs []def) []error {
	var errs []error
	rank := map[datasource.AlarmKind]int{
		datasource.AlarmHiHi: 4, datasource.AlarmHi: 3, datasource.AlarmLo: 2, datasource.AlarmLoLo: 1,
	}
	for i := range defs {
		a := &defs[i]
		if !isLimitKind(a.kind) {
			continue
		}
		for j := range defs {
			b := &defs[j]
			if !isLimitKind(b.kind) || rank[a.kind] <= rank[b.kind] {
				continue
			}
			// a is the higher kind: its limit must not be below b's; between
			// the hi side and the lo side it must be strictly above.
			highLow := rank[a.kind] >= 3 && rank[b.kind] <= 2
			switch {
			case a.limit < b.limit || (highLow && a.limit == b.limit):
				errs = append(errs, defErr(t, i, &t.Alarms[i], "limit",
					fmt.Errorf("%s limit %v is not above %s limit %v (inverted limits; want hihi >= hi > lo >= lolo)", a.name, a.limit, b.name, b.limit)))
			case highLow && a.limit-a.deadband <= b.limit+b.deadband:
				errs = append(errs, defErr(t, i, &t.Alarms[i], "deadband",
					fmt.Errorf("%s band (clears below %v) overlaps %s band (clears above %v): both could be active at once", a.name, a.limit-a.deadband, b.name, b.limit+b.deadband)))
			}
		}
	}
	return errs
}
