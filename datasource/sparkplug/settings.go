package sparkplug

import (
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource/project/yamlfield"
)

// Settings are how a station reaches an MQTT broker and which Sparkplug B
// edge node it is or reads, as the project file gives them: the fields of
// the mqtt section of a device of driver mqtt (datasource/mqtt reads it)
// and of the publish section (this station's edge node). Both sections
// read them with DecodeSettings, so they accept the same fields.
type Settings struct {
	Group     string // Sparkplug group id
	Node      string // Sparkplug edge node id
	Username  string
	Password  string // resolved secret; never logged
	CAFile    string // trusted CA certificates (PEM) for ssl:// brokers; empty: the system's
	CertFile  string // client certificate for brokers that want one
	KeyFile   string
	ClientID  string // empty: made from the group and node
	KeepAlive time.Duration
	// PrimaryHost is a Sparkplug primary host id (Sparkplug B 3.0 STATE):
	// in a device's mqtt section the id this viewing station publishes its
	// STATE under, in the publish section the host whose STATE the edge
	// node waits for before it publishes. Empty: none.
	PrimaryHost string
}

// SettingsFields returns the keys DecodeSettings reads, a new slice on each
// call; a section allows them with its own.
func SettingsFields() []string {
	return []string{"group", "node", "username", "password", "ca_file", "cert_file", "key_file", "client_id", "keepalive", "primary_host"}
}

// brokerSchemes are the broker URL schemes: plain and TLS.
var brokerSchemes = []string{"tcp", "mqtt", "ssl", "tls", "mqtts"}

// BrokerURLHelp ends the message of a broker URL that ValidBrokerURL refuses.
const BrokerURLHelp = "must be a broker URL: tcp://host:1883 or ssl://host:8883 (also mqtt://, tls://, mqtts://)"

// ValidBrokerURL reports whether s is a broker URL: a known scheme and a
// host.
func ValidBrokerURL(s string) bool {
	scheme, rest, ok := strings.Cut(s, "://")
	host, _, _ := strings.Cut(rest, "/")
	if !ok || host == "" || strings.HasPrefix(host, ":") {
		return false
	}
	for _, x := range brokerSchemes {
		if x == scheme {
			return true
		}
	}
	return false
}

// DecodeSettings reads the connection fields of section m (its keys
// already checked against SettingsFields and the section's own) for a
// broker at broker: group and node are required, certificates only for a
// TLS broker.
func DecodeSettings(r *yamlfield.Reader, m *yamlfield.Mapping, broker string) Settings {
	var s Settings
	for _, f := range []struct {
		key string
		dst *string
	}{{"group", &s.Group}, {"node", &s.Node}} {
		if v := m.Get(f.key); v != nil {
			*f.dst, _ = decodeID(r, v, m.Field(f.key))
		} else {
			r.Errorf(m.Node, m.Field(f.key), "required: the Sparkplug %s id", f.key)
		}
	}
	r.Credentials(m, &s.Username, &s.Password)
	r.Paths(m, []yamlfield.PathField{{Key: "ca_file", Dst: &s.CAFile}, {Key: "cert_file", Dst: &s.CertFile}, {Key: "key_file", Dst: &s.KeyFile}})
	if v := m.Get("client_id"); v != nil {
		s.ClientID, _ = r.Str(v, m.Field("client_id"))
	}
	if v := m.Get("primary_host"); v != nil {
		s.PrimaryHost, _ = decodeID(r, v, m.Field("primary_host"))
	}
	s.KeepAlive = DefaultKeepAlive
	if v := m.Get("keepalive"); v != nil {
		if d, ok := r.Duration(v, m.Field("keepalive"), true); ok {
			if d < time.Second || d > math.MaxUint16*time.Second {
				r.Errorf(v, m.Field("keepalive"), "must be 1s..18h12m15s, got %s", d)
			} else {
				s.KeepAlive = d
			}
		}
	}
	// Certificates only make sense for ssl:// (and its aliases).
	if scheme, _, _ := strings.Cut(broker, "://"); scheme == "tcp" || scheme == "mqtt" {
		for _, k := range []string{"ca_file", "cert_file", "key_file"} {
			if m.Has(k) {
				r.Errorf(m.Key(k), m.Field(k), "only for a TLS broker (ssl://, tls:// or mqtts://), this one is %s", broker)
			}
		}
	}
	return s
}

// decodeID reads a Sparkplug group, node or host id.
func decodeID(r *yamlfield.Reader, n *yaml.Node, field string) (string, bool) {
	s, ok := r.Str(n, field)
	if !ok {
		return "", false
	}
	if s == "" || strings.ContainsAny(s, "/+#") {
		r.Errorf(n, field, "%q must be a non-empty Sparkplug id without / + or #", s)
		return "", false
	}
	return s, true
}
