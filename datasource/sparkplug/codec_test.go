package sparkplug

import (
	"errors"
	"math"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/internal/spb"
)

func TestEveryTypeRoundTripsThroughEncodeAndDecode(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_123)
	cases := []struct {
		name string
		typ  DataType
		v    datasource.Value
		want datasource.Value // zero: the same as v
	}{
		{"Int8 keeps -128", TypeInt8, datasource.Int(-128), datasource.Value{}},
		{"Int16 keeps -32768", TypeInt16, datasource.Int(math.MinInt16), datasource.Value{}},
		{"Int32 keeps -1 in two's complement", TypeInt32, datasource.Int(-1), datasource.Value{}},
		{"Int64 keeps its minimum", TypeInt64, datasource.Int(math.MinInt64), datasource.Value{}},
		{"UInt8 keeps 255", TypeUInt8, datasource.Uint(255), datasource.Value{}},
		{"UInt16 keeps 65535", TypeUInt16, datasource.Uint(65535), datasource.Value{}},
		{"UInt32 keeps its maximum", TypeUInt32, datasource.Uint(math.MaxUint32), datasource.Value{}},
		{"UInt64 keeps its maximum", TypeUInt64, datasource.Uint(math.MaxUint64), datasource.Value{}},
		{"Float keeps 1.5", TypeFloat, datasource.Float(1.5), datasource.Value{}},
		{"Float 49.947796 arrives as 49.947796, not its float64 expansion", TypeFloat, datasource.Float(49.947796), datasource.Value{}},
		{"Double keeps pi", TypeDouble, datasource.Float(math.Pi), datasource.Value{}},
		{"Boolean keeps true", TypeBoolean, datasource.Bool(true), datasource.Value{}},
		{"String keeps text", TypeString, datasource.String("RUNNING ✓"), datasource.Value{}},
		{"a null metric stays null", TypeDouble, datasource.Value{}, datasource.Value{}},
		{"a whole float fits an Int16", TypeInt16, datasource.Float(42), datasource.Int(42)},
		{"a uint fits an Int32", TypeInt32, datasource.Uint(7), datasource.Int(7)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Metric{Name: "Tank1.Level", Type: c.typ, Value: c.v, Time: at}
			m.SetProperty(QualityProperty, TypeInt32, datasource.Int(0xC0))
			m.SetProperty(PropUnits, TypeString, datasource.String("%"))
			b, err := Encode(&Payload{Time: at, Seq: 255, HasSeq: true, Metrics: []Metric{m}})
			if err != nil {
				t.Fatal(err)
			}
			p, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if want.IsNone() {
				want = c.v
			}
			if len(p.Metrics) != 1 {
				t.Fatalf("decoded %d metrics, want 1", len(p.Metrics))
			}
			got := p.Metrics[0]
			if got.Value != want || got.Type != c.typ || got.Name != m.Name || !got.Time.Equal(at) {
				t.Errorf("decoded %s %v %q at %v, want %s %v %q at %v", got.Type, got.Value, got.Name, got.Time, c.typ, want, m.Name, at)
			}
			if !p.HasSeq || p.Seq != 255 || !p.Time.Equal(at) {
				t.Errorf("payload seq %d (has %v) time %v", p.Seq, p.HasSeq, p.Time)
			}
			if q, _ := got.Property(QualityProperty); q != datasource.Int(0xC0) {
				t.Errorf("Quality property %v, want 192", q)
			}
			if u, _ := got.Property(PropUnits); u != datasource.String("%") {
				t.Errorf("engUnit property %v, want %%", u)
			}
		})
	}
}

func TestEncodeRefusesValuesThatDoNotFitTheType(t *testing.T) {
	cases := []struct {
		name string
		typ  DataType
		v    datasource.Value
	}{
		{"128 is not an Int8", TypeInt8, datasource.Int(128)},
		{"-1 is not a UInt16", TypeUInt16, datasource.Int(-1)},
		{"a fraction is not an Int32", TypeInt32, datasource.Float(1.5)},
		{"text is not an Int64", TypeInt64, datasource.String("12")},
		{"text is not a Double", TypeDouble, datasource.String("1.5")},
		{"a number is not a Boolean", TypeBoolean, datasource.Int(1)},
		{"a number is not a String", TypeString, datasource.Int(1)},
		{"DataSet is not encoded", DataType(16), datasource.Int(1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Encode(&Payload{Metrics: []Metric{{Name: "X", Type: c.typ, Value: c.v}}})
			if !errors.Is(err, ErrValue) {
				t.Fatalf("Encode: %v, want ErrValue", err)
			}
		})
	}
}

func TestDecodeKeepsTheWireFieldsOfTheSpecification(t *testing.T) {
	// Built with the generated schema directly, as another vendor's edge
	// node would send it: an Int16 -2 is 0xFFFFFFFE in int_value.
	msg := &spb.Payload{
		Timestamp: proto.Uint64(1000),
		Seq:       proto.Uint64(3),
		Metrics: []*spb.Payload_Metric{
			{Name: proto.String("a"), Alias: proto.Uint64(7), Datatype: proto.Uint32(2), Value: &spb.Payload_Metric_IntValue{IntValue: 0xFFFFFFFE}},
			{Alias: proto.Uint64(8), Datatype: proto.Uint32(11), IsHistorical: proto.Bool(true), Value: &spb.Payload_Metric_BooleanValue{BooleanValue: true}},
			{Name: proto.String("mismatched"), Datatype: proto.Uint32(10), Value: &spb.Payload_Metric_StringValue{StringValue: "x"}},
			{Name: proto.String("table"), Datatype: proto.Uint32(16), Value: &spb.Payload_Metric_DatasetValue{}},
		},
	}
	b, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Metrics) != 4 {
		t.Fatalf("%d metrics, want 4", len(p.Metrics))
	}
	if m := p.Metrics[0]; m.Value != datasource.Int(-2) || !m.HasAlias || m.Alias != 7 {
		t.Errorf("Int16 metric: %+v", m)
	}
	if m := p.Metrics[1]; m.Name != "" || m.Alias != 8 || !m.Historical || m.Value != datasource.Bool(true) {
		t.Errorf("alias-only historical metric: %+v", m)
	}
	if m := p.Metrics[2]; !m.Value.IsNone() {
		t.Errorf("a Double metric carrying a string decoded to %v, want no value", m.Value)
	}
	if m := p.Metrics[3]; !m.Value.IsNone() || m.Type.Supported() {
		t.Errorf("a DataSet decoded to %v (supported %v)", m.Value, m.Type.Supported())
	}
}

func TestDecodeRefusesBytesThatAreNotAPayload(t *testing.T) {
	for _, b := range [][]byte{{0xFF}, {0x12, 0x05, 0x0A}, []byte("not protobuf at all")} {
		if _, err := Decode(b); err == nil {
			t.Errorf("Decode(% x) gave no error", b)
		}
	}
}

func TestTypeOfFollowsTheTagTypeAndScaling(t *testing.T) {
	cases := []struct {
		tag  datasource.Tag
		want DataType
	}{
		{datasource.Tag{Type: datasource.TypeBool}, TypeBoolean},
		{datasource.Tag{Type: datasource.TypeInt16}, TypeInt16},
		{datasource.Tag{Type: datasource.TypeUint32}, TypeUInt32},
		{datasource.Tag{Type: datasource.TypeFloat32}, TypeFloat},
		{datasource.Tag{Type: datasource.TypeString}, TypeString},
		{datasource.Tag{Type: datasource.TypeInt16, Scaling: datasource.Scaling{RawHi: 27648, EngHi: 100}}, TypeDouble},
	}
	for _, c := range cases {
		if got := TypeOf(&c.tag); got != c.want {
			t.Errorf("TypeOf(%s, scaling %v) = %s, want %s", c.tag.Type, c.tag.Scaling, got, c.want)
		}
	}
}

func TestQualityCodesRoundTripForEveryReason(t *testing.T) {
	for q, code := range qualityCodes {
		if got := QualityOf(code); got != q {
			t.Errorf("QualityOf(%#x) = %v, want %v", code, got, q)
		}
	}
	if got := QualityOf(0x80 | 0x40); got != datasource.QualityGood {
		t.Errorf("an unknown Good code gave %v", got)
	}
	if got := QualityOf(500); !got.IsBad() {
		t.Errorf("a vendor code above 0xFF gave %v, want Bad", got)
	}
	if got := QualityCode(datasource.Quality{Status: datasource.Good, Reason: datasource.Stale}); got != 0xC0 {
		t.Errorf("Good with an unusual reason gave %#x, want plain Good", got)
	}
}
