package mqtt

import (
	"context"
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
)

// scripted is an edge node played by the test message by message, to drive
// the driver through the protocol's corner cases.
type scripted struct {
	t    *testing.T
	conn *sparkplug.Conn
	cmds chan sparkplug.Message
}

func scriptNode(t *testing.T, b *sparkplugtest.Broker) *scripted {
	t.Helper()
	s := &scripted{t: t, cmds: make(chan sparkplug.Message, 100)}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	conn, err := sparkplug.Dial(ctx, sparkplug.Broker{URL: b.URL(), ClientID: "scripted-node"}, nil, func(m sparkplug.Message) { s.cmds <- m })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := conn.Subscribe(ctx, 1, sparkplug.NodeTopic("plant", sparkplug.NCMD, "station1").String()); err != nil {
		t.Fatal(err)
	}
	s.conn = conn
	return s
}

func (s *scripted) send(typ sparkplug.MessageType, device string, seq int, metrics ...sparkplug.Metric) {
	s.t.Helper()
	p := &sparkplug.Payload{Metrics: metrics}
	if seq >= 0 {
		p.Seq, p.HasSeq = uint64(seq), true
	}
	b, err := sparkplug.Encode(p)
	if err != nil {
		s.t.Fatal(err)
	}
	topic := sparkplug.NodeTopic("plant", typ, "station1")
	if device != "" {
		topic = sparkplug.DeviceTopic("plant", typ, "station1", device)
	}
	if err := s.conn.Publish(context.Background(), topic.String(), b, 1, false); err != nil {
		s.t.Fatal(err)
	}
}

// rebirthRequested waits for the driver's NCMD Node Control/Rebirth.
func (s *scripted) rebirthRequested() {
	s.t.Helper()
	for {
		select {
		case m := <-s.cmds:
			p, err := sparkplug.Decode(m.Payload)
			if err == nil && len(p.Metrics) == 1 && p.Metrics[0].Name == sparkplug.RebirthMetric && p.Metrics[0].Value.AsBool() {
				return
			}
		case <-ctxDone(s.t):
			s.t.Fatal("no rebirth request")
		}
	}
}

func ctxDone(t *testing.T) <-chan struct{} {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx.Done()
}

func level(v float64) sparkplug.Metric {
	return sparkplug.Metric{Name: "Tank1.Level", Type: sparkplug.TypeFloat, Value: datasource.Float(v)}
}

func bdSeq(v int64) sparkplug.Metric {
	return sparkplug.Metric{Name: sparkplug.BdSeqMetric, Type: sparkplug.TypeInt64, Value: datasource.Int(v)}
}

func TestTheDriverFollowsBirthsDeathsAndSequenceGapsOfAnyEdgeNode(t *testing.T) {
	b := sparkplugtest.Start(t)
	node := scriptNode(t, b)
	v := startViewer(t, b)
	node.rebirthRequested() // the driver asks on connect: births are not retained

	node.send(sparkplug.NBIRTH, "", 0, bdSeq(3))
	node.send(sparkplug.DBIRTH, "PLC1", 1, level(10))
	v.await(t, 0, "the birth value", is(datasource.Float(10), datasource.QualityGood))
	v.await(t, 1, "a metric the birth lacks", bad(datasource.ConfigError))

	node.send(sparkplug.DDATA, "PLC1", 2, level(11))
	v.await(t, 0, "data in sequence", is(datasource.Float(11), datasource.QualityGood))

	node.send(sparkplug.DDATA, "PLC1", 7, level(12)) // seq 3..6 lost
	node.rebirthRequested()
	if got := v.table.Get(0).Value; got != datasource.Float(11) {
		t.Errorf("data after a gap was applied: %v", got)
	}

	node.send(sparkplug.NBIRTH, "", 0, bdSeq(3))
	node.send(sparkplug.DBIRTH, "PLC1", 1, level(12))
	v.await(t, 0, "the rebirth", is(datasource.Float(12), datasource.QualityGood))

	node.send(sparkplug.DDEATH, "PLC1", 2)
	v.await(t, 0, "DDEATH", is(datasource.Float(12), datasource.BadQuality(datasource.NotConnected)))
	node.send(sparkplug.DBIRTH, "PLC1", 3, level(13))
	v.await(t, 0, "the device born again", is(datasource.Float(13), datasource.QualityGood))

	node.send(sparkplug.NDEATH, "", -1, bdSeq(2)) // the will of an older session
	node.send(sparkplug.DDATA, "PLC1", 4, level(14))
	v.await(t, 0, "an old NDEATH is ignored", is(datasource.Float(14), datasource.QualityGood))
	node.send(sparkplug.NDEATH, "", -1, bdSeq(3))
	v.await(t, 0, "the current NDEATH", is(datasource.Float(14), datasource.BadQuality(datasource.NotConnected)))

	node.send(sparkplug.DDATA, "PLC1", 5, level(15)) // data of a dead node: ask for a birth
	node.rebirthRequested()
}
