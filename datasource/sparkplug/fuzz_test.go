package sparkplug

import (
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// FuzzDecode feeds outside bytes to the decoder: it must never panic, and
// what it accepts must encode again (after dropping what Vigil does not carry)
// and decode to the same metrics.
func FuzzDecode(f *testing.F) {
	seed := &Payload{Time: time.UnixMilli(5), Seq: 1, HasSeq: true, Metrics: []Metric{
		{Name: "a", Type: TypeInt16, Value: datasource.Int(-3)},
		{Name: "b", Type: TypeString, Value: datasource.String("x"), Properties: []Property{{Key: "Quality", Type: TypeInt32, Value: datasource.Int(192)}}},
		{Name: "c", Type: TypeDouble},
	}}
	b, err := Encode(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x12, 0x02, 0x20, 0x0B})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data)
		if err != nil {
			return
		}
		for i := range p.Metrics {
			m := &p.Metrics[i]
			if !m.Type.Supported() {
				m.Value = datasource.Value{}
			}
			props := m.Properties[:0]
			for _, pr := range m.Properties {
				if pr.Type.Supported() || pr.Value.IsNone() {
					props = append(props, pr)
				}
			}
			m.Properties = props
		}
		again, err := Encode(p)
		if err != nil {
			t.Fatalf("a decoded payload does not encode: %v", err)
		}
		q, err := Decode(again)
		if err != nil {
			t.Fatalf("a re-encoded payload does not decode: %v", err)
		}
		if len(q.Metrics) != len(p.Metrics) {
			t.Fatalf("%d metrics after the round trip, want %d", len(q.Metrics), len(p.Metrics))
		}
		for i := range q.Metrics {
			if q.Metrics[i].Value != p.Metrics[i].Value || q.Metrics[i].Name != p.Metrics[i].Name {
				t.Fatalf("metric %d: %v %q after the round trip, want %v %q", i, q.Metrics[i].Value, q.Metrics[i].Name, p.Metrics[i].Value, p.Metrics[i].Name)
			}
		}
	})
}
