package sparkplug

import (
	"errors"
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/internal/spb"
)

// DataType is a Sparkplug B data type number (Metric.datatype).
type DataType uint32

// The Sparkplug B data types Vigil encodes and decodes. Others (DataSet,
// Template, arrays, Bytes, File) decode as a metric without a value.
const (
	TypeUnknown  DataType = 0
	TypeInt8     DataType = 1
	TypeInt16    DataType = 2
	TypeInt32    DataType = 3
	TypeInt64    DataType = 4
	TypeUInt8    DataType = 5
	TypeUInt16   DataType = 6
	TypeUInt32   DataType = 7
	TypeUInt64   DataType = 8
	TypeFloat    DataType = 9
	TypeDouble   DataType = 10
	TypeBoolean  DataType = 11
	TypeString   DataType = 12
	TypeDateTime DataType = 13
	TypeText     DataType = 14
	TypeUUID     DataType = 15
)

// String returns the type's name in the specification ("Int16").
func (t DataType) String() string {
	if n, ok := spb.DataType_name[int32(t)]; ok && t <= math.MaxInt32 {
		return n
	}
	return fmt.Sprintf("DataType(%d)", uint32(t))
}

// Supported reports whether Vigil can carry a value of the type in a tag.
func (t DataType) Supported() bool { return t >= TypeInt8 && t <= TypeUUID }

// TypeOf returns the metric type that carries tag's engineering values:
// the tag's own type, except that a scaled numeric tag, whose engineering
// values are fractions, travels as Double.
func TypeOf(tag *datasource.Tag) DataType {
	if tag.Type.Numeric() && !tag.Scaling.IsIdentity() {
		return TypeDouble
	}
	switch tag.Type {
	case datasource.TypeBool:
		return TypeBoolean
	case datasource.TypeInt16:
		return TypeInt16
	case datasource.TypeUint16:
		return TypeUInt16
	case datasource.TypeInt32:
		return TypeInt32
	case datasource.TypeUint32:
		return TypeUInt32
	case datasource.TypeInt64:
		return TypeInt64
	case datasource.TypeUint64:
		return TypeUInt64
	case datasource.TypeFloat32:
		return TypeFloat
	case datasource.TypeFloat64:
		return TypeDouble
	case datasource.TypeString:
		return TypeString
	}
	return TypeUnknown
}

// Payload is one Sparkplug B message body.
type Payload struct {
	Time    time.Time // when the message was sent; zero: none
	Seq     uint64    // 0..255; meaningful when HasSeq
	HasSeq  bool      // NDEATH has no seq, every other node message has one
	Metrics []Metric
	UUID    string
	Body    []byte
}

// Metric is one metric of a payload. A metric whose Value is the zero Value
// (KindNone) is null (is_null), or of a type Vigil does not carry.
type Metric struct {
	Name       string // in births and commands; data messages may give only the alias
	Alias      uint64
	HasAlias   bool
	Time       time.Time // when the value was acquired; zero: the payload's time
	Type       DataType
	Value      datasource.Value
	Historical bool // a stored value sent late (store and forward), not the current value
	Transient  bool
	Properties []Property
}

// Property is one entry of a metric's property set. Only scalar property
// types are carried; nested property sets decode as a Property without a value.
type Property struct {
	Key   string
	Type  DataType
	Value datasource.Value
}

// Property returns the value of the metric's property key.
func (m *Metric) Property(key string) (datasource.Value, bool) {
	for _, p := range m.Properties {
		if p.Key == key {
			return p.Value, true
		}
	}
	return datasource.Value{}, false
}

// SetProperty sets (or adds) the metric's property key.
func (m *Metric) SetProperty(key string, t DataType, v datasource.Value) {
	for i := range m.Properties {
		if m.Properties[i].Key == key {
			m.Properties[i] = Property{Key: key, Type: t, Value: v}
			return
		}
	}
	m.Properties = append(m.Properties, Property{Key: key, Type: t, Value: v})
}

// ErrValue is wrapped by Encode for a value that does not fit its metric's
// declared type.
var ErrValue = errors.New("value does not fit the metric type")

// MaxPayload bounds the payloads Decode accepts: far above a birth of
// 10,000 metrics, far below what would hurt a station.
const MaxPayload = 64 << 20

// Encode marshals p in the Sparkplug B protobuf encoding. It fails on a
// metric whose value does not fit its type (ErrValue), naming the metric.
func Encode(p *Payload) ([]byte, error) {
	msg := &spb.Payload{Metrics: make([]*spb.Payload_Metric, 0, len(p.Metrics))}
	if !p.Time.IsZero() {
		msg.Timestamp = proto.Uint64(millis(p.Time))
	}
	if p.HasSeq {
		msg.Seq = proto.Uint64(p.Seq)
	}
	if p.UUID != "" {
		msg.Uuid = proto.String(p.UUID)
	}
	if p.Body != nil {
		msg.Body = p.Body
	}
	for i := range p.Metrics {
		m, err := encodeMetric(&p.Metrics[i])
		if err != nil {
			return nil, err
		}
		msg.Metrics = append(msg.Metrics, m)
	}
	b, err := proto.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("sparkplug: encode payload: %w", err)
	}
	return b, nil
}

func encodeMetric(m *Metric) (*spb.Payload_Metric, error) {
	out := &spb.Payload_Metric{Datatype: proto.Uint32(uint32(m.Type))}
	if m.Name != "" {
		out.Name = proto.String(m.Name)
	}
	if m.HasAlias {
		out.Alias = proto.Uint64(m.Alias)
	}
	if !m.Time.IsZero() {
		out.Timestamp = proto.Uint64(millis(m.Time))
	}
	if m.Historical {
		out.IsHistorical = proto.Bool(true)
	}
	if m.Transient {
		out.IsTransient = proto.Bool(true)
	}
	if m.Value.IsNone() {
		out.IsNull = proto.Bool(true)
	} else {
		v, err := wireValue(m.Type, m.Value)
		if err != nil {
			return nil, fmt.Errorf("sparkplug: metric %q: %w", m.Name, err)
		}
		switch v.kind {
		case wireInt:
			out.Value = &spb.Payload_Metric_IntValue{IntValue: uint32(v.bits)}
		case wireLong:
			out.Value = &spb.Payload_Metric_LongValue{LongValue: v.bits}
		case wireFloat:
			out.Value = &spb.Payload_Metric_FloatValue{FloatValue: float32(v.f)}
		case wireDouble:
			out.Value = &spb.Payload_Metric_DoubleValue{DoubleValue: v.f}
		case wireBool:
			out.Value = &spb.Payload_Metric_BooleanValue{BooleanValue: v.bits != 0}
		case wireString:
			out.Value = &spb.Payload_Metric_StringValue{StringValue: v.s}
		}
	}
	if len(m.Properties) > 0 {
		ps := &spb.Payload_PropertySet{}
		for _, p := range m.Properties {
			pv := &spb.Payload_PropertyValue{Type: proto.Uint32(uint32(p.Type))}
			if p.Value.IsNone() {
				pv.IsNull = proto.Bool(true)
			} else {
				v, err := wireValue(p.Type, p.Value)
				if err != nil {
					return nil, fmt.Errorf("sparkplug: metric %q: property %q: %w", m.Name, p.Key, err)
				}
				switch v.kind {
				case wireInt:
					pv.Value = &spb.Payload_PropertyValue_IntValue{IntValue: uint32(v.bits)}
				case wireLong:
					pv.Value = &spb.Payload_PropertyValue_LongValue{LongValue: v.bits}
				case wireFloat:
					pv.Value = &spb.Payload_PropertyValue_FloatValue{FloatValue: float32(v.f)}
				case wireDouble:
					pv.Value = &spb.Payload_PropertyValue_DoubleValue{DoubleValue: v.f}
				case wireBool:
					pv.Value = &spb.Payload_PropertyValue_BooleanValue{BooleanValue: v.bits != 0}
				case wireString:
					pv.Value = &spb.Payload_PropertyValue_StringValue{StringValue: v.s}
				}
			}
			ps.Keys = append(ps.Keys, p.Key)
			ps.Values = append(ps.Values, pv)
		}
		out.Properties = ps
	}
	return out, nil
}

// wire is a value as one member of the protobuf oneof.
type wire struct {
	kind uint8
	bits uint64
	f    float64
	s    string
}

const (
	wireInt = iota + 1
	wireLong
	wireFloat
	wireDouble
	wireBool
	wireString
)

// wireValue converts v to the oneof member of type t, checking its range.
func wireValue(t DataType, v datasource.Value) (wire, error) {
	intIn := func(lo, hi int64) (int64, error) {
		i, ok := v.AsInt()
		ok = ok && integral(v)
		if !ok || i < lo || i > hi {
			return 0, fmt.Errorf("%w: %s %s is not a %s", ErrValue, v.Kind(), v, t)
		}
		return i, nil
	}
	uintIn := func(hi uint64) (uint64, error) {
		u, ok := v.AsUint()
		if !ok || !integral(v) || u > hi {
			return 0, fmt.Errorf("%w: %s %s is not a %s", ErrValue, v.Kind(), v, t)
		}
		return u, nil
	}
	switch t {
	case TypeInt8, TypeInt16, TypeInt32:
		lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
		if t == TypeInt8 {
			lo, hi = math.MinInt8, math.MaxInt8
		} else if t == TypeInt16 {
			lo, hi = math.MinInt16, math.MaxInt16
		}
		i, err := intIn(lo, hi)
		// Two's complement in the uint32 field, as the specification says.
		return wire{kind: wireInt, bits: uint64(uint32(int32(i)))}, err
	case TypeUInt8, TypeUInt16, TypeUInt32:
		hi := uint64(math.MaxUint32)
		if t == TypeUInt8 {
			hi = math.MaxUint8
		} else if t == TypeUInt16 {
			hi = math.MaxUint16
		}
		u, err := uintIn(hi)
		return wire{kind: wireInt, bits: u}, err
	case TypeInt64, TypeDateTime:
		i, err := intIn(math.MinInt64, math.MaxInt64)
		return wire{kind: wireLong, bits: uint64(i)}, err
	case TypeUInt64:
		u, err := uintIn(math.MaxUint64)
		return wire{kind: wireLong, bits: u}, err
	case TypeFloat, TypeDouble:
		f, ok := v.AsFloat()
		if !ok || v.Kind() == datasource.KindString {
			return wire{}, fmt.Errorf("%w: %s %s is not a number", ErrValue, v.Kind(), v)
		}
		if t == TypeFloat {
			return wire{kind: wireFloat, f: f}, nil
		}
		return wire{kind: wireDouble, f: f}, nil
	case TypeBoolean:
		if v.Kind() != datasource.KindBool {
			return wire{}, fmt.Errorf("%w: %s %s is not a Boolean", ErrValue, v.Kind(), v)
		}
		var b uint64
		if v.AsBool() {
			b = 1
		}
		return wire{kind: wireBool, bits: b}, nil
	case TypeString, TypeText, TypeUUID:
		if v.Kind() != datasource.KindString {
			return wire{}, fmt.Errorf("%w: %s %s is not a %s", ErrValue, v.Kind(), v, t)
		}
		return wire{kind: wireString, s: v.AsString()}, nil
	}
	return wire{}, fmt.Errorf("%w: Vigil does not encode %s", ErrValue, t)
}

// integral reports whether v is a whole number of a numeric kind: text and
// fractions do not pass for integers on the wire.
func integral(v datasource.Value) bool {
	switch v.Kind() {
	case datasource.KindBool, datasource.KindInt, datasource.KindUint:
		return true
	case datasource.KindFloat:
		f, _ := v.AsFloat()
		return f == math.Trunc(f)
	}
	return false
}

// Decode unmarshals a Sparkplug B payload. Bytes that are not a payload give
// an error; a metric of a type Vigil does not carry, or whose value member
// does not match its type, decodes without a value.
func Decode(b []byte) (*Payload, error) {
	if len(b) > MaxPayload {
		return nil, fmt.Errorf("sparkplug: payload of %d bytes is above the %d byte limit", len(b), MaxPayload)
	}
	var msg spb.Payload
	if err := proto.Unmarshal(b, &msg); err != nil {
		return nil, fmt.Errorf("sparkplug: decode payload: %w", err)
	}
	p := &Payload{
		Seq:     msg.GetSeq(),
		HasSeq:  msg.Seq != nil,
		UUID:    msg.GetUuid(),
		Body:    msg.GetBody(),
		Metrics: make([]Metric, 0, len(msg.GetMetrics())),
	}
	if msg.Timestamp != nil {
		p.Time = fromMillis(msg.GetTimestamp())
	}
	for _, m := range msg.GetMetrics() {
		if m == nil {
			continue
		}
		out := Metric{
			Name:       m.GetName(),
			Alias:      m.GetAlias(),
			HasAlias:   m.Alias != nil,
			Type:       DataType(m.GetDatatype()),
			Historical: m.GetIsHistorical(),
			Transient:  m.GetIsTransient(),
		}
		if m.Timestamp != nil {
			out.Time = fromMillis(m.GetTimestamp())
		}
		if !m.GetIsNull() {
			out.Value = metricValue(out.Type, m)
		}
		ps := m.GetProperties()
		for i, k := range ps.GetKeys() {
			prop := Property{Key: k}
			if i < len(ps.GetValues()) {
				if pv := ps.GetValues()[i]; pv != nil {
					prop.Type = DataType(pv.GetType())
					if !pv.GetIsNull() {
						prop.Value = propertyValue(prop.Type, pv)
					}
				}
			}
			out.Properties = append(out.Properties, prop)
		}
		p.Metrics = append(p.Metrics, out)
	}
	return p, nil
}

// member is the oneof of a metric or property value, type-erased.
type member struct {
	i      *uint32
	l      *uint64
	f      *float32
	d      *float64
	b      *bool
	s      *string
	isNone bool
}

func metricValue(t DataType, m *spb.Payload_Metric) datasource.Value {
	var mb member
	switch v := m.GetValue().(type) {
	case *spb.Payload_Metric_IntValue:
		mb.i = &v.IntValue
	case *spb.Payload_Metric_LongValue:
		mb.l = &v.LongValue
	case *spb.Payload_Metric_FloatValue:
		mb.f = &v.FloatValue
	case *spb.Payload_Metric_DoubleValue:
		mb.d = &v.DoubleValue
	case *spb.Payload_Metric_BooleanValue:
		mb.b = &v.BooleanValue
	case *spb.Payload_Metric_StringValue:
		mb.s = &v.StringValue
	default:
		mb.isNone = true
	}
	return mb.value(t)
}

func propertyValue(t DataType, p *spb.Payload_PropertyValue) datasource.Value {
	var mb member
	switch v := p.GetValue().(type) {
	case *spb.Payload_PropertyValue_IntValue:
		mb.i = &v.IntValue
	case *spb.Payload_PropertyValue_LongValue:
		mb.l = &v.LongValue
	case *spb.Payload_PropertyValue_FloatValue:
		mb.f = &v.FloatValue
	case *spb.Payload_PropertyValue_DoubleValue:
		mb.d = &v.DoubleValue
	case *spb.Payload_PropertyValue_BooleanValue:
		mb.b = &v.BooleanValue
	case *spb.Payload_PropertyValue_StringValue:
		mb.s = &v.StringValue
	default:
		mb.isNone = true
	}
	return mb.value(t)
}

// value interprets the member by the declared type; a member that does not
// belong to the type gives no value rather than a guess.
func (mb member) value(t DataType) datasource.Value {
	if mb.isNone {
		return datasource.Value{}
	}
	switch t {
	case TypeInt8, TypeInt16, TypeInt32:
		if mb.i == nil {
			return datasource.Value{}
		}
		switch t {
		case TypeInt8:
			return datasource.Int(int64(int8(*mb.i)))
		case TypeInt16:
			return datasource.Int(int64(int16(*mb.i)))
		}
		return datasource.Int(int64(int32(*mb.i)))
	case TypeUInt8, TypeUInt16, TypeUInt32:
		if mb.i == nil {
			return datasource.Value{}
		}
		switch t {
		case TypeUInt8:
			return datasource.Uint(uint64(uint8(*mb.i)))
		case TypeUInt16:
			return datasource.Uint(uint64(uint16(*mb.i)))
		}
		return datasource.Uint(uint64(*mb.i))
	case TypeInt64, TypeDateTime:
		if mb.l == nil {
			return datasource.Value{}
		}
		return datasource.Int(int64(*mb.l))
	case TypeUInt64:
		if mb.l == nil {
			return datasource.Value{}
		}
		return datasource.Uint(*mb.l)
	case TypeFloat:
		if mb.f == nil {
			return datasource.Value{}
		}
		// A Float metric of 49.947796 reads as 49.947796, not as its
		// float64 expansion 49.94779586791992.
		return datasource.Float32(*mb.f)
	case TypeDouble:
		if mb.d == nil {
			return datasource.Value{}
		}
		return datasource.Float(*mb.d)
	case TypeBoolean:
		if mb.b == nil {
			return datasource.Value{}
		}
		return datasource.Bool(*mb.b)
	case TypeString, TypeText, TypeUUID:
		if mb.s == nil {
			return datasource.Value{}
		}
		return datasource.String(*mb.s)
	}
	return datasource.Value{}
}

// millis is t in milliseconds since the Unix epoch, Sparkplug's time unit;
// times before the epoch are clamped to it.
func millis(t time.Time) uint64 {
	ms := t.UnixMilli()
	if ms < 0 {
		return 0
	}
	return uint64(ms)
}

// fromMillis is the inverse of millis; values beyond int64 clamp.
func fromMillis(ms uint64) time.Time {
	if ms > math.MaxInt64 {
		ms = math.MaxInt64
	}
	return time.UnixMilli(int64(ms))
}
