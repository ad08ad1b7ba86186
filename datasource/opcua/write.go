package opcua

import (
	"context"
	"fmt"

	"github.com/gopcua/opcua/ua"

	"github.com/vigil-hmi/vigil/datasource"
)

// StatusError is a request the server answered with a bad status code for
// one tag: a refused write, or a node it does not know. errors.Is matches
// the ua.StatusCode.
type StatusError struct {
	Device string
	Tag    string
	NodeID string
	Op     string // "write", "read data type"
	Code   ua.StatusCode
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("device %q: tag %q (%s): %s: %s", e.Device, e.Tag, e.NodeID, e.Op, describe(e.Code))
}

// Unwrap returns the status code.
func (e *StatusError) Unwrap() error { return e.Code }

// Write converts v (engineering units) to the node's data type, read once
// per session, and writes it. A refused write returns a *StatusError; a
// value that does not fit returns an error wrapping ErrTypeMismatch. The
// engine reads the value back through Read.
func (d *Driver) Write(ctx context.Context, tag *datasource.Tag, v datasource.Value) error {
	nid, err := parseAddress(tag.Address)
	if err != nil {
		return &datasource.TagError{Tag: tag, Field: "address", Err: err}
	}
	cn, err := d.current()
	if err != nil {
		return err
	}
	nt, err := d.nodeType(ctx, cn, tag, nid)
	if err != nil {
		return err
	}
	if nt.array {
		return fmt.Errorf("device %q: tag %q (%s): write: %w: the node holds an array; only scalars can be written", d.dev.Name, tag.Name, tag.Address, ErrTypeMismatch)
	}
	variant, err := toVariant(tag, v, nt.typ)
	if err != nil {
		return fmt.Errorf("device %q: tag %q (%s): write %s: %w", d.dev.Name, tag.Name, tag.Address, v.AsString(), err)
	}
	wctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	res, err := cn.c.Write(wctx, &ua.WriteRequest{NodesToWrite: []*ua.WriteValue{{
		NodeID:      nid,
		AttributeID: ua.AttributeIDValue,
		Value:       &ua.DataValue{EncodingMask: ua.DataValueValue, Value: variant},
	}}})
	if err != nil {
		if commFailure(err) {
			return d.fail(cn, fmt.Sprintf("tag %q: write", tag.Name), err)
		}
		return &StatusError{Device: d.dev.Name, Tag: tag.Name, NodeID: tag.Address, Op: "write", Code: statusOf(err)}
	}
	if len(res.Results) != 1 {
		return d.fail(cn, fmt.Sprintf("tag %q: write", tag.Name), fmt.Errorf("server answered %d results for 1 node", len(res.Results)))
	}
	if code := res.Results[0]; code&0xC0000000 != 0 { // Uncertain or Bad
		return &StatusError{Device: d.dev.Name, Tag: tag.Name, NodeID: tag.Address, Op: "write", Code: code}
	}
	return nil
}

// nodeType returns a node's built-in type and array-ness, read once per
// session: from the DataType attribute when it names a built-in type (or a
// standard subtype of one), else from the type of the current value, so that
// servers reporting odd DataTypes still get the value's own type.
func (d *Driver) nodeType(ctx context.Context, cn *conn, tag *datasource.Tag, nid *ua.NodeID) (nodeType, error) {
	key := nid.String()
	cn.mu.Lock()
	nt, ok := cn.types[key]
	cn.mu.Unlock()
	if ok {
		return nt, nil
	}
	rctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	res, err := cn.c.Read(rctx, &ua.ReadRequest{NodesToRead: []*ua.ReadValueID{
		{NodeID: nid, AttributeID: ua.AttributeIDDataType},
		{NodeID: nid, AttributeID: ua.AttributeIDValueRank},
		{NodeID: nid, AttributeID: ua.AttributeIDValue},
	}})
	if err != nil {
		if commFailure(err) {
			return nt, d.fail(cn, fmt.Sprintf("tag %q: read data type", tag.Name), err)
		}
		return nt, &StatusError{Device: d.dev.Name, Tag: tag.Name, NodeID: tag.Address, Op: "read data type", Code: statusOf(err)}
	}
	if len(res.Results) != 3 {
		return nt, d.fail(cn, fmt.Sprintf("tag %q: read data type", tag.Name), fmt.Errorf("server answered %d results for 3", len(res.Results)))
	}
	dt, rank, val := res.Results[0], res.Results[1], res.Results[2]
	for _, r := range []*ua.DataValue{dt, val} {
		if r.Status == ua.StatusBadNodeIDUnknown || r.Status == ua.StatusBadNodeIDInvalid {
			return nt, &StatusError{Device: d.dev.Name, Tag: tag.Name, NodeID: tag.Address, Op: "write", Code: r.Status}
		}
	}
	if dt.Status == ua.StatusOK && dt.Value != nil {
		switch x := dt.Value.Value().(type) {
		case *ua.NodeID:
			nt.typ = builtinOf(x)
		case *ua.ExpandedNodeID:
			if x != nil {
				nt.typ = builtinOf(x.NodeID)
			}
		}
	}
	if rank.Status == ua.StatusOK && rank.Value != nil {
		if r, ok := rank.Value.Value().(int32); ok && r >= 1 {
			nt.array = true
		}
	}
	if val.Status&0x80000000 == 0 && val.Value != nil && val.Value.Type() != ua.TypeIDNull {
		if val.Value.ArrayLength() > 0 || len(val.Value.ArrayDimensions()) > 0 {
			nt.array = true
		}
		if nt.typ == 0 {
			nt.typ = val.Value.Type()
		}
	}
	if nt.typ == 0 {
		return nt, fmt.Errorf("device %q: tag %q (%s): write: %w: cannot tell the node's data type (DataType attribute not a built-in type and no current value)", d.dev.Name, tag.Name, tag.Address, ErrTypeMismatch)
	}
	cn.mu.Lock()
	cn.types[key] = nt
	cn.mu.Unlock()
	return nt, nil
}
