package mqtt

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
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

// A node's NBIRTH takes its devices offline until their DBIRTHs, which
// follow at once; a write that lands between the two (another viewer asked
// for the rebirth) waits for the DBIRTH and goes out, rather than being
// refused with "no DBIRTH".
func TestAWriteBetweenANodesBirthAndItsDevicesWaitsForTheDevice(t *testing.T) {
	b := sparkplugtest.Start(t)
	node := scriptNode(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := node.conn.Subscribe(ctx, 1, sparkplug.DeviceTopic("plant", sparkplug.DCMD, "station1", "PLC1").String()); err != nil {
		t.Fatal(err)
	}
	v := startViewer(t, b)
	node.rebirthRequested()
	sp := func(x float64) sparkplug.Metric {
		return sparkplug.Metric{Name: "Tank1.LevelSP", Type: sparkplug.TypeFloat, Value: datasource.Float(x)}
	}
	node.send(sparkplug.NBIRTH, "", 0, bdSeq(3))
	node.send(sparkplug.DBIRTH, "PLC1", 1, level(10), sp(50))
	v.await(t, 1, "the birth value", is(datasource.Float(50), datasource.QualityGood))

	// A rebirth: PLC1 is offline until its DBIRTH. The viewer takes it in
	// (no quality shows it: the DBIRTH is due at once).
	node.send(sparkplug.NBIRTH, "", 0, bdSeq(3))
	time.Sleep(200 * time.Millisecond)
	wctx, wcancel := context.WithTimeout(context.Background(), time.Second) // the script never answers the DCMD
	defer wcancel()
	errc := make(chan error, 1)
	go func() {
		_, err := v.engine.Write(wctx, poll.WriteRequest{Tag: 1, Value: datasource.Float(60), User: "alice"})
		errc <- err
	}()
	time.Sleep(200 * time.Millisecond) // let the write reach the driver (without the wait it is refused by now)
	node.send(sparkplug.DBIRTH, "PLC1", 1, level(10), sp(50))
	for {
		select {
		case m := <-node.cmds:
			if strings.Contains(m.Topic, "/DCMD/") {
				<-errc // the write ends at its deadline, unanswered
				return
			}
		case err := <-errc:
			t.Fatalf("the write ended before a DCMD went out: %v", err)
		case <-ctxDone(t):
			t.Fatal("no DCMD")
		}
	}
}
