package opcua

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/vigil-hmi/vigil/datasource"
)

// ErrTypeMismatch is wrapped by errors of values that do not fit a tag's or
// node's data type.
var ErrTypeMismatch = errors.New("type mismatch")

// fromVariant converts an OPC UA value to its natural Value: booleans,
// signed and unsigned integers and floats keep their kind; strings, times,
// texts, names, NodeIDs, GUIDs and byte strings become strings; arrays become
// strings like "[1, 2, 3]".
func fromVariant(v *ua.Variant) (datasource.Value, bool) {
	if v == nil || v.Value() == nil {
		return datasource.Value{}, false
	}
	return fromGo(v.Value())
}

func fromGo(x any) (datasource.Value, bool) {
	switch x := x.(type) {
	case bool:
		return datasource.Bool(x), true
	case int8:
		return datasource.Int(int64(x)), true
	case int16:
		return datasource.Int(int64(x)), true
	case int32:
		return datasource.Int(int64(x)), true
	case int64:
		return datasource.Int(x), true
	case uint8:
		return datasource.Uint(uint64(x)), true
	case uint16:
		return datasource.Uint(uint64(x)), true
	case uint32:
		return datasource.Uint(uint64(x)), true
	case uint64:
		return datasource.Uint(x), true
	case float32:
		// Through the shortest decimal form: 0.1f reads as 0.1, not 0.10000000149.
		return datasource.Float32(x), true
	case float64:
		return datasource.Float(x), true
	case string:
		return datasource.String(x), true
	case time.Time:
		return datasource.String(x.UTC().Format(time.RFC3339Nano)), true
	case []byte:
		return datasource.String(hex.EncodeToString(x)), true
	case *ua.LocalizedText:
		if x == nil {
			return datasource.String(""), true
		}
		return datasource.String(x.Text), true
	case *ua.QualifiedName:
		if x == nil {
			return datasource.String(""), true
		}
		return datasource.String(x.Name), true
	case ua.StatusCode:
		return datasource.Uint(uint64(x)), true
	case fmt.Stringer:
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return datasource.Value{}, false
		}
		return datasource.String(x.String()), true
	}
	rv := reflect.ValueOf(x)
	if rv.Kind() == reflect.Slice {
		parts := make([]string, rv.Len())
		for i := range parts {
			ev, ok := fromGo(rv.Index(i).Interface())
			if !ok {
				parts[i] = fmt.Sprint(rv.Index(i).Interface())
				continue
			}
			parts[i] = ev.AsString()
		}
		return datasource.String("[" + strings.Join(parts, ", ") + "]"), true
	}
	return datasource.String(fmt.Sprint(x)), true
}

// coerce turns a node's natural value into the tag's configured type and
// engineering units (scaling applies to numeric tags).
func coerce(tag *datasource.Tag, v datasource.Value) (datasource.Value, error) {
	switch tag.Type {
	case datasource.TypeString:
		return datasource.String(v.AsString()), nil
	case datasource.TypeBool:
		switch v.Kind() {
		case datasource.KindBool:
			return v, nil
		case datasource.KindInt, datasource.KindUint, datasource.KindFloat:
			return datasource.Bool(v.AsBool()), nil
		case datasource.KindString:
			if b, err := strconv.ParseBool(v.AsString()); err == nil {
				return datasource.Bool(b), nil
			}
		}
		return datasource.Value{}, fmt.Errorf("%w: %s value %q is not a bool", ErrTypeMismatch, v.Kind(), v.AsString())
	}
	f, ok := v.AsFloat()
	if !ok || v.Kind() == datasource.KindString {
		return datasource.Value{}, fmt.Errorf("%w: %s value %q is not a number (tag type %s)", ErrTypeMismatch, v.Kind(), v.AsString(), tag.Type)
	}
	if !tag.Scaling.IsIdentity() {
		return datasource.Float(tag.Scaling.ToEng(f)), nil
	}
	switch tag.Type {
	case datasource.TypeFloat32, datasource.TypeFloat64:
		return datasource.Float(f), nil
	case datasource.TypeInt16, datasource.TypeInt32, datasource.TypeInt64:
		if i, ok := v.AsInt(); ok {
			return datasource.Int(i), nil
		}
	case datasource.TypeUint16, datasource.TypeUint32, datasource.TypeUint64:
		if u, ok := v.AsUint(); ok {
			return datasource.Uint(u), nil
		}
	}
	return datasource.Value{}, fmt.Errorf("%w: %s does not fit tag type %s", ErrTypeMismatch, v.AsString(), tag.Type)
}

// toVariant converts an engineering value written to tag into the node's
// built-in type, with range checks, after the tag's inverse scaling.
func toVariant(tag *datasource.Tag, v datasource.Value, typ ua.TypeID) (*ua.Variant, error) {
	if !tag.Scaling.IsIdentity() && tag.Type.Numeric() {
		f, ok := v.AsFloat()
		if !ok {
			return nil, fmt.Errorf("%w: %q is not a number", ErrTypeMismatch, v.AsString())
		}
		v = datasource.Float(tag.Scaling.ToRaw(f))
	}
	bad := func(what string) error {
		return fmt.Errorf("%w: %s value %s does not fit the node's data type %s%s", ErrTypeMismatch, v.Kind(), v.AsString(), typeName(typ), what)
	}
	integer := func(lo, hi float64) (float64, error) {
		f, ok := v.AsFloat()
		if !ok || v.Kind() == datasource.KindString && !numeric(v.AsString()) {
			return 0, bad("")
		}
		if f != math.Trunc(f) {
			if v.Kind() == datasource.KindFloat {
				f = math.Round(f)
			} else {
				return 0, bad("")
			}
		}
		if f < lo || f > hi {
			return 0, bad(fmt.Sprintf(" (range %v..%v)", lo, hi))
		}
		return f, nil
	}
	var x any
	switch typ {
	case ua.TypeIDBoolean:
		switch v.Kind() {
		case datasource.KindBool:
			x = v.AsBool()
		case datasource.KindInt, datasource.KindUint, datasource.KindFloat:
			f, _ := v.AsFloat()
			if f != 0 && f != 1 {
				return nil, bad(" (want 0 or 1)")
			}
			x = f == 1
		case datasource.KindString:
			b, err := strconv.ParseBool(v.AsString())
			if err != nil {
				return nil, bad("")
			}
			x = b
		default:
			return nil, bad("")
		}
	case ua.TypeIDSByte, ua.TypeIDInt16, ua.TypeIDInt32:
		lo, hi := float64(math.MinInt32), float64(math.MaxInt32)
		switch typ {
		case ua.TypeIDSByte:
			lo, hi = math.MinInt8, math.MaxInt8
		case ua.TypeIDInt16:
			lo, hi = math.MinInt16, math.MaxInt16
		}
		f, err := integer(lo, hi)
		if err != nil {
			return nil, err
		}
		switch typ {
		case ua.TypeIDSByte:
			x = int8(f)
		case ua.TypeIDInt16:
			x = int16(f)
		default:
			x = int32(f)
		}
	case ua.TypeIDByte, ua.TypeIDUint16, ua.TypeIDUint32:
		hi := float64(math.MaxUint32)
		switch typ {
		case ua.TypeIDByte:
			hi = math.MaxUint8
		case ua.TypeIDUint16:
			hi = math.MaxUint16
		}
		f, err := integer(0, hi)
		if err != nil {
			return nil, err
		}
		switch typ {
		case ua.TypeIDByte:
			x = uint8(f)
		case ua.TypeIDUint16:
			x = uint16(f)
		default:
			x = uint32(f)
		}
	case ua.TypeIDInt64:
		i, ok := v.AsInt()
		if !ok || v.Kind() == datasource.KindBool {
			return nil, bad("")
		}
		x = i
	case ua.TypeIDUint64:
		u, ok := v.AsUint()
		if !ok || v.Kind() == datasource.KindBool {
			return nil, bad("")
		}
		x = u
	case ua.TypeIDFloat:
		f, ok := v.AsFloat()
		if !ok || v.Kind() == datasource.KindBool || (math.Abs(f) > math.MaxFloat32 && !math.IsInf(f, 0)) {
			return nil, bad("")
		}
		x = float32(f)
	case ua.TypeIDDouble:
		f, ok := v.AsFloat()
		if !ok || v.Kind() == datasource.KindBool {
			return nil, bad("")
		}
		x = f
	case ua.TypeIDString:
		x = v.AsString()
	case ua.TypeIDDateTime:
		t, err := time.Parse(time.RFC3339Nano, v.AsString())
		if err != nil {
			return nil, bad(" (want RFC 3339 time)")
		}
		x = t
	case ua.TypeIDLocalizedText:
		x = ua.NewLocalizedText(v.AsString())
	default:
		return nil, fmt.Errorf("%w: writing nodes of data type %s is not supported", ErrTypeMismatch, typeName(typ))
	}
	return ua.NewVariant(x)
}

func numeric(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// builtinOf returns the built-in type of a DataType NodeID: the built-in
// types themselves and their common standard subtypes; 0 when unknown
// (abstract types, structures, vendor types).
func builtinOf(n *ua.NodeID) ua.TypeID {
	if n == nil || n.Namespace() != 0 || n.Type() != ua.NodeIDTypeTwoByte && n.Type() != ua.NodeIDTypeFourByte && n.Type() != ua.NodeIDTypeNumeric {
		return 0
	}
	switch id := n.IntID(); {
	case id >= 1 && id <= 21:
		return ua.TypeID(id)
	case id == 290: // Duration
		return ua.TypeIDDouble
	case id == 294: // UtcTime
		return ua.TypeIDDateTime
	case id == 295, id == 12: // LocaleId, String
		return ua.TypeIDString
	case id == 288, id == 289: // IntegerId, Counter
		return ua.TypeIDUint32
	case id == 29: // Enumeration
		return ua.TypeIDInt32
	}
	return 0
}

// typeNames are the names of the built-in types as OPC UA tools print them.
var typeNames = map[ua.TypeID]string{
	ua.TypeIDBoolean: "Boolean", ua.TypeIDSByte: "SByte", ua.TypeIDByte: "Byte",
	ua.TypeIDInt16: "Int16", ua.TypeIDUint16: "UInt16", ua.TypeIDInt32: "Int32",
	ua.TypeIDUint32: "UInt32", ua.TypeIDInt64: "Int64", ua.TypeIDUint64: "UInt64",
	ua.TypeIDFloat: "Float", ua.TypeIDDouble: "Double", ua.TypeIDString: "String",
	ua.TypeIDDateTime: "DateTime", ua.TypeIDGUID: "Guid", ua.TypeIDByteString: "ByteString",
	ua.TypeIDXMLElement: "XmlElement", ua.TypeIDNodeID: "NodeId", ua.TypeIDExpandedNodeID: "ExpandedNodeId",
	ua.TypeIDStatusCode: "StatusCode", ua.TypeIDQualifiedName: "QualifiedName",
	ua.TypeIDLocalizedText: "LocalizedText", ua.TypeIDExtensionObject: "ExtensionObject",
	ua.TypeIDDataValue: "DataValue", ua.TypeIDVariant: "Variant", ua.TypeIDDiagnosticInfo: "DiagnosticInfo",
}

func typeName(t ua.TypeID) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "type " + strconv.Itoa(int(t))
}

// vigilType returns the project-file type a node of built-in type t is best
// read as; arrays and non-numeric types read as strings.
func vigilType(t ua.TypeID, array bool) datasource.DataType {
	if array {
		return datasource.TypeString
	}
	switch t {
	case ua.TypeIDBoolean:
		return datasource.TypeBool
	case ua.TypeIDSByte, ua.TypeIDInt16:
		return datasource.TypeInt16
	case ua.TypeIDByte, ua.TypeIDUint16:
		return datasource.TypeUint16
	case ua.TypeIDInt32:
		return datasource.TypeInt32
	case ua.TypeIDUint32, ua.TypeIDStatusCode:
		return datasource.TypeUint32
	case ua.TypeIDInt64:
		return datasource.TypeInt64
	case ua.TypeIDUint64:
		return datasource.TypeUint64
	case ua.TypeIDFloat:
		return datasource.TypeFloat32
	case ua.TypeIDDouble:
		return datasource.TypeFloat64
	}
	return datasource.TypeString
}

// VariantOf converts a Value to an OPC UA value of built-in type typ, with
// the same range checks as a write (for servers of Vigil tags).
func VariantOf(v datasource.Value, typ ua.TypeID) (*ua.Variant, error) {
	return toVariant(&datasource.Tag{}, v, typ)
}

// ValueOf converts an OPC UA value to its natural Value (see Read); ok is
// false for a null value.
func ValueOf(v *ua.Variant) (datasource.Value, bool) { return fromVariant(v) }

// BuiltinType returns the OPC UA built-in type that serves a Vigil data type
// (int16 as Int16, float32 as Float, ...).
func BuiltinType(t datasource.DataType) ua.TypeID {
	switch t {
	case datasource.TypeBool:
		return ua.TypeIDBoolean
	case datasource.TypeInt16:
		return ua.TypeIDInt16
	case datasource.TypeUint16:
		return ua.TypeIDUint16
	case datasource.TypeInt32:
		return ua.TypeIDInt32
	case datasource.TypeUint32:
		return ua.TypeIDUint32
	case datasource.TypeInt64:
		return ua.TypeIDInt64
	case datasource.TypeUint64:
		return ua.TypeIDUint64
	case datasource.TypeFloat32:
		return ua.TypeIDFloat
	case datasource.TypeString:
		return ua.TypeIDString
	}
	return ua.TypeIDDouble
}
