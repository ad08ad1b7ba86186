package uaspace

import (
	"io"
	"log"
	"testing"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/ua"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	log.SetOutput(io.Discard) // server.New logs its node set import
	goleak.VerifyTestMain(m)
}

func TestSpaceBehavesLikeARealServerNamespace(t *testing.T) {
	srv := server.New(server.EndPoint("127.0.0.1", 4840))
	sp := New(srv, "urn:test", "Plant")
	var written *ua.Variant
	level := sp.Add(Var{Name: "Level", Type: ua.TypeIDDouble, Get: func() *ua.DataValue {
		return &ua.DataValue{EncodingMask: ua.DataValueValue, Value: ua.MustVariant(1.5)}
	}})
	setpoint := sp.Add(Var{Name: "SP", Type: ua.TypeIDInt16, Get: func() *ua.DataValue { return nil },
		Set: func(v *ua.Variant) ua.StatusCode { written = v; return ua.StatusOK }})

	if got := sp.Attribute(level, ua.AttributeIDDataType).Value.Value(); !got.(*ua.NodeID).Equal(ua.NewNumericNodeID(0, uint32(ua.TypeIDDouble))) {
		t.Errorf("DataType of a Double variable = %v, want i=11", got)
	}
	if got := sp.Attribute(setpoint, ua.AttributeIDAccessLevel).Value.Value(); got != byte(3) {
		t.Errorf("AccessLevel of a writable variable = %v, want 3 (read|write)", got)
	}
	if got := sp.Attribute(setpoint, ua.AttributeIDValue).Status; got != ua.StatusBadWaitingForInitialData {
		t.Errorf("a variable without a value reads %v, want BadWaitingForInitialData", got)
	}
	if got := sp.Attribute(ua.NewStringNodeID(sp.ID(), "Nope"), ua.AttributeIDValue).Status; got != ua.StatusBadNodeIDUnknown {
		t.Errorf("an unknown node reads %v, want BadNodeIdUnknown", got)
	}
	writes := []struct {
		name string
		node *ua.NodeID
		v    any
		want ua.StatusCode
	}{
		{"a read-only variable refuses", level, 2.0, ua.StatusBadNotWritable},
		{"a value of another type is a type mismatch", setpoint, 2.0, ua.StatusBadTypeMismatch},
		{"an array for a scalar is a type mismatch", setpoint, []int16{1, 2}, ua.StatusBadTypeMismatch},
		{"a value of the variable's type is written", setpoint, int16(7), ua.StatusOK},
	}
	for _, w := range writes {
		got := sp.SetAttribute(w.node, ua.AttributeIDValue, &ua.DataValue{EncodingMask: ua.DataValueValue, Value: ua.MustVariant(w.v)})
		if got != w.want {
			t.Errorf("%s: %v, want %v", w.name, got, w.want)
		}
	}
	if written == nil || written.Value() != int16(7) {
		t.Errorf("Set received %v, want 7", written)
	}
	res := sp.Browse(&ua.BrowseDescription{NodeID: sp.Objects().ID(), BrowseDirection: ua.BrowseDirectionForward,
		ReferenceTypeID: ua.NewNumericNodeID(0, id.HierarchicalReferences), IncludeSubtypes: true})
	if res.StatusCode != ua.StatusGood || len(res.References) != 2 || res.References[0].BrowseName.Name != "Level" {
		t.Fatalf("browse of the folder = %v %d refs, want Level and SP", res.StatusCode, len(res.References))
	}
}
