package project

import (
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

// Control room defaults (docs/project-file.md, docs/control-room.md).
const (
	// DefaultMQTTTimeout is the timeout of an mqtt device that sets none:
	// a write travels to the acquiring station, through its device and back.
	DefaultMQTTTimeout   = 5 * time.Second
	DefaultMQTTKeepAlive = 10 * time.Second
	DefaultPublishBuffer = 100_000
)

// MQTTSettings are how a station reaches an MQTT broker and which Sparkplug
// B edge node it is or reads: the mqtt section of a device of driver mqtt,
// and the publish section.
type MQTTSettings struct {
	Group     string // Sparkplug group id
	Node      string // Sparkplug edge node id
	Username  string
	Password  string // resolved secret; never logged
	CAFile    string // trusted CA certificates (PEM) for ssl:// brokers; empty: the system's
	CertFile  string // client certificate for brokers that want one
	KeyFile   string
	ClientID  string // empty: made from the group and node
	KeepAlive time.Duration
}

// Publish is the publish section: the station publishes its tags as a
// Sparkplug B edge node.
type Publish struct {
	Broker string // tcp://host:1883, ssl://host:8883 ...
	MQTTSettings
	Writes bool // run DCMD writes from other stations through this station's write path
	Buffer int  // store and forward: samples kept while the broker is away
	Pos    datasource.Pos
}

// mqttSchemes are the broker URL schemes: plain and TLS.
var mqttSchemes = []string{"tcp", "mqtt", "ssl", "tls", "mqtts"}

// brokerURL checks a broker URL: a known scheme and a host.
func brokerURL(s string) bool {
	scheme, rest, ok := strings.Cut(s, "://")
	host, _, _ := strings.Cut(rest, "/")
	return ok && contains(mqttSchemes, scheme) && host != "" && !strings.HasPrefix(host, ":")
}

// sparkplugID checks a Sparkplug group or node id.
func (p *parser) sparkplugID(n *yaml.Node, field string) (string, bool) {
	s, ok := p.str(n, field)
	if !ok {
		return "", false
	}
	if s == "" || strings.ContainsAny(s, "/+#") {
		p.errorf(n, field, "%q must be a non-empty Sparkplug id without / + or #", s)
		return "", false
	}
	return s, true
}

// mqttFields reads the connection fields shared by a device's mqtt section
// and the publish section into s; the caller has checked m's keys.
func (p *parser) mqttFields(m *mapping, s *MQTTSettings) {
	for _, f := range []struct {
		key string
		dst *string
	}{{"group", &s.Group}, {"node", &s.Node}} {
		if v := m.get(f.key); v != nil {
			*f.dst, _ = p.sparkplugID(v, m.field(f.key))
		} else {
			p.errorf(m.node, m.field(f.key), "required: the Sparkplug %s id", f.key)
		}
	}
	p.credentials(m, &s.Username, &s.Password)
	p.paths(m, []pathField{{"ca_file", &s.CAFile}, {"cert_file", &s.CertFile}, {"key_file", &s.KeyFile}})
	if v := m.get("client_id"); v != nil {
		s.ClientID, _ = p.str(v, m.field("client_id"))
	}
	s.KeepAlive = DefaultMQTTKeepAlive
	if v := m.get("keepalive"); v != nil {
		if d, ok := p.duration(v, m.field("keepalive"), true); ok {
			if d < time.Second || d > math.MaxUint16*time.Second {
				p.errorf(v, m.field("keepalive"), "must be 1s..18h12m15s, got %s", d)
			} else {
				s.KeepAlive = d
			}
		}
	}
}

// tlsFields are checked against the broker's scheme: certificates only
// make sense for ssl:// (and its aliases).
func (p *parser) tlsFields(m *mapping, broker string) {
	scheme, _, _ := strings.Cut(broker, "://")
	if scheme != "tcp" && scheme != "mqtt" {
		return
	}
	for _, k := range []string{"ca_file", "cert_file", "key_file"} {
		if m.has(k) {
			p.errorf(m.key(k), m.field(k), "only for a TLS broker (ssl://, tls:// or mqtts://), this one is %s", broker)
		}
	}
}

var mqttFieldNames = []string{"group", "node", "username", "password", "ca_file", "cert_file", "key_file", "client_id", "keepalive"}

// mqttDevice reads the mqtt section of a device of driver mqtt (required:
// group and node have no default).
func (p *parser) mqttDevice(n *yaml.Node, path string, m0 *mapping, d *datasource.Device) {
	if !m0.has("timeout") {
		d.Timeout = DefaultMQTTTimeout
	}
	if n == nil {
		p.errorf(m0.node, path, "required for driver mqtt: at least group and node, the edge node to read")
		return
	}
	m := p.mapping(n, path, mqttFieldNames...)
	if m == nil {
		return
	}
	var s MQTTSettings
	p.mqttFields(m, &s)
	p.tlsFields(m, d.Address)
	if p.mqtt == nil {
		p.mqtt = make(map[*datasource.Device]*MQTTSettings)
	}
	p.mqtt[d] = &s
}

// publish reads the publish section.
func (p *parser) publish(n *yaml.Node) *Publish {
	if n == nil {
		return nil
	}
	m := p.mapping(n, "publish", append([]string{"broker", "writes", "buffer"}, mqttFieldNames...)...)
	if m == nil {
		return nil
	}
	pub := &Publish{Buffer: DefaultPublishBuffer, Pos: p.pos(m.node)}
	if v := m.get("broker"); v != nil {
		if s, ok := p.str(v, m.field("broker")); ok {
			if brokerURL(s) {
				pub.Broker = s
			} else {
				p.errorf(v, m.field("broker"), "%q must be a broker URL: tcp://host:1883 or ssl://host:8883 (also mqtt://, tls://, mqtts://)", s)
			}
		}
	} else {
		p.errorf(m.node, m.field("broker"), "required: the broker URL, e.g. tcp://broker:1883")
	}
	p.mqttFields(m, &pub.MQTTSettings)
	p.tlsFields(m, pub.Broker)
	if v := m.get("writes"); v != nil {
		pub.Writes, _ = p.boolean(v, m.field("writes"))
	}
	intField(p, m, "buffer", 0, math.MaxInt32, &pub.Buffer)
	return pub
}
