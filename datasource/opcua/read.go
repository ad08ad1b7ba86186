package opcua

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// Read reads every tag of the plan, in requests of at most the server's
// MaxNodesPerRead nodes (gopcua does not split them). A node the server
// refuses gets a Bad sample with the mapped reason; a failed request returns
// an error and the engine reconnects. With Settings.Poll the nodes are
// registered once per session and read by their registered IDs.
func (d *Driver) Read(ctx context.Context, pl poll.Plan, dst []datasource.Sample) ([]datasource.Sample, error) {
	p, ok := pl.(*plan)
	if !ok {
		return dst, fmt.Errorf("device %q: read: plan of type %T was not made by this driver", d.dev.Name, pl)
	}
	cn, err := d.current()
	if err != nil {
		return dst, err
	}
	ids := p.ids
	if d.set.Poll {
		ids = d.registered(ctx, cn, p)
	}
	step := len(ids)
	if cn.maxRead > 0 && cn.maxRead < step {
		step = cn.maxRead
	}
	for lo := 0; lo < len(ids); lo += step {
		hi := min(lo+step, len(ids))
		req := &ua.ReadRequest{TimestampsToReturn: ua.TimestampsToReturnBoth, NodesToRead: make([]*ua.ReadValueID, hi-lo)}
		for i := range req.NodesToRead {
			req.NodesToRead[i] = &ua.ReadValueID{NodeID: ids[lo+i], AttributeID: ua.AttributeIDValue}
		}
		rctx, cancel := context.WithTimeout(ctx, d.timeout())
		cn.reads.Add(1)
		res, err := cn.c.Read(rctx, req)
		cancel()
		if err != nil && commFailure(err) {
			return dst, d.fail(cn, fmt.Sprintf("read %d nodes", hi-lo), err)
		}
		if err == nil && len(res.Results) != hi-lo {
			return dst, d.fail(cn, "read", fmt.Errorf("server answered %d results for %d nodes", len(res.Results), hi-lo))
		}
		for i := lo; i < hi; i++ {
			if err != nil { // a refusal of the whole request, e.g. BadTooManyOperations
				dst = append(dst, d.bad(cn, p.tags[i], statusOf(err)))
				continue
			}
			dst = append(dst, d.sample(cn, p.tags[i], res.Results[i-lo], time.Time{}))
		}
	}
	return dst, nil
}

// registered returns the plan's registered NodeIDs for cn, registering them
// on first use; when the server refuses, the plain NodeIDs are used.
func (d *Driver) registered(ctx context.Context, cn *conn, p *plan) []*ua.NodeID {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.regConn == cn {
		return p.reg
	}
	p.regConn, p.reg = cn, p.ids
	step := len(p.ids)
	if cn.maxRead > 0 && cn.maxRead < step {
		step = cn.maxRead // servers limit RegisterNodes much as Read
	}
	reg := make([]*ua.NodeID, 0, len(p.ids))
	for lo := 0; lo < len(p.ids); lo += step {
		hi := min(lo+step, len(p.ids))
		rctx, cancel := context.WithTimeout(ctx, d.timeout())
		res, err := cn.c.RegisterNodes(rctx, &ua.RegisterNodesRequest{NodesToRegister: p.ids[lo:hi]})
		cancel()
		if err != nil || len(res.RegisteredNodeIDs) != hi-lo {
			d.log.Warn("register nodes failed; reading by plain NodeIDs", "err", err)
			return p.ids
		}
		reg = append(reg, res.RegisteredNodeIDs...)
	}
	p.reg = reg
	return p.reg
}

// sample converts one DataValue of tag. now stamps samples without source
// time (zero: leave it to the engine).
func (d *Driver) sample(cn *conn, tag *datasource.Tag, dv *ua.DataValue, now time.Time) datasource.Sample {
	s := datasource.Sample{Tag: tag.ID, Time: now}
	if dv == nil {
		return d.bad(cn, tag, ua.StatusBadNoData)
	}
	if dv.EncodingMask&ua.DataValueSourceTimestamp != 0 && !dv.SourceTimestamp.IsZero() {
		s.Time = dv.SourceTimestamp
	}
	q := Quality(dv.Status)
	if q.IsBad() {
		b := d.bad(cn, tag, dv.Status)
		b.Time = s.Time
		return b
	}
	raw, ok := fromVariant(dv.Value)
	if !ok {
		return d.bad(cn, tag, ua.StatusBadNoData)
	}
	v, err := coerce(tag, raw)
	if err != nil {
		d.report(cn, tag, ua.StatusBadTypeMismatch, err)
		s.Quality = datasource.BadQuality(datasource.ConfigError)
		return s
	}
	s.Value, s.Quality = v, q
	d.clearReport(cn, tag)
	return s
}

// bad returns a Bad sample of tag for code and logs the problem once.
func (d *Driver) bad(cn *conn, tag *datasource.Tag, code ua.StatusCode) datasource.Sample {
	d.report(cn, tag, code, nil)
	return datasource.Sample{Tag: tag.ID, Quality: Quality(code)}
}

// report logs a tag's problem once per session and code, naming device,
// tag and node, so that one unknown node does not flood the log.
func (d *Driver) report(cn *conn, tag *datasource.Tag, code ua.StatusCode, err error) {
	cn.mu.Lock()
	seen := cn.reported[tag.ID] == code
	cn.reported[tag.ID] = code
	cn.mu.Unlock()
	if seen {
		return
	}
	if err == nil {
		err = code
	}
	d.log.Warn("tag is bad", "tag", tag.Name, "node", tag.Address, "quality", Quality(code).String(), "err", describe(err))
}

func (d *Driver) clearReport(cn *conn, tag *datasource.Tag) {
	cn.mu.Lock()
	delete(cn.reported, tag.ID)
	cn.mu.Unlock()
}

// describe adds a hint to the status codes engineers meet when commissioning.
func describe(err error) string {
	var code ua.StatusCode
	if !errors.As(err, &code) {
		return err.Error()
	}
	switch code {
	case ua.StatusBadNodeIDUnknown:
		return "BadNodeIdUnknown: the server has no node with this NodeID (check the namespace index and identifier with vigil browse)"
	case ua.StatusBadNodeIDInvalid:
		return "BadNodeIdInvalid: the server rejects this NodeID's syntax"
	case ua.StatusBadUserAccessDenied:
		return "BadUserAccessDenied: the session's user may not access this node"
	case ua.StatusBadNotReadable:
		return "BadNotReadable: the node's value cannot be read"
	case ua.StatusBadNotWritable:
		return "BadNotWritable: the node's value cannot be written"
	case ua.StatusBadTypeMismatch:
		return "BadTypeMismatch: " + err.Error()
	}
	return err.Error()
}
