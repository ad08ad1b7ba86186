package opcua

import (
	"errors"
	"math"
	"testing"

	"github.com/gopcua/opcua/ua"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestFromVariantCoversTheBuiltinTypes(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want datasource.Value
	}{
		{"a GUID reads as its text", ua.NewGUID("72962B91-FA75-4AE6-8D28-B404DC7DAF63"), datasource.String("72962B91-FA75-4AE6-8D28-B404DC7DAF63")},
		{"a NodeId reads as its text", ua.NewStringNodeID(2, "x"), datasource.String("ns=2;s=x")},
		{"a LocalizedText reads as its text", ua.NewLocalizedText("Pump running"), datasource.String("Pump running")},
		{"a QualifiedName reads as its name", &ua.QualifiedName{NamespaceIndex: 2, Name: "Level"}, datasource.String("Level")},
		{"a StatusCode reads as its number", ua.StatusBadNodeIDUnknown, datasource.Uint(uint64(ua.StatusBadNodeIDUnknown))},
		{"a float32 array reads as text", []float32{0.1, 2}, datasource.String("[0.1, 2]")},
		{"a string array reads as text", []string{"a", "b"}, datasource.String("[a, b]")},
		{"a bool array reads as text", []bool{true, false}, datasource.String("[true, false]")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fromVariant(ua.MustVariant(tt.v))
			if !ok || got != tt.want {
				t.Fatalf("fromVariant(%v) = %v, %v; want %v", tt.v, got, ok, tt.want)
			}
		})
	}
	if _, ok := fromVariant(ua.MustVariant(nil)); ok {
		t.Fatal("a null value converted")
	}
}

func TestToVariantChecksRanges(t *testing.T) {
	tag := &datasource.Tag{Name: "T"}
	tests := []struct {
		name string
		v    datasource.Value
		typ  ua.TypeID
		want any // nil: refused with ErrTypeMismatch
	}{
		{"127 fits SByte", datasource.Int(127), ua.TypeIDSByte, int8(127)},
		{"128 does not fit SByte", datasource.Int(128), ua.TypeIDSByte, nil},
		{"255 fits Byte", datasource.Uint(255), ua.TypeIDByte, uint8(255)},
		{"-1 does not fit Byte", datasource.Int(-1), ua.TypeIDByte, nil},
		{"2.6 rounds into Int32", datasource.Float(2.6), ua.TypeIDInt32, int32(3)},
		{"a numeric string fits UInt32", datasource.String("42"), ua.TypeIDUint32, uint32(42)},
		{"1e40 does not fit Float", datasource.Float(1e40), ua.TypeIDFloat, nil},
		{"infinity fits Double", datasource.Float(math.Inf(1)), ua.TypeIDDouble, math.Inf(1)},
		{"true does not fit Double", datasource.Bool(true), ua.TypeIDDouble, nil},
		{"1 fits Boolean", datasource.Int(1), ua.TypeIDBoolean, true},
		{"2 does not fit Boolean", datasource.Int(2), ua.TypeIDBoolean, nil},
		{"an RFC 3339 text fits DateTime", datasource.String("2024-01-02T03:04:05Z"), ua.TypeIDDateTime, nil},
		{"a number fits String as its text", datasource.Float(1.5), ua.TypeIDString, "1.5"},
		{"a GUID node cannot be written", datasource.String("x"), ua.TypeIDGUID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toVariant(tag, tt.v, tt.typ)
			if tt.typ == ua.TypeIDDateTime {
				if err != nil || got.Type() != ua.TypeIDDateTime {
					t.Fatalf("toVariant = %v, %v; want a DateTime", got, err)
				}
				return
			}
			if tt.want == nil {
				if !errors.Is(err, ErrTypeMismatch) {
					t.Fatalf("toVariant(%v, %v) = %v, %v; want ErrTypeMismatch", tt.v, typeName(tt.typ), got, err)
				}
				return
			}
			if err != nil || got.Value() != tt.want {
				t.Fatalf("toVariant(%v, %v) = %v, %v; want %v", tt.v, typeName(tt.typ), got, err, tt.want)
			}
		})
	}
}
