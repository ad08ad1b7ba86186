package project

import (
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

// Alarm defaults (docs/project-file.md).
const (
	DefaultAlarmPriority    = datasource.PriorityMedium
	DefaultShelveMax        = 60 * time.Minute
	DefaultRateWindow       = 10 * time.Second
	DefaultPredictiveWindow = time.Hour
)

// alarmNames are the default alarm names by kind.
var alarmNames = map[datasource.AlarmKind]string{
	datasource.AlarmHiHi:         "HiHi",
	datasource.AlarmHi:           "Hi",
	datasource.AlarmLo:           "Lo",
	datasource.AlarmLoLo:         "LoLo",
	datasource.AlarmDiscrete:     "Discrete",
	datasource.AlarmDeviation:    "Deviation",
	datasource.AlarmRateOfChange: "RateOfChange",
	datasource.AlarmBadQuality:   "BadQuality",
	datasource.AlarmPredictive:   "Predictive",
}

// alarmKinds are the kinds a project file may name, in documentation order;
// comm alarms are made by the compiler, one per device.
var alarmKinds = []string{"hihi", "hi", "lo", "lolo", "discrete", "deviation", "rate_of_change", "bad_quality", "predictive"}

// alarmFields says which kinds a kind-specific field belongs to; the fields
// not listed are allowed on every kind.
var alarmFields = map[string][]datasource.AlarmKind{
	"limit":     {datasource.AlarmHiHi, datasource.AlarmHi, datasource.AlarmLo, datasource.AlarmLoLo, datasource.AlarmDeviation, datasource.AlarmRateOfChange, datasource.AlarmPredictive},
	"deadband":  {datasource.AlarmHiHi, datasource.AlarmHi, datasource.AlarmLo, datasource.AlarmLoLo, datasource.AlarmDeviation, datasource.AlarmRateOfChange, datasource.AlarmPredictive},
	"state":     {datasource.AlarmDiscrete},
	"not_equal": {datasource.AlarmDiscrete},
	"setpoint":  {datasource.AlarmDeviation},
	"window":    {datasource.AlarmRateOfChange, datasource.AlarmPredictive},
	"horizon":   {datasource.AlarmPredictive},
}

// alarmSrc is an alarm being compiled with the nodes its cross-checks need.
type alarmSrc struct {
	idx          int // in the tag's Alarms
	path         string
	limitNode    *yaml.Node
	setpointNode *yaml.Node
	suppressNode *yaml.Node
}

// alarms reads a tag's alarms into t.Alarms.
func (p *parser) alarms(n *yaml.Node, field string, t *datasource.Tag, typeOK bool) []alarmSrc {
	var srcs []alarmSrc
	seen := make(map[string]int)
	for i, item := range p.sequence(n, field) {
		path := index(field, i)
		a, src, ok := p.alarm(item, path, t, typeOK)
		if !ok {
			continue
		}
		if a.Name != "" {
			if line, dup := seen[a.Name]; dup {
				p.errorf(item, join(path, "name"), "alarm %q is defined twice on this tag (first at line %d); give one a name", a.Name, line)
				continue
			}
			seen[a.Name] = a.Pos.Line
		}
		src.idx = len(t.Alarms)
		t.Alarms = append(t.Alarms, a)
		srcs = append(srcs, src)
	}
	p.limitOrder(t, srcs)
	return srcs
}

// alarm reads one alarm; ok is false when it is not a mapping or has no kind.
func (p *parser) alarm(n *yaml.Node, path string, t *datasource.Tag, typeOK bool) (datasource.AlarmDef, alarmSrc, bool) {
	src := alarmSrc{path: path}
	m := p.mapping(n, path, "kind", "name", "limit", "deadband", "on_delay", "off_delay", "priority", "message",
		"latching", "shelve_max", "state", "not_equal", "setpoint", "window", "horizon", "suppress_by")
	if m == nil {
		return datasource.AlarmDef{}, src, false
	}
	a := datasource.AlarmDef{Priority: DefaultAlarmPriority, ShelveMax: DefaultShelveMax, Pos: p.pos(m.node)}
	kv := m.get("kind")
	if kv == nil {
		p.errorf(m.node, m.field("kind"), "required: one of %s", strings.Join(alarmKinds, ", "))
		return a, src, false
	}
	k, ok := p.enum(kv, m.field("kind"), alarmKinds...)
	if !ok {
		return a, src, false
	}
	a.Kind, _ = datasource.ParseAlarmKind(k)
	for _, f := range []string{"limit", "deadband", "state", "not_equal", "setpoint", "window", "horizon"} {
		if m.has(f) && !hasKind(alarmFields[f], a.Kind) {
			p.errorf(m.key(f), m.field(f), "not for kind %s", a.Kind)
		}
	}
	needsNumber := a.Kind != datasource.AlarmDiscrete && a.Kind != datasource.AlarmBadQuality
	if needsNumber && typeOK && !t.Type.Numeric() {
		p.errorf(kv, m.field("kind"), "%s alarms need a numeric tag, this tag is %s", a.Kind, t.Type)
	}
	a.Name = alarmNames[a.Kind]
	if v := m.get("name"); v != nil {
		a.Name, _ = p.name(v, m.field("name"), alarmNameRE, "letters, digits, _, ., - and single spaces")
	}
	p.alarmLimit(m, &a, &src)
	if v := m.get("deadband"); v != nil && hasKind(alarmFields["deadband"], a.Kind) {
		a.Deadband, _ = p.nonNegative(v, m.field("deadband"))
	}
	if v := m.get("on_delay"); v != nil {
		a.OnDelay, _ = p.duration(v, m.field("on_delay"), false)
	}
	if v := m.get("off_delay"); v != nil {
		a.OffDelay, _ = p.duration(v, m.field("off_delay"), false)
	}
	if v := m.get("priority"); v != nil {
		if pr, ok := p.priority(v, m.field("priority")); ok {
			a.Priority = pr
		}
	}
	a.Message = t.Name + " " + a.Name
	if v := m.get("message"); v != nil {
		if s, ok := p.str(v, m.field("message")); ok && s != "" {
			a.Message = s
		}
	}
	if v := m.get("latching"); v != nil {
		a.Latching, _ = p.boolean(v, m.field("latching"))
	}
	if v := m.get("shelve_max"); v != nil {
		if d, ok := p.duration(v, m.field("shelve_max"), true); ok {
			a.ShelveMax = d
		}
	}
	if a.Kind == datasource.AlarmDiscrete {
		p.alarmState(m, &a, t, typeOK)
		if v := m.get("not_equal"); v != nil {
			a.NotEqual, _ = p.boolean(v, m.field("not_equal"))
		}
	}
	p.alarmTiming(m, &a)
	if v := m.get("setpoint"); v != nil && a.Kind == datasource.AlarmDeviation {
		src.setpointNode = v
		a.Setpoint, _ = p.str(v, m.field("setpoint"))
	}
	if a.Kind == datasource.AlarmDeviation && a.Setpoint == "" {
		p.errorf(orNode(m.get("setpoint"), m.node), m.field("setpoint"), "required for kind deviation: the setpoint tag")
	}
	if v := m.get("suppress_by"); v != nil {
		src.suppressNode = v
		a.SuppressBy, _ = p.str(v, m.field("suppress_by"))
	}
	return a, src, true
}

// alarmLimit reads limit: required for the kinds that have one; deviation
// and rate-of-change limits are magnitudes and must be > 0.
func (p *parser) alarmLimit(m *mapping, a *datasource.AlarmDef, src *alarmSrc) {
	if !hasKind(alarmFields["limit"], a.Kind) {
		return
	}
	v := m.get("limit")
	if v == nil {
		p.errorf(m.node, m.field("limit"), "required for kind %s", a.Kind)
		return
	}
	l, ok := p.number(v, m.field("limit"))
	if !ok {
		return
	}
	if (a.Kind == datasource.AlarmDeviation || a.Kind == datasource.AlarmRateOfChange) && l <= 0 {
		p.errorf(v, m.field("limit"), "must be > 0 for kind %s (it is a magnitude), got %g", a.Kind, l)
		return
	}
	a.Limit = l
	src.limitNode = v
}

// alarmTiming reads window and horizon with their per-kind defaults.
func (p *parser) alarmTiming(m *mapping, a *datasource.AlarmDef) {
	switch a.Kind {
	case datasource.AlarmRateOfChange:
		a.Window = DefaultRateWindow
	case datasource.AlarmPredictive:
		a.Window = DefaultPredictiveWindow
	default:
		return
	}
	if v := m.get("window"); v != nil {
		if d, ok := p.duration(v, m.field("window"), true); ok {
			a.Window = d
		}
	}
	if a.Kind != datasource.AlarmPredictive {
		return
	}
	if v := m.get("horizon"); v != nil {
		a.Horizon, _ = p.duration(v, m.field("horizon"), true)
	} else {
		p.errorf(m.node, m.field("horizon"), "required for kind predictive: alarm when the limit is forecast within this time")
	}
}

// alarmState reads a discrete alarm's state: a bool, number or string that
// fits the tag's type, or one of the tag's state texts (taken as its
// number). It defaults to true on bool tags.
func (p *parser) alarmState(m *mapping, a *datasource.AlarmDef, t *datasource.Tag, typeOK bool) {
	v := m.get("state")
	field := m.field("state")
	if v == nil {
		if !typeOK || t.Type == datasource.TypeBool {
			a.State = datasource.Bool(true)
			return
		}
		p.errorf(m.node, field, "required for a discrete alarm on a tag of type %s: the value that raises it", t.Type)
		return
	}
	r, ok := p.scalar(v, field, "a value")
	if !ok {
		return
	}
	if r.ShortTag() == "!!str" && t.Type != datasource.TypeString {
		for k, text := range t.States {
			if text == r.Value {
				if t.Type == datasource.TypeBool {
					a.State = datasource.Bool(k == 1)
				} else {
					a.State = datasource.Int(k)
				}
				return
			}
		}
	}
	want := ""
	switch {
	case t.Type == datasource.TypeString:
		a.State = datasource.String(r.Value)
		return
	case t.Type == datasource.TypeBool:
		var b bool
		if r.ShortTag() == "!!bool" && r.Decode(&b) == nil {
			a.State = datasource.Bool(b)
			return
		}
		want = "true or false"
	default:
		var i int64
		var f float64
		switch {
		case r.ShortTag() == "!!int" && r.Decode(&i) == nil:
			a.State = datasource.Int(i)
			return
		case r.ShortTag() == "!!float" && r.Decode(&f) == nil && !math.IsNaN(f) && !math.IsInf(f, 0):
			a.State = datasource.Float(f)
			return
		}
		want = "a number"
	}
	if len(t.States) > 0 {
		want += " or one of the tag's state texts"
	}
	p.errorf(v, field, "must be %s for a tag of type %s, got %s", want, t.Type, describe(r))
}

// limitOrder checks hihi >= hi > lo >= lolo among a tag's limit alarms,
// reporting each conflict at the later of the two alarms.
func (p *parser) limitOrder(t *datasource.Tag, srcs []alarmSrc) {
	rank := map[datasource.AlarmKind]int{datasource.AlarmLoLo: 0, datasource.AlarmLo: 1, datasource.AlarmHi: 2, datasource.AlarmHiHi: 3}
	for j := range srcs {
		for i := 0; i < j; i++ {
			a, b := t.Alarms[srcs[i].idx], t.Alarms[srcs[j].idx]
			ra, okA := rank[a.Kind]
			rb, okB := rank[b.Kind]
			if !okA || !okB || ra == rb || srcs[i].limitNode == nil || srcs[j].limitNode == nil {
				continue
			}
			hi, lo := a, b
			if ra < rb {
				hi, lo = b, a
			}
			strict := rank[hi.Kind] >= 2 && rank[lo.Kind] <= 1
			if hi.Limit > lo.Limit || (!strict && hi.Limit == lo.Limit) {
				continue
			}
			rel := "above"
			if b.Kind == hi.Kind {
				rel = "below"
			}
			if hi.Limit == lo.Limit {
				rel = "equal to"
			}
			p.errorf(srcs[j].limitNode, join(srcs[j].path, "limit"), "%s limit %g is %s the %s limit %g of %s; the order must be hihi >= hi > lo >= lolo",
				b.Kind, b.Limit, rel, a.Kind, a.Limit, tailIndex(srcs[i].path))
		}
	}
}

// tailIndex returns the last path element, "alarms[0]" of "tags[A].alarms[0]".
func tailIndex(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '.' {
			return path[i+1:]
		}
	}
	return path
}

// hasKind reports whether kinds holds k.
func hasKind(kinds []datasource.AlarmKind, k datasource.AlarmKind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}
