package drivers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/drivers"
	"github.com/vigil-hmi/vigil/datasource/modbus"
	"github.com/vigil-hmi/vigil/datasource/mqtt"
	"github.com/vigil-hmi/vigil/datasource/opcua"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/datasource/sim"
)

// schemaCase is a device of one driver as a project file gives it, and what
// its schema must make of it.
type schemaCase struct {
	device string // the fields after name and driver, YAML flow style
	check  func(d *datasource.Device) error
}

// schemaCases has one case per registered driver: a driver added to the
// registry without one fails TestEveryDriverSchemaDecodesItsSection.
var schemaCases = map[string]schemaCase{
	"sim": {"sim: {seed: 7}", func(d *datasource.Device) error {
		if s := sim.SettingsOf(d); s.Seed != 7 || s.Speed != sim.DefaultSpeed {
			return fmt.Errorf("sim settings %+v", s)
		}
		return nil
	}},
	"modbus": {"address: tcp://127.0.0.1:502, modbus: {unit: 3}", func(d *datasource.Device) error {
		if s := modbus.SettingsOf(d); s.Unit != 3 || s.MaxGap != modbus.DefaultMaxGapTCP {
			return fmt.Errorf("modbus settings %+v", s)
		}
		return nil
	}},
	"opcua": {"address: opc.tcp://127.0.0.1:4840, opcua: {poll: true}", func(d *datasource.Device) error {
		if s := opcua.SettingsOf(d); !s.Poll || s.QueueSize != opcua.DefaultQueueSize || s.SecurityPolicy != "None" {
			return fmt.Errorf("opcua settings %+v", s)
		}
		return nil
	}},
	"mqtt": {"address: tcp://127.0.0.1:1883, mqtt: {group: plant, node: station1}", func(d *datasource.Device) error {
		s, ok := mqtt.SectionOf(d)
		if !ok || s.Group != "plant" || s.Node != "station1" || d.Timeout != mqtt.DefaultTimeout {
			return fmt.Errorf("mqtt section %+v (found %v), timeout %s", s, ok, d.Timeout)
		}
		return nil
	}},
}

// The project loader reads each driver's section through the registry: a
// device of every registered driver loads with its driver's settings, and
// the same section under a device of another driver is refused.
func TestEveryDriverSchemaDecodesItsSection(t *testing.T) {
	for _, name := range drivers.Names() {
		t.Run(name, func(t *testing.T) {
			c, ok := schemaCases[name]
			if !ok {
				t.Fatalf("driver %s has no case in schemaCases: add one", name)
			}
			src := "project: P\ndevices:\n  - {name: d, driver: " + name + ", " + c.device + "}\n"
			p, err := project.Parse("p.yaml", []byte(src))
			if err != nil {
				t.Fatalf("a device of driver %s does not load:\n%v", name, err)
			}
			d, _ := p.Device("d")
			if err := c.check(d); err != nil {
				t.Error(err)
			}
			other := "sim"
			if name == "sim" {
				other = "modbus"
			}
			section, _, _ := strings.Cut(c.device[strings.Index(c.device, name+":"):], "}")
			src = "project: P\ndevices:\n  - {name: d, driver: " + other + ", " + schemaCases[other].device + ", " + section + "}}\n"
			_, err = project.Parse("p.yaml", []byte(src))
			want := "p.yaml:3: devices[d]." + name + ": only with driver " + name + " (this device's driver is " + other + ")"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("the %s section on a %s device: error %v, want %q", name, other, err, want)
			}
		})
	}
}
