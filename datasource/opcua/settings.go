package opcua

import (
	"math"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/yamlfield"
)

// Settings are the OPC UA settings of a device: the opcua section of a
// device of driver opcua in the project file (docs/project-file.md).
type Settings struct {
	SecurityPolicy  string // None, Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss
	SecurityMode    string // None, Sign, SignAndEncrypt
	Username        string
	Password        string // resolved secret; never logged
	CertFile        string // client certificate; generated on first use when empty
	KeyFile         string
	TrustDir        string // trusted server certificates
	Poll            bool   // use registered reads instead of subscriptions
	QueueSize       uint32
	MaxNodesPerRead int // 0: ask the server
}

// DefaultQueueSize is the queue_size of a device that sets none: how many
// changes of one item the server keeps between two publish responses.
const DefaultQueueSize = 10

// SettingsOf returns the OPC UA settings of dev, or the zero Settings when
// it has none.
func SettingsOf(dev *datasource.Device) Settings {
	s, _ := dev.Settings.(Settings)
	return s
}

// CheckAddress checks the address of an opcua device in the project file:
// an opc.tcp:// URL with something after the scheme.
func CheckAddress(r *yamlfield.Reader, dev *yamlfield.Mapping, d *datasource.Device) {
	v, field := dev.Get("address"), dev.Field("address")
	switch {
	case v == nil || d.Address == "":
		r.Errorf(yamlfield.OrNode(v, dev.Node), field, "required for driver opcua: opc.tcp://host:4840")
	case !strings.HasPrefix(d.Address, "opc.tcp://") || len(d.Address) == len("opc.tcp://"):
		r.Errorf(v, field, "%q must be an opc.tcp://host:port URL", d.Address)
	}
}

// DecodeSettings reads the opcua section of device d (absent: all
// defaults) into d.Settings.
func DecodeSettings(r *yamlfield.Reader, dev *yamlfield.Mapping, d *datasource.Device) {
	s := Settings{SecurityPolicy: "None", SecurityMode: "None", QueueSize: DefaultQueueSize}
	defer func() { d.Settings = s }()
	n := dev.Get("opcua")
	if n == nil {
		return
	}
	m := r.Mapping(n, dev.Field("opcua"), "security_policy", "security_mode", "username", "password",
		"cert_file", "key_file", "trust_dir", "poll", "queue_size", "max_nodes_per_read")
	if m == nil {
		return
	}
	policyOK, modeOK := true, true
	if v := m.Get("security_policy"); v != nil {
		s.SecurityPolicy, policyOK = r.Enum(v, m.Field("security_policy"), "None", "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss")
	}
	if v := m.Get("security_mode"); v != nil {
		s.SecurityMode, modeOK = r.Enum(v, m.Field("security_mode"), "None", "Sign", "SignAndEncrypt")
	}
	if policyOK && modeOK && (s.SecurityPolicy == "None") != (s.SecurityMode == "None") {
		r.Errorf(yamlfield.OrNode(m.Get("security_mode"), yamlfield.OrNode(m.Get("security_policy"), m.Node)), m.Field("security_mode"),
			"%s with security_policy %s; use None with None, Sign or SignAndEncrypt with any other policy", s.SecurityMode, s.SecurityPolicy)
	}
	r.Credentials(m, &s.Username, &s.Password)
	r.Paths(m, []yamlfield.PathField{{Key: "cert_file", Dst: &s.CertFile}, {Key: "key_file", Dst: &s.KeyFile}, {Key: "trust_dir", Dst: &s.TrustDir}})
	if v := m.Get("poll"); v != nil {
		s.Poll, _ = r.Boolean(v, m.Field("poll"))
	}
	if v := m.Get("queue_size"); v != nil {
		if q, ok := r.Integer(v, m.Field("queue_size"), 1, math.MaxUint32); ok {
			s.QueueSize = uint32(q)
		}
	}
	r.Int(m, "max_nodes_per_read", 0, math.MaxInt32, &s.MaxNodesPerRead)
}
