// Package drivers is the one list of the drivers a project may name: each
// driver's name, the schema of its settings (the section of a device named
// after it: how its address and section are read, checked and defaulted)
// and its factory. The project loader asks it for the names it accepts and
// to decode each device's driver settings; the runtime (vigil run, check,
// sim, the GUI) takes its factories. Adding a driver is one new package
// plus one entry in list (docs/engine.md, "Adding a driver").
//
// The registry is a value built by a function (All), not a map that each
// driver fills from init(): a package-level map written at init time is
// mutable state shared by every engine and test in the process (see
// internal/statecheck), its contents depend on which packages happen to be
// linked in, and its factories could not take the runtime's clock and
// logger. docs/architecture.md says why in full.
package drivers

import (
	"log/slog"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
	"github.com/vigil-hmi/vigil/datasource/mqtt"
	"github.com/vigil-hmi/vigil/datasource/opcua"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/project/yamlfield"
	"github.com/vigil-hmi/vigil/datasource/sim"
)

// Options are what the factories of one runtime share.
type Options struct {
	Clock  clockwork.Clock // nil: the real clock
	Logger *slog.Logger    // nil: discard
	// MQTT has the mqtt devices' broker settings and the Stations that
	// collect the viewed stations' alarms; its Clock and Logger are set
	// from the fields above. The zero value gives mqtt drivers that check
	// addresses but cannot connect (vigil check).
	MQTT mqtt.Options
}

// Driver is one entry of the registry.
type Driver struct {
	// Name is what a device's driver: field says, and also the key of the
	// device's section of settings for this driver (modbus:, opcua:, ...).
	Name string
	// Factory makes the driver of each device of this driver.
	Factory poll.Factory
}

// Schema is how the project loader reads the settings of a device of one
// driver. Both functions get the file's field reader, the device's mapping
// (its keys already checked: the common fields and one section per driver
// name) and the device as read so far (Name, Driver, Address, Timeout and
// the other common fields, with their defaults). They report problems
// through r, in the form "file:line: devices[NAME].field: message".
type Schema struct {
	// Address checks the device's address: the scheme only, the driver
	// checks the rest when it connects.
	Address func(r *yamlfield.Reader, dev *yamlfield.Mapping, d *datasource.Device)
	// Settings reads the device's section named after the driver (absent:
	// the defaults, or an error when the driver needs one) into
	// d.Settings, and sets any common field whose default the driver
	// changes (mqtt: Timeout).
	Settings func(r *yamlfield.Reader, dev *yamlfield.Mapping, d *datasource.Device)
}

// entry is a driver's name, its schema and how to make its factory.
type entry struct {
	name    string
	schema  Schema
	factory func(Options) poll.Factory
}

// list is the registry: one entry per driver, in the order the project
// loader lists them in its messages.
func list() []entry {
	return []entry{
		{"sim", Schema{sim.CheckAddress, sim.DecodeSettings},
			func(o Options) poll.Factory { return sim.Factory(o.Clock) }},
		{"modbus", Schema{modbus.CheckAddress, modbus.DecodeSettings},
			func(o Options) poll.Factory { return modbus.NewFactory(modbus.WithLogger(o.Logger)) }},
		{"opcua", Schema{opcua.CheckAddress, opcua.DecodeSettings},
			func(o Options) poll.Factory { return opcua.Factory(opcua.Options{Clock: o.Clock, Logger: o.Logger}) }},
		{"mqtt", Schema{mqtt.CheckAddress, mqtt.DecodeSettings},
			func(o Options) poll.Factory {
				m := o.MQTT
				m.Clock, m.Logger = o.Clock, o.Logger
				return mqtt.Factory(m)
			}},
	}
}

// SchemaOf returns the schema of the driver named name, and false when no
// driver has that name.
func SchemaOf(name string) (Schema, bool) {
	for _, e := range list() {
		if e.name == name {
			return e.schema, true
		}
	}
	return Schema{}, false
}

// Names returns the name of every driver, in registry order. It makes no
// factory, so the project loader can call it without a clock.
func Names() []string {
	l := list()
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = e.name
	}
	return out
}

// All returns every driver with its factory built from opts. Call it once
// per runtime: factories such as modbus's share connections between the
// devices of one engine, never between two.
func All(opts Options) []Driver {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	l := list()
	out := make([]Driver, len(l))
	for i, e := range l {
		out[i] = Driver{Name: e.name, Factory: e.factory(opts)}
	}
	return out
}

// Factories returns All(opts) as the map poll.Config.Drivers takes.
func Factories(opts Options) map[string]poll.Factory {
	all := All(opts)
	m := make(map[string]poll.Factory, len(all))
	for _, d := range all {
		m[d.Name] = d.Factory
	}
	return m
}
