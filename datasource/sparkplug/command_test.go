package sparkplug

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
)

// refuser is a Commander that refuses everything and keeps what it got.
type refuser struct {
	mu  sync.Mutex
	got []WriteCommand
}

func (r *refuser) Write(_ context.Context, c WriteCommand) (datasource.Sample, error) {
	r.mu.Lock()
	r.got = append(r.got, c)
	r.mu.Unlock()
	return datasource.Sample{}, errors.New(c.Name + ": refused and recorded")
}

func (r *refuser) commands() []WriteCommand {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]WriteCommand(nil), r.got...)
}

// TestNodeHandsEveryWriteToItsCommander sends DCMDs the station must
// refuse (a metric no tag of the device has, a tag of another device, no
// value): each reaches the Commander, which refuses and records it, and
// each refusal comes back as the device's write result.
func TestNodeHandsEveryWriteToItsCommander(t *testing.T) {
	b := sparkplugtest.Start(t)
	l := listen(t, b, Namespace+"/g/#")
	p := newPlant()
	cmd := &refuser{}
	runNode(t, NodeConfig{Broker: Broker{URL: b.URL()}, Group: "g", Node: "n", Tags: p.tags, Table: p.table, Commander: cmd})
	l.next(t, NBIRTH)
	l.next(t, DBIRTH)
	l.next(t, DBIRTH)
	nope := Metric{Name: "Tank9.Nope", Type: TypeFloat, Value: datasource.Float(1)}
	nope.SetProperty(PropRequest, TypeString, datasource.String("r1"))
	other := Metric{Name: "Pump1.Running", Type: TypeBoolean, Value: datasource.Bool(true)} // a PLC2 tag, sent to PLC1
	other.SetProperty(PropRequest, TypeString, datasource.String("r2"))
	empty := Metric{Name: "Tank1.LevelSP", Type: TypeFloat}
	empty.SetProperty(PropRequest, TypeString, datasource.String("r3"))
	payload, err := Encode(&Payload{Metrics: []Metric{nope, other, empty}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.conn.Publish(context.Background(), DeviceTopic("g", DCMD, "n", "PLC1").String(), payload, 1, false); err != nil {
		t.Fatal(err)
	}
	refused := map[string]bool{}
	for len(refused) < 3 {
		r := l.next(t, DDATA)
		if m, ok := metricNamed(r.payload, WriteResultMetric); ok {
			if ok, _ := m.Property(PropOK); ok.AsBool() {
				t.Errorf("write %s was accepted", m.Value.AsString())
			}
			refused[m.Value.AsString()] = true
		}
	}
	got := cmd.commands()
	if len(got) != 3 {
		t.Fatalf("the Commander got %d commands, want 3: %+v", len(got), got)
	}
	if got[0].Tag != nil || got[0].Name != "Tank9.Nope" || got[1].Tag != nil || got[1].Name != "Pump1.Running" {
		t.Errorf("unknown tags: %+v, %+v; want no Tag and the metric's name", got[0], got[1])
	}
	if got[2].Tag == nil || got[2].Tag.Name != "Tank1.LevelSP" || !got[2].Value.IsNone() {
		t.Errorf("no value: %+v; want the tag and no value", got[2])
	}
}
