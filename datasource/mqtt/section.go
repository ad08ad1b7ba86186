package mqtt

import (
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/yamlfield"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
)

// DefaultTimeout is the timeout of an mqtt device that sets none: a write
// travels to the acquiring station, through its device and back.
const DefaultTimeout = 5 * time.Second

// SectionOf returns the mqtt section of dev as the project file gives it
// (broker credentials and files, not yet loaded), and false when it has
// none. The runtime turns it into the Settings of Options.Devices.
func SectionOf(dev *datasource.Device) (sparkplug.Settings, bool) {
	s, ok := dev.Settings.(sparkplug.Settings)
	return s, ok
}

// CheckAddress checks the address of an mqtt device in the project file:
// the broker's URL.
func CheckAddress(r *yamlfield.Reader, dev *yamlfield.Mapping, d *datasource.Device) {
	v, field := dev.Get("address"), dev.Field("address")
	switch {
	case v == nil || d.Address == "":
		r.Errorf(yamlfield.OrNode(v, dev.Node), field, "required for driver mqtt: the broker, tcp://host:1883 or ssl://host:8883")
	case !sparkplug.ValidBrokerURL(d.Address):
		r.Errorf(v, field, "%q "+sparkplug.BrokerURLHelp, d.Address)
	}
}

// DecodeSettings reads the mqtt section of device d into d.Settings (a
// sparkplug.Settings). It is required: the group and node of the edge node
// to read have no default. A device without a timeout gets DefaultTimeout.
func DecodeSettings(r *yamlfield.Reader, dev *yamlfield.Mapping, d *datasource.Device) {
	if !dev.Has("timeout") {
		d.Timeout = DefaultTimeout
	}
	n, path := dev.Get("mqtt"), dev.Field("mqtt")
	if n == nil {
		r.Errorf(dev.Node, path, "required for driver mqtt: at least group and node, the edge node to read")
		return
	}
	m := r.Mapping(n, path, sparkplug.SettingsFields()...)
	if m == nil {
		return
	}
	d.Settings = sparkplug.DecodeSettings(r, m, d.Address)
}
