package opcua

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gopcua/opcua/ua"
	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

func findNode(nodes []BrowseNode, nodeID string) (BrowseNode, bool) {
	for _, n := range nodes {
		if n.NodeID == nodeID {
			return n, true
		}
	}
	return BrowseNode{}, false
}

func TestBrowseShowsTypesAndAccess(t *testing.T) {
	srv := sharedServer(t)
	d := newDriver(t, testDevice(srv), Options{})
	connect(t, d)
	nodes, err := d.Browse(context.Background(), "", 2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, nodeID, dataType, access string
		typ                            datasource.DataType
		array                          bool
	}{
		{"a Double variable is read-only float64", "ns=2;s=Double", "Double", "r", datasource.TypeFloat64, false},
		{"a setpoint is writable", "ns=2;s=SetInt16", "Int16", "rw", datasource.TypeInt16, false},
		{"an array reads as a string", "ns=2;s=Int32Array", "Int32", "r", datasource.TypeString, true},
		{"a DateTime reads as a string", "ns=2;s=DateTime", "DateTime", "r", datasource.TypeString, false},
		{"gopcua's odd DataType is replaced by the value's type", "ns=1;s=Quirky", "Double", "?", datasource.TypeFloat64, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := findNode(nodes, tt.nodeID)
			if !ok {
				t.Fatalf("%s not found in %d nodes", tt.nodeID, len(nodes))
			}
			if n.NodeClass != "Variable" || n.DataType != tt.dataType || n.Access != tt.access || n.Type != tt.typ || n.Array != tt.array {
				t.Fatalf("got %+v", n)
			}
		})
	}
	if nodes[0].NodeID != "i=85" || nodes[0].BrowseName != "Objects" || nodes[0].Depth != 0 {
		t.Fatalf("first node %+v, want the Objects folder at depth 0", nodes[0])
	}
	var tree bytes.Buffer
	if err := WriteTree(&tree, nodes); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tree.String(), "    ns=2;s=SetDouble  SetDouble  Variable  Double  rw\n") {
		t.Fatalf("tree lacks the SetDouble line:\n%s", tree.String())
	}
}

func TestBrowseYAMLIsReadyToPaste(t *testing.T) {
	srv := sharedServer(t)
	d := newDriver(t, testDevice(srv), Options{})
	connect(t, d)
	nodes, err := d.Browse(context.Background(), "ns=2;s=Test", 1)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteYAML(&out, "plc1", nodes); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tags []tagEntry `yaml:"tags"`
	}
	if err := yaml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out.String())
	}
	if len(doc.Tags) != len(srv.Names()) {
		t.Fatalf("%d tag entries for %d variables", len(doc.Tags), len(srv.Names()))
	}
	want := tagEntry{Name: "SetDouble", Device: "plc1", Address: "ns=2;s=SetDouble", Type: "float64", Writable: true}
	found := false
	for _, e := range doc.Tags {
		found = found || e == want
	}
	if !found {
		t.Fatalf("no entry %+v in\n%s", want, out.String())
	}
	if !strings.HasPrefix(out.String(), "tags:\n  - name: ") {
		t.Fatalf("output does not start as a tags section:\n%s", out.String())
	}
}

func TestBrowseOfAnUnknownNodeSaysSo(t *testing.T) {
	srv := sharedServer(t)
	d := newDriver(t, testDevice(srv), Options{})
	connect(t, d)
	_, err := d.Browse(context.Background(), "ns=2;s=Nope", 1)
	if !errors.Is(err, ua.StatusBadNodeIDUnknown) {
		t.Fatalf("Browse of an unknown node = %v, want BadNodeIdUnknown", err)
	}
}
