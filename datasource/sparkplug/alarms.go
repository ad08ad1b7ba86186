package sparkplug

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// Alarms across stations: the acquiring station owns alarm state and
// publishes every alarm as a node metric AlarmPrefix+"TAG/NAME" (String, the
// ISA state) with its flags as properties; a viewing station's acknowledge,
// shelve, unshelve or reset goes back as an NCMD on the same metric, whose
// value names the action, and is answered on AlarmResultMetric.
const (
	AlarmPrefix       = "Alarms/"
	AlarmResultMetric = "Vigil/Alarm Result"

	// Properties of an alarm metric.
	PropActive       = "active"
	PropAcked        = "acked"
	PropShelved      = "shelved"
	PropSuppressed   = "suppressed"
	PropOutOfService = "outOfService"
	PropPriority     = "priority"
	PropSince        = "since"
	// PropDuration is the shelving time of a shelve command, in ms.
	PropDuration = "duration"
)

// AlarmPoll is how often the node looks for alarm changes.
const AlarmPoll = 250 * time.Millisecond

// The alarm actions a viewing station may send.
const (
	AlarmAck      = "ack"
	AlarmShelve   = "shelve"
	AlarmUnshelve = "unshelve"
	AlarmReset    = "reset"
)

// AlarmState is one alarm as the acquiring station publishes it.
type AlarmState struct {
	Tag, Name    string
	State        string // the ISA-18.2 state's name
	Active       bool
	Acked        bool
	Shelved      bool
	Suppressed   bool
	OutOfService bool
	Priority     datasource.Priority
	Message      string
	Since        time.Time
}

// AlarmAction is an operator's action on an alarm of another station.
type AlarmAction struct {
	Tag, Name string
	Action    string        // AlarmAck, AlarmShelve, AlarmUnshelve or AlarmReset
	User      string        // the user logged in at the viewing station
	Reason    string        // comment or shelving reason
	Duration  time.Duration // AlarmShelve: for how long
	Request   string        // the viewer's request id
}

// AlarmBoard is the acquiring station's alarm engine as the edge node sees
// it: a version that changes with any alarm, a snapshot, and the actions of
// other stations, which it authorizes and journals as its own operators'
// actions. The node compares the version every AlarmPoll rather than take a
// change channel, which the station's own screens may be reading.
type AlarmBoard interface {
	Version() uint64
	States() []AlarmState
	Act(ctx context.Context, a AlarmAction) error
}

// AlarmMetric is the node metric of one alarm.
func AlarmMetric(a AlarmState, at time.Time) Metric {
	m := Metric{Name: AlarmPrefix + a.Tag + "/" + a.Name, Type: TypeString, Value: datasource.String(a.State), Time: at}
	m.SetProperty(PropActive, TypeBoolean, datasource.Bool(a.Active))
	m.SetProperty(PropAcked, TypeBoolean, datasource.Bool(a.Acked))
	m.SetProperty(PropShelved, TypeBoolean, datasource.Bool(a.Shelved))
	m.SetProperty(PropSuppressed, TypeBoolean, datasource.Bool(a.Suppressed))
	m.SetProperty(PropOutOfService, TypeBoolean, datasource.Bool(a.OutOfService))
	m.SetProperty(PropPriority, TypeInt32, datasource.Int(int64(a.Priority)))
	m.SetProperty(PropMessage, TypeString, datasource.String(a.Message))
	if !a.Since.IsZero() {
		m.SetProperty(PropSince, TypeDateTime, datasource.Int(a.Since.UnixMilli()))
	}
	return m
}

// AlarmOf reads an alarm metric back; ok is false for other metrics.
func AlarmOf(m *Metric) (a AlarmState, ok bool) {
	rest, ok := strings.CutPrefix(m.Name, AlarmPrefix)
	if !ok {
		return a, false
	}
	a.Tag, a.Name, ok = strings.Cut(rest, "/")
	if !ok || a.Tag == "" || a.Name == "" {
		return AlarmState{}, false
	}
	a.State = m.Value.AsString()
	flag := func(k string) bool {
		v, _ := m.Property(k)
		return v.Kind() == datasource.KindBool && v.AsBool()
	}
	a.Active, a.Acked, a.Shelved = flag(PropActive), flag(PropAcked), flag(PropShelved)
	a.Suppressed, a.OutOfService = flag(PropSuppressed), flag(PropOutOfService)
	if v, ok := m.Property(PropPriority); ok {
		if p, ok := v.AsInt(); ok && p >= 0 && p <= int64(datasource.PriorityCritical) {
			a.Priority = datasource.Priority(p)
		}
	}
	a.Message = m.propString(PropMessage)
	if v, ok := m.Property(PropSince); ok {
		if ms, ok := v.AsInt(); ok {
			a.Since = time.UnixMilli(ms)
		}
	}
	return a, true
}

// AlarmCommand is the NCMD metric of an alarm action.
func AlarmCommand(a AlarmAction) Metric {
	m := Metric{Name: AlarmPrefix + a.Tag + "/" + a.Name, Type: TypeString, Value: datasource.String(a.Action)}
	m.SetProperty(PropRequest, TypeString, datasource.String(a.Request))
	m.SetProperty(PropUser, TypeString, datasource.String(a.User))
	m.SetProperty(PropReason, TypeString, datasource.String(a.Reason))
	if a.Duration > 0 {
		m.SetProperty(PropDuration, TypeInt64, datasource.Int(a.Duration.Milliseconds()))
	}
	return m
}

// alarmActionOf reads an alarm command metric.
func alarmActionOf(m *Metric) (AlarmAction, error) {
	st, ok := AlarmOf(&Metric{Name: m.Name})
	if !ok {
		return AlarmAction{}, fmt.Errorf("%q is not an alarm (want %sTAG/NAME)", m.Name, AlarmPrefix)
	}
	a := AlarmAction{Tag: st.Tag, Name: st.Name, Action: m.Value.AsString(),
		User: m.propString(PropUser), Reason: m.propString(PropReason), Request: m.propString(PropRequest)}
	if v, ok := m.Property(PropDuration); ok {
		if ms, ok := v.AsInt(); ok && ms > 0 {
			a.Duration = time.Duration(ms) * time.Millisecond
		}
	}
	switch a.Action {
	case AlarmAck, AlarmShelve, AlarmUnshelve, AlarmReset:
	default:
		return a, fmt.Errorf("alarm %s/%s: unknown action %q (want ack, shelve, unshelve or reset)", a.Tag, a.Name, a.Action)
	}
	if a.Action == AlarmShelve && a.Duration <= 0 {
		return a, fmt.Errorf("alarm %s/%s: shelve needs a duration", a.Tag, a.Name)
	}
	return a, nil
}
