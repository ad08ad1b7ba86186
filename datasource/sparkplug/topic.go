package sparkplug

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Namespace is the first topic level of every Sparkplug B message.
const Namespace = "spBv1.0"

// MessageType is the third topic level: what a message is.
type MessageType string

// The Sparkplug B message types.
const (
	NBIRTH MessageType = "NBIRTH"
	NDEATH MessageType = "NDEATH"
	DBIRTH MessageType = "DBIRTH"
	DDEATH MessageType = "DDEATH"
	NDATA  MessageType = "NDATA"
	DDATA  MessageType = "DDATA"
	NCMD   MessageType = "NCMD"
	DCMD   MessageType = "DCMD"
	STATE  MessageType = "STATE"
)

// nodeTypes are the types of messages about the node itself (no device level).
var nodeTypes = map[MessageType]bool{NBIRTH: true, NDEATH: true, NDATA: true, NCMD: true}

// deviceTypes are the types of messages about one device of a node.
var deviceTypes = map[MessageType]bool{DBIRTH: true, DDEATH: true, DDATA: true, DCMD: true}

// Topic is a parsed Sparkplug B topic: spBv1.0/Group/Type/Node[/Device],
// or spBv1.0/STATE/HostID for a host application's state.
type Topic struct {
	Group  string
	Type   MessageType
	Node   string
	Device string // device messages only
	HostID string // STATE only
}

// String renders the topic.
func (t Topic) String() string {
	if t.Type == STATE {
		return Namespace + "/STATE/" + t.HostID
	}
	s := Namespace + "/" + t.Group + "/" + string(t.Type) + "/" + t.Node
	if t.Device != "" {
		s += "/" + t.Device
	}
	return s
}

// NodeTopic returns the topic of a node message.
func NodeTopic(group string, typ MessageType, node string) Topic {
	return Topic{Group: group, Type: typ, Node: node}
}

// DeviceTopic returns the topic of a device message.
func DeviceTopic(group string, typ MessageType, node, device string) Topic {
	return Topic{Group: group, Type: typ, Node: node, Device: device}
}

// NodeFilter is the MQTT subscription filter for every message of one edge
// node (its node and device messages); node "+" matches every node of group.
func NodeFilter(group, node string) string {
	return Namespace + "/" + group + "/+/" + node + "/#"
}

// ParseTopic parses a Sparkplug B topic. It checks the namespace, the
// message type and that node messages have no device level and device
// messages one.
func ParseTopic(s string) (Topic, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 3 || parts[0] != Namespace {
		return Topic{}, fmt.Errorf("sparkplug: topic %q is not in the %s namespace", s, Namespace)
	}
	if parts[1] == string(STATE) {
		if len(parts) != 3 || ValidID(parts[2]) != nil {
			return Topic{}, fmt.Errorf("sparkplug: topic %q: STATE needs exactly one host id", s)
		}
		return Topic{Type: STATE, HostID: parts[2]}, nil
	}
	if len(parts) < 4 || len(parts) > 5 {
		return Topic{}, fmt.Errorf("sparkplug: topic %q: want spBv1.0/group/TYPE/node[/device]", s)
	}
	t := Topic{Group: parts[1], Type: MessageType(parts[2]), Node: parts[3]}
	if len(parts) == 5 {
		t.Device = parts[4]
	}
	switch {
	case nodeTypes[t.Type] && t.Device != "":
		return Topic{}, fmt.Errorf("sparkplug: topic %q: %s has no device level", s, t.Type)
	case deviceTypes[t.Type] && len(parts) != 5:
		return Topic{}, fmt.Errorf("sparkplug: topic %q: %s needs a device level", s, t.Type)
	case !nodeTypes[t.Type] && !deviceTypes[t.Type]:
		return Topic{}, fmt.Errorf("sparkplug: topic %q: unknown message type %q", s, parts[2])
	}
	for _, id := range []string{t.Group, t.Node} {
		if err := ValidID(id); err != nil {
			return Topic{}, fmt.Errorf("sparkplug: topic %q: %w", s, err)
		}
	}
	if t.Device != "" {
		if err := ValidID(t.Device); err != nil {
			return Topic{}, fmt.Errorf("sparkplug: topic %q: %w", s, err)
		}
	}
	return t, nil
}

// ValidID checks a group, node, device or host id: not empty, valid UTF-8,
// and none of the MQTT topic characters / + #.
func ValidID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("empty id")
	case !utf8.ValidString(id):
		return fmt.Errorf("id %q is not valid UTF-8", id)
	case strings.ContainsAny(id, "/+#"):
		return fmt.Errorf("id %q contains / + or #", id)
	}
	return nil
}
