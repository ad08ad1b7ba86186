package project

import (
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/drivers"
)

// Device defaults (docs/project-file.md).
const (
	DefaultTimeout    = time.Second
	DefaultBackoffMin = 500 * time.Millisecond
	DefaultBackoffMax = 30 * time.Second
	DefaultScanRate   = time.Second
	DefaultScanClass  = "default"
	DefaultCommAlarm  = datasource.PriorityHigh
)

// devices reads the devices list.
func (p *parser) devices(n *yaml.Node) []*datasource.Device {
	var out []*datasource.Device
	seen := make(map[string]int)
	hosts := make(map[string]string)
	for i, item := range p.sequence(n, "devices") {
		path := itemPath("devices", i, item, deviceNameRE)
		d := p.device(item, path)
		if d == nil {
			continue
		}
		if d.Name != "" {
			if line, dup := seen[d.Name]; dup {
				p.errorf(item, join(path, "name"), "device %q is defined twice (first at line %d)", d.Name, line)
				continue
			}
			seen[d.Name] = d.Pos.Line
		}
		p.primaryHost(item, path, d, hosts)
		out = append(out, d)
	}
	return out
}

// primaryHost checks that no two mqtt devices claim the same primary host
// id (hosts: the device of each id so far). Each mqtt device is its own
// broker connection, so its own host application: the will of one would
// tell the nodes that the host is offline while the other still listens.
func (p *parser) primaryHost(item *yaml.Node, path string, d *datasource.Device, hosts map[string]string) {
	s, ok := d.Settings.(MQTTSettings)
	if !ok || s.PrimaryHost == "" {
		return
	}
	if other, dup := hosts[s.PrimaryHost]; dup {
		p.errorf(item, join(join(path, "mqtt"), "primary_host"), "%q is already the primary host id of device %s: each mqtt device is its own host application and needs its own id", s.PrimaryHost, other)
		return
	}
	hosts[s.PrimaryHost] = d.Name
}

// device reads one device.
func (p *parser) device(n *yaml.Node, path string) *datasource.Device {
	// A device may have a section of settings for each driver, named after
	// it (driverSections allows only its own driver's, and the driver's
	// schema in the registry reads it).
	names := drivers.Names()
	m := p.mapping(n, path, append([]string{"name", "driver", "address", "timeout", "backoff", "disabled",
		"comm_alarm", "scan_classes"}, names...)...)
	if m == nil {
		return nil
	}
	d := &datasource.Device{
		Timeout:   DefaultTimeout,
		Backoff:   datasource.Backoff{Min: DefaultBackoffMin, Max: DefaultBackoffMax},
		CommAlarm: DefaultCommAlarm,
		Pos:       p.pos(m.node),
	}
	if v := m.get("name"); v != nil {
		d.Name, _ = p.name(v, m.field("name"), deviceNameRE, "letters, digits, _ and -")
	} else {
		p.errorf(m.node, m.field("name"), "required")
	}
	if v := m.get("driver"); v != nil {
		d.Driver, _ = p.enum(v, m.field("driver"), names...)
	} else {
		p.errorf(m.node, m.field("driver"), "required: one of %s", strings.Join(names, ", "))
	}
	if v := m.get("address"); v != nil {
		d.Address, _ = p.str(v, m.field("address"))
	}
	schema, known := drivers.SchemaOf(d.Driver)
	if known {
		schema.Address(p.reader(), &m.Mapping, d)
	}
	if v := m.get("timeout"); v != nil {
		if t, ok := p.duration(v, m.field("timeout"), true); ok {
			d.Timeout = t
		}
	}
	if v := m.get("backoff"); v != nil {
		p.backoff(v, m.field("backoff"), &d.Backoff)
	}
	if v := m.get("disabled"); v != nil {
		d.Disabled, _ = p.boolean(v, m.field("disabled"))
	}
	if v := m.get("comm_alarm"); v != nil {
		if pr, ok := p.priority(v, m.field("comm_alarm")); ok {
			d.CommAlarm = pr
		}
	}
	d.ScanClasses = p.scanClasses(m, d)
	p.driverSections(m, d, names)
	if known {
		schema.Settings(p.reader(), &m.Mapping, d)
	}
	return d
}

// backoff reads {min, max}.
func (p *parser) backoff(n *yaml.Node, path string, b *datasource.Backoff) {
	m := p.mapping(n, path, "min", "max")
	if m == nil {
		return
	}
	if v := m.get("min"); v != nil {
		if d, ok := p.duration(v, m.field("min"), true); ok {
			b.Min = d
		}
	}
	if v := m.get("max"); v != nil {
		if d, ok := p.duration(v, m.field("max"), true); ok {
			b.Max = d
		}
	}
	if b.Min > b.Max {
		p.errorf(m.node, path, "min %s is above max %s", b.Min, b.Max)
	}
}

// priority reads low | medium | high | critical.
func (p *parser) priority(n *yaml.Node, field string) (datasource.Priority, bool) {
	s, ok := p.enum(n, field, "low", "medium", "high", "critical")
	if !ok {
		return 0, false
	}
	pr, _ := datasource.ParsePriority(s)
	return pr, true
}

// scanClasses reads the device's scan classes, or gives it the default one.
func (p *parser) scanClasses(m *mapping, d *datasource.Device) []datasource.ScanClass {
	n := m.get("scan_classes")
	if n == nil {
		return []datasource.ScanClass{{Name: DefaultScanClass, Rate: DefaultScanRate, Pos: d.Pos}}
	}
	field := m.field("scan_classes")
	items := p.sequence(n, field)
	if len(items) == 0 {
		p.errorf(n, field, "needs at least one scan class (leave scan_classes out for one of 1s)")
		return nil
	}
	var out []datasource.ScanClass
	seen := make(map[string]int)
	for i, item := range items {
		path := index(field, i)
		cm := p.mapping(item, path, "name", "rate")
		if cm == nil {
			continue
		}
		sc := datasource.ScanClass{Pos: p.pos(cm.node)}
		if v := cm.get("name"); v != nil {
			sc.Name, _ = p.name(v, cm.field("name"), deviceNameRE, "letters, digits, _ and -")
		} else {
			p.errorf(cm.node, cm.field("name"), "required")
		}
		if v := cm.get("rate"); v != nil {
			sc.Rate, _ = p.duration(v, cm.field("rate"), true)
		} else {
			p.errorf(cm.node, cm.field("rate"), "required: a duration such as 250ms or 5s")
		}
		if sc.Name != "" {
			if line, dup := seen[sc.Name]; dup {
				p.errorf(cm.get("name"), cm.field("name"), "scan class %q is defined twice on this device (first at line %d)", sc.Name, line)
				continue
			}
			seen[sc.Name] = sc.Pos.Line
		}
		out = append(out, sc)
	}
	return out
}

// driverSections checks the devices' driver sections: a device may have
// only the one named after its driver, which the driver's schema reads
// (datasource/drivers).
func (p *parser) driverSections(m *mapping, d *datasource.Device, names []string) {
	for _, s := range names {
		if m.has(s) && d.Driver != "" && d.Driver != s {
			p.errorf(m.key(s), m.field(s), "only with driver %s (this device's driver is %s)", s, d.Driver)
		}
	}
}
