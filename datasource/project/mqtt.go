package project

import (
	"math"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
)

// DefaultPublishBuffer is the buffer of a publish section that sets none
// (docs/project-file.md, docs/control-room.md).
const DefaultPublishBuffer = 100_000

// MQTTSettings are how a station reaches an MQTT broker and which Sparkplug
// B edge node it is or reads: the publish section's, and the mqtt section
// of a device of driver mqtt (in its Device.Settings). The driver registry
// and the publish section read them with the same decoder.
type MQTTSettings = sparkplug.Settings

// Publish is the publish section: the station publishes its tags as a
// Sparkplug B edge node.
type Publish struct {
	Broker string // tcp://host:1883, ssl://host:8883 ...
	MQTTSettings
	Writes bool // run DCMD writes from other stations through this station's write path
	Buffer int  // store and forward: samples kept while the broker is away
	Pos    datasource.Pos
}

// publish reads the publish section.
func (p *parser) publish(n *yaml.Node) *Publish {
	if n == nil {
		return nil
	}
	m := p.mapping(n, "publish", append([]string{"broker", "writes", "buffer"}, sparkplug.SettingsFields()...)...)
	if m == nil {
		return nil
	}
	pub := &Publish{Buffer: DefaultPublishBuffer, Pos: p.pos(m.node)}
	if v := m.get("broker"); v != nil {
		if s, ok := p.str(v, m.field("broker")); ok {
			if sparkplug.ValidBrokerURL(s) {
				pub.Broker = s
			} else {
				p.errorf(v, m.field("broker"), "%q "+sparkplug.BrokerURLHelp, s)
			}
		}
	} else {
		p.errorf(m.node, m.field("broker"), "required: the broker URL, e.g. tcp://broker:1883")
	}
	pub.MQTTSettings = sparkplug.DecodeSettings(p.reader(), &m.Mapping, pub.Broker)
	if v := m.get("writes"); v != nil {
		pub.Writes, _ = p.boolean(v, m.field("writes"))
	}
	p.reader().Int(&m.Mapping, "buffer", 0, math.MaxInt32, &pub.Buffer)
	return pub
}
