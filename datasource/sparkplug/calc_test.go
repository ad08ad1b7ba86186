package sparkplug

import (
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
)

func TestCalculatedTagsArePublishedUnderTheCalcDevice(t *testing.T) {
	b := sparkplugtest.Start(t)
	l := listen(t, b, Namespace+"/g/#")
	tags := []*datasource.Tag{
		{ID: 0, Name: "Pump1.Flow", Device: "PLC1", Type: datasource.TypeFloat32},
		{ID: 1, Name: "Pump1.FlowDouble", Type: datasource.TypeFloat64,
			Calc: &datasource.CalcDef{Kind: datasource.CalcExpr, Expr: "Pump1.Flow * 2"}},
	}
	table := datasource.NewTable(tags)
	table.Publish([]datasource.Sample{{Tag: 1, Value: datasource.Float(8)}})
	runNode(t, NodeConfig{Broker: Broker{URL: b.URL()}, Group: "g", Node: "station1", Tags: tags, Table: table})
	births := map[string]*Payload{}
	for range 2 {
		r := l.next(t, DBIRTH)
		births[r.topic.Device] = r.payload
	}
	if births[CalcDevice] == nil {
		t.Fatalf("DBIRTH for devices %v, want PLC1 and %s", births, CalcDevice)
	}
	if m, ok := metricNamed(births[CalcDevice], "Pump1.FlowDouble"); !ok || m.Value != datasource.Float(8) {
		t.Fatalf("the calculated tag in its DBIRTH: %+v", m)
	}
}
