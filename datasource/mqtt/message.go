package mqtt

import (
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
)

// onMessage applies one message of the node to the driver's state and
// publishes the tags it changed. It runs on the connection's goroutine.
func (d *Driver) onMessage(msg sparkplug.Message) {
	if d.set.PrimaryHost != "" && msg.Topic == d.stateTopic() {
		d.onState(msg.Payload)
		return
	}
	t, err := sparkplug.ParseTopic(msg.Topic)
	if err != nil || t.Group != d.set.Group || t.Node != d.set.Node {
		return
	}
	if t.Type == sparkplug.NCMD || t.Type == sparkplug.DCMD {
		return // commands: ours or another host's
	}
	p, err := sparkplug.Decode(msg.Payload)
	if err != nil {
		d.log.Warn("message ignored", "topic", msg.Topic, "err", err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		return // closing
	}
	if t.Type == sparkplug.NDEATH {
		d.deathLocked(p)
		return
	}
	if !d.seqLocked(t, p) {
		return
	}
	var changed []key
	switch t.Type {
	case sparkplug.NBIRTH:
		d.online, d.asked = true, false
		d.alarms, d.alarmsChanged = nil, true
		for _, rd := range d.devs {
			rd.online = false // every device is born again after its node
		}
		if m, ok := metricByName(p, sparkplug.BdSeqMetric); ok {
			d.bdSeq, _ = m.Value.AsInt()
		}
		changed = d.birthLocked("", p)
	case sparkplug.DBIRTH:
		changed = d.birthLocked(t.Device, p)
	case sparkplug.NDATA, sparkplug.DDATA:
		rd := d.devs[t.Device]
		if rd == nil || !rd.online {
			d.rebirthLocked("data before a birth")
			return
		}
		changed = d.dataLocked(rd, t.Device, p)
	case sparkplug.DDEATH:
		if rd := d.devs[t.Device]; rd != nil && rd.online {
			rd.online, rd.dead = false, true
			changed = keysOf(t.Device, rd)
		}
	}
	d.deliverLocked(changed)
	d.notifyAlarmsLocked()
}

// notifyAlarmsLocked tells Stations that the node's alarms changed.
func (d *Driver) notifyAlarmsLocked() {
	if d.alarmsChanged && d.stations != nil {
		d.stations.notify()
	}
	d.alarmsChanged = false
}

// seqLocked checks that the message carries the seq that follows the last
// one (an NBIRTH starts again from 0); on a gap it asks for a rebirth and
// the message is dropped.
func (d *Driver) seqLocked(t sparkplug.Topic, p *sparkplug.Payload) bool {
	if !p.HasSeq {
		return true // a node that sends no seq: nothing to check
	}
	seq := int(p.Seq % 256)
	if t.Type == sparkplug.NBIRTH {
		d.nextSeq = (seq + 1) % 256
		return true
	}
	if d.nextSeq >= 0 && seq != d.nextSeq {
		d.log.Warn("sequence gap; asking for a rebirth", "want", d.nextSeq, "got", seq, "type", t.Type)
		d.nextSeq = -1
		d.rebirthLocked("sequence gap")
		return false
	}
	d.nextSeq = (seq + 1) % 256
	return true
}

// rebirthLocked asks the node for a rebirth, once until the next NBIRTH.
func (d *Driver) rebirthLocked(why string) {
	if d.asked || d.conn == nil {
		return
	}
	d.asked = true
	d.log.Info("asking the node for a rebirth", "why", why)
	b, err := sparkplug.Encode(&sparkplug.Payload{Time: d.clock.Now(), Metrics: []sparkplug.Metric{
		{Name: sparkplug.RebirthMetric, Type: sparkplug.TypeBoolean, Value: datasource.Bool(true)},
	}})
	if err == nil {
		// QoS 0 only writes to the connection: safe on its goroutine.
		err = d.conn.PublishNoWait(sparkplug.NodeTopic(d.set.Group, sparkplug.NCMD, d.set.Node).String(), b)
	}
	if err != nil {
		d.log.Warn("rebirth request failed", "err", err)
	}
}

// deathLocked handles NDEATH: the node and all its devices are dead, unless
// the death's bdSeq says it is the will of an older session.
func (d *Driver) deathLocked(p *sparkplug.Payload) {
	if m, ok := metricByName(p, sparkplug.BdSeqMetric); ok && d.bdSeq >= 0 {
		if bd, _ := m.Value.AsInt(); bd != d.bdSeq {
			d.log.Info("NDEATH of an older session ignored", "bdSeq", bd, "current", d.bdSeq)
			return
		}
	}
	d.online = false
	d.nextSeq = -1
	d.alarmsChanged = true
	var changed []key
	for name, rd := range d.devs {
		rd.online = false
		changed = append(changed, keysOf(name, rd)...)
	}
	d.deliverLocked(changed)
	d.notifyAlarmsLocked()
}

// birthLocked replaces what is known of one device (or the node's own
// metrics, device "") with a birth's metrics.
func (d *Driver) birthLocked(device string, p *sparkplug.Payload) []key {
	if d.born != nil {
		close(d.born) // wake the writes waiting for a birth
		d.born = nil
	}
	rd := &remoteDevice{online: true, aliases: map[uint64]string{}, metrics: map[string]*metricState{}}
	old := d.devs[device]
	d.devs[device] = rd
	now := d.clock.Now()
	for i := range p.Metrics {
		m := &p.Metrics[i]
		if m.Name == "" {
			continue
		}
		if m.HasAlias {
			rd.aliases[m.Alias] = m.Name
		}
		if device == "" {
			d.noteAlarmLocked(m)
		}
		rd.metrics[m.Name] = &metricState{typ: m.Type, sample: sampleOf(m, p, now)}
	}
	changed := keysOf(device, rd)
	if old != nil {
		// Metrics the new birth lacks turn ConfigError.
		for name := range old.metrics {
			if rd.metrics[name] == nil {
				changed = append(changed, key{device, name})
			}
		}
	}
	return append(changed, d.missingLocked(device)...)
}

// missingLocked lists the subscribed keys of device that are not metrics of
// its birth, to publish them Bad/ConfigError.
func (d *Driver) missingLocked(device string) []key {
	rd := d.devs[device]
	var out []key
	for s := range d.subs {
		for k := range s.byKey {
			if k.device == device && rd.metrics[k.metric] == nil {
				out = append(out, k)
			}
		}
	}
	return out
}

// dataLocked applies NDATA/DDATA metrics; historical ones (store and forward)
// are not current values: they go to the engine's backfill, for history.
func (d *Driver) dataLocked(rd *remoteDevice, device string, p *sparkplug.Payload) []key {
	var changed []key
	var late []datasource.Sample
	defer func() { d.backfillLocked(late) }()
	now := d.clock.Now()
	for i := range p.Metrics {
		m := &p.Metrics[i]
		name := m.Name
		if name == "" && m.HasAlias {
			name = rd.aliases[m.Alias]
		}
		if name == sparkplug.WriteResultMetric || (device == "" && name == sparkplug.AlarmResultMetric) {
			d.resultLocked(m)
			continue
		}
		if device == "" && !m.Historical {
			m.Name = name
			d.noteAlarmLocked(m)
		}
		ms := rd.metrics[name]
		if ms != nil && m.Historical {
			late = d.historicalLocked(late, key{device, name}, sampleOf(m, p, now))
			continue
		}
		if ms == nil {
			continue
		}
		if m.Type == sparkplug.TypeUnknown {
			m.Type = ms.typ // data messages may leave the type to the birth
		}
		ms.sample = sampleOf(m, p, now)
		changed = append(changed, key{device, name})
	}
	return changed
}

// deliverLocked publishes the current samples of the changed keys to every
// subscription that has tags on them.
func (d *Driver) deliverLocked(changed []key) {
	if len(changed) == 0 {
		return
	}
	for s := range d.subs {
		var out []datasource.Sample
		for _, k := range changed {
			tags := s.byKey[k]
			if len(tags) == 0 {
				continue
			}
			smp, known := d.sampleLocked(k)
			if !known {
				continue
			}
			for _, t := range tags {
				smp.Tag = t.ID
				out = append(out, smp)
			}
		}
		if len(out) > 0 {
			s.publish(out)
		}
	}
}

// sampleOf turns a metric into a sample: its quality from the Quality
// property (Good when absent), a null or unsupported value Bad.
func sampleOf(m *sparkplug.Metric, p *sparkplug.Payload, now time.Time) datasource.Sample {
	s := datasource.Sample{Value: m.Value, Time: m.Time}
	if s.Time.IsZero() {
		s.Time = p.Time
	}
	if s.Time.IsZero() {
		s.Time = now
	}
	if q, ok := m.Property(sparkplug.QualityProperty); ok {
		if c, ok := q.AsInt(); ok {
			s.Quality = sparkplug.QualityOf(int32(max(min(c, 1<<31-1), -1<<31)))
		}
	}
	if m.Value.IsNone() && s.Quality.IsGood() {
		if m.Type.Supported() {
			s.Quality = datasource.BadQuality(datasource.ReasonNone) // null: no value
		} else {
			s.Quality = datasource.BadQuality(datasource.ConfigError)
		}
	}
	return s
}

func keysOf(device string, rd *remoteDevice) []key {
	out := make([]key, 0, len(rd.metrics))
	for name := range rd.metrics {
		out = append(out, key{device, name})
	}
	return out
}

func metricByName(p *sparkplug.Payload, name string) (*sparkplug.Metric, bool) {
	for i := range p.Metrics {
		if p.Metrics[i].Name == name {
			return &p.Metrics[i], true
		}
	}
	return nil, false
}
