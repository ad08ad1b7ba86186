package mqtt

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
)

// RemoteError is a write the acquiring station refused or failed; Message is
// its own text, for the operator verbatim.
type RemoteError struct {
	Node    string // the acquiring station's edge node id
	Message string
}

// Error returns the acquiring station's message.
func (e *RemoteError) Error() string { return e.Message }

// birthWait is how long a write waits for its device's DBIRTH while the
// device's node is online: a node's NBIRTH (a rebirth another viewer asked
// for) takes every device offline until its DBIRTH, which the node
// publishes right after, and a write that lands between the two must not
// be refused for it.
const birthWait = 2 * time.Second

// awaitBirthLocked returns what is known of device, waiting (within ctx,
// at most birthWait) for its birth while its node is online and it is not
// (after its node's NBIRTH, or before its first DBIRTH); a device whose
// DDEATH came is not waited for.
// The caller holds d.mu, which the wait releases.
func (d *Driver) awaitBirthLocked(ctx context.Context, device string) *remoteDevice {
	var timeout <-chan time.Time
	for {
		rd := d.devs[device]
		if !d.online || (rd != nil && (rd.online || rd.dead)) {
			return rd
		}
		if timeout == nil {
			t := d.clock.NewTimer(birthWait)
			defer t.Stop()
			timeout = t.Chan()
		}
		if d.born == nil {
			d.born = make(chan struct{})
		}
		born := d.born
		d.mu.Unlock()
		waited := true
		select {
		case <-born:
			waited = false // a birth: look again
		case <-ctx.Done():
		case <-timeout:
		}
		d.mu.Lock()
		if waited {
			return d.devs[device]
		}
	}
}

// Write sends the value as a DCMD to the node and waits (within ctx) for the
// node's answer. A refusal or failure there is a *RemoteError; a success
// updates the tag with the read-back the node reports, which the engine's
// read-back (Read) then returns.
func (d *Driver) Write(ctx context.Context, tag *datasource.Tag, v datasource.Value) error {
	k, err := parseAddress(tag.Address)
	if err != nil {
		return fmt.Errorf("device %q: tag %s: %w", d.dev.Name, tag.Name, err)
	}
	user, reason := poll.Operator(ctx) // Engine.Write puts the request's user there
	d.mu.Lock()
	typ := sparkplug.TypeOf(tag)
	rd := d.awaitBirthLocked(ctx, k.device)
	if rd != nil {
		if ms := rd.metrics[k.metric]; ms != nil && ms.typ.Supported() {
			typ = ms.typ
		}
	}
	deviceOnline := rd != nil && rd.online
	d.mu.Unlock()
	id, ch, conn, err := d.request(tag.Name)
	if err != nil {
		return err
	}
	defer d.forget(id)
	if !deviceOnline {
		return &RemoteError{Node: d.set.Node, Message: fmt.Sprintf("%s: device %s of station %s is offline (no DBIRTH from it); nothing was written", tag.Name, k.device, d.set.Node)}
	}

	m := sparkplug.Metric{Name: k.metric, Type: typ, Value: v, Time: d.clock.Now()}
	m.SetProperty(sparkplug.PropRequest, sparkplug.TypeString, datasource.String(id))
	m.SetProperty(sparkplug.PropUser, sparkplug.TypeString, datasource.String(user))
	if reason != "" {
		m.SetProperty(sparkplug.PropReason, sparkplug.TypeString, datasource.String(reason))
	}
	b, err := sparkplug.Encode(&sparkplug.Payload{Time: d.clock.Now(), Metrics: []sparkplug.Metric{m}})
	if err != nil {
		return fmt.Errorf("device %q: tag %s: %w", d.dev.Name, tag.Name, err)
	}
	topic := sparkplug.DeviceTopic(d.set.Group, sparkplug.DCMD, d.set.Node, k.device)
	if k.device == "" {
		topic = sparkplug.NodeTopic(d.set.Group, sparkplug.NCMD, d.set.Node)
	}
	if err := conn.Publish(ctx, topic.String(), b, 0, false); err != nil {
		return fmt.Errorf("device %q: %w", d.dev.Name, err)
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("device %q: no answer from station %s: %w", d.dev.Name, d.set.Node, ctx.Err())
	case res := <-ch:
		if !res.ok {
			return &RemoteError{Node: d.set.Node, Message: res.message}
		}
		if res.hasRB {
			d.mu.Lock()
			if rd := d.devs[k.device]; rd != nil {
				if ms := rd.metrics[k.metric]; ms != nil {
					ms.sample = res.readBack
				}
			}
			d.deliverLocked([]key{k})
			d.mu.Unlock()
		}
		return nil
	}
}

// resultLocked hands a WriteResultMetric to the Write waiting for it.
func (d *Driver) resultLocked(m *sparkplug.Metric) {
	ch := d.pending[m.Value.AsString()]
	if ch == nil {
		return // another viewer's write, or one that gave up
	}
	var r result
	ok, _ := m.Property(sparkplug.PropOK)
	r.ok = ok.Kind() == datasource.KindBool && ok.AsBool()
	if msg, _ := m.Property(sparkplug.PropMessage); msg.Kind() == datasource.KindString {
		r.message = msg.AsString()
	}
	if !r.ok && r.message == "" {
		r.message = "the acquiring station refused the write without saying why"
	}
	if rb, has := m.Property(sparkplug.PropReadBack); has && !rb.IsNone() {
		r.hasRB = true
		r.readBack = datasource.Sample{Value: rb, Time: m.Time}
		if q, ok := m.Property(sparkplug.PropReadBackQuality); ok {
			c, _ := q.AsInt()
			r.readBack.Quality = sparkplug.QualityOf(int32(max(min(c, 1<<31-1), -1<<31)))
		}
		if r.readBack.Time.IsZero() {
			r.readBack.Time = d.clock.Now()
		}
	}
	select {
	case ch <- r:
	default: // answered twice: the first answer counts
	}
}
