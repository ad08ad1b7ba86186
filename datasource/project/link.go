package project

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
)

// link checks the references between tags, devices, scan classes and
// alarms, resolves scan rates, numbers the tags and appends the system tags.
func (p *parser) link(proj *Project, srcs []*tagSrc) {
	proj.devByName = make(map[string]*datasource.Device, len(proj.Devices))
	var devNames []string
	for _, d := range proj.Devices {
		if d.Name != "" {
			proj.devByName[d.Name] = d
			devNames = append(devNames, d.Name)
		}
	}
	sort.Strings(devNames)
	byName := make(map[string]*datasource.Tag, len(srcs)+len(proj.Devices))
	for _, ts := range srcs {
		if ts.tag.Name != "" {
			byName[ts.tag.Name] = ts.tag
		}
	}
	for _, ts := range srcs {
		p.linkDevice(proj, ts, devNames)
	}
	// System tags exist before the alarm references are checked: an alarm
	// may be suppressed while a device is disconnected.
	proj.Tags = make([]*datasource.Tag, 0, len(srcs)+len(proj.Devices))
	for _, ts := range srcs {
		proj.Tags = append(proj.Tags, ts.tag)
	}
	for _, d := range proj.Devices {
		st := systemTag(d)
		byName[st.Name] = st
		proj.Tags = append(proj.Tags, st)
	}
	for _, ts := range srcs {
		p.linkAlarms(ts, byName)
	}
	// Checks a driver's schema deferred until the tags are known (a sim
	// fault names a tag of its device).
	p.reader().RunAfterTags(func(name string) (*datasource.Tag, bool) {
		t, ok := byName[name]
		return t, ok
	})
	// byName, a map for the many lookups of linking, is garbage after the
	// load; the project keeps the smaller index for its few (Project.Tag).
	proj.tagIndex = datasource.NewTagIndex(proj.Tags)
	proj.tagsOfDev = make(map[string][]*datasource.Tag, len(proj.Devices))
	for i, t := range proj.Tags {
		t.ID = datasource.TagID(i)
		proj.tagsOfDev[t.Device] = append(proj.tagsOfDev[t.Device], t)
	}
}

// linkDevice checks a tag's device and scan class and resolves its rates.
func (p *parser) linkDevice(proj *Project, ts *tagSrc, devNames []string) {
	t := ts.tag
	if t.Device == "" {
		return
	}
	d, ok := proj.devByName[t.Device]
	if !ok {
		known := "none are defined"
		if len(devNames) > 0 {
			known = "defined: " + strings.Join(devNames, ", ")
		}
		p.errorf(ts.deviceNode, join(ts.path, "device"), "unknown device %q (%s)", t.Device, known)
		return
	}
	if ts.wordOrderNode != nil && d.Driver != "" && d.Driver != "modbus" {
		p.errorf(ts.wordOrderNode, join(ts.path, "word_order"), "only for tags of modbus devices, device %q is %s", d.Name, d.Driver)
	}
	if t.Writable && d.Driver == "modbus" {
		// An address the driver cannot parse is the driver's error (vigil
		// check reports it with these); a valid one in a read-only table
		// would only fail at the first write.
		if a, err := modbus.ParseAddress(t.Address); err == nil && !a.Table.Writable() {
			p.errorf(ts.writableNode, join(ts.path, "writable"), "%s is %s, which Modbus cannot write; only coils (0xxxx) and holding registers (4xxxx) are",
				t.Address, tableName(a.Table))
		}
	}
	if len(d.ScanClasses) == 0 {
		return // the device's scan_classes are in error already
	}
	sc := d.ScanClasses[0]
	if t.ScanClass != "" {
		found := false
		for _, c := range d.ScanClasses {
			if c.Name == t.ScanClass {
				sc, found = c, true
				break
			}
		}
		if !found {
			names := make([]string, len(d.ScanClasses))
			for i, c := range d.ScanClasses {
				names[i] = c.Name
			}
			p.errorf(ts.scanClassNode, join(ts.path, "scan_class"), "device %q has no scan class %q (it has: %s)", d.Name, t.ScanClass, strings.Join(names, ", "))
			return
		}
	}
	t.ScanClass = sc.Name
	t.ScanRate = sc.Rate
	t.StaleAfter = time.Duration(math.MaxInt64) // a scan rate of years: never stale rather than overflow
	if stale := proj.StaleFactor * float64(sc.Rate); stale < math.MaxInt64 {
		t.StaleAfter = time.Duration(stale)
	}
	if d.Driver == "mqtt" {
		// Sparkplug reports by exception: while the node lives its last
		// value is current, however old its source time. Staleness is the
		// acquiring station's to judge (it sends Uncertain/Stale), and the
		// link's health comes with NDEATH and the broker connection (Bad).
		t.StaleAfter = 0
	}
}

// tableName names a Modbus table with its Modicon range for messages.
func tableName(t modbus.Table) string {
	switch t {
	case modbus.DiscreteInputs:
		return "a discrete input (1xxxx)"
	case modbus.InputRegisters:
		return "an input register (3xxxx)"
	}
	return "a " + t.String()
}

// linkAlarms checks the setpoint and suppress_by tags of a tag's alarms.
func (p *parser) linkAlarms(ts *tagSrc, byName map[string]*datasource.Tag) {
	for _, src := range ts.alarms {
		a := &ts.tag.Alarms[src.idx]
		if a.Setpoint != "" && src.setpointNode != nil {
			field := join(src.path, "setpoint")
			sp, ok := byName[a.Setpoint]
			switch {
			case !ok:
				p.errorf(src.setpointNode, field, "unknown tag %q", a.Setpoint)
			case sp == ts.tag:
				p.errorf(src.setpointNode, field, "a tag cannot be its own setpoint")
			case !sp.Type.Numeric():
				p.errorf(src.setpointNode, field, "setpoint tag %q is %s, it must be numeric", a.Setpoint, sp.Type)
			}
		}
		if src.suppressNode != nil && a.SuppressBy == "" {
			p.errorf(src.suppressNode, join(src.path, "suppress_by"), "must name a bool tag")
		}
		if a.SuppressBy != "" {
			field := join(src.path, "suppress_by")
			sb, ok := byName[a.SuppressBy]
			switch {
			case !ok:
				p.errorf(src.suppressNode, field, "unknown tag %q", a.SuppressBy)
			case sb == ts.tag:
				p.errorf(src.suppressNode, field, "a tag cannot suppress its own alarms")
			case sb.Type != datasource.TypeBool:
				p.errorf(src.suppressNode, field, "tag %q is %s, it must be bool", a.SuppressBy, sb.Type)
			}
		}
	}
}

// systemTag makes the connected tag of device d with its comm alarm.
func systemTag(d *datasource.Device) *datasource.Tag {
	name := datasource.ConnectedTagName(d.Name)
	return &datasource.Tag{
		Name:        name,
		Description: "device " + d.Name + " connected",
		Device:      d.Name,
		Type:        datasource.TypeBool,
		Decimals:    DefaultDecimals,
		Span:        datasource.Range{Min: 0, Max: 1},
		States:      map[int64]string{0: "DISCONNECTED", 1: "CONNECTED"},
		History:     datasource.HistorySettings{Enabled: true},
		System:      true,
		Pos:         d.Pos,
		Alarms: []datasource.AlarmDef{{
			Name:      "Comm",
			Kind:      datasource.AlarmComm,
			Priority:  d.CommAlarm,
			Message:   "device " + d.Name + " communication failure",
			ShelveMax: DefaultShelveMax,
			Pos:       d.Pos,
		}},
	}
}
