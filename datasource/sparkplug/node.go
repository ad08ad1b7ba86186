package sparkplug

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
)

// Names of the metrics and properties Vigil adds to the Sparkplug B ones.
const (
	// BdSeqMetric and RebirthMetric are the node metrics the specification
	// requires in every NBIRTH; a host writes RebirthMetric true in an NCMD
	// to ask for new births.
	BdSeqMetric   = "bdSeq"
	RebirthMetric = "Node Control/Rebirth"
	// WriteResultMetric is a device metric of a node that accepts writes:
	// its value is the request id of a DCMD write just done, its properties
	// the outcome (PropOK, PropMessage, PropReadBack, PropReadBackQuality,
	// PropTag, PropUser).
	WriteResultMetric = "Vigil/Write Result"

	// Properties of a DCMD write metric, set by the viewing station.
	PropRequest = "vigil.request" // a request id, unique per viewer, echoed in the result
	PropUser    = "vigil.user"    // the user logged in at the viewer
	PropReason  = "vigil.reason"  // the operator's reason, for the audit trail

	// Properties of a WriteResultMetric.
	PropTag             = "tag"
	PropOK              = "ok"      // Boolean: the write was done and read back equal
	PropMessage         = "message" // the refusal or failure, verbatim, for the operator
	PropReadBack        = "readBack"
	PropReadBackQuality = "readBackQuality"

	// Properties of a tag metric in a birth.
	PropUnits       = "engUnit"
	PropLow         = "engLow"
	PropHigh        = "engHigh"
	PropDescription = "description"
	PropWritable    = "writable"
)

// Node defaults.
const (
	DefaultBuffer         = 100_000
	DefaultQueue          = 1 << 16
	DefaultCommandTimeout = 10 * time.Second
	DefaultBackoffMin     = 500 * time.Millisecond
	DefaultBackoffMax     = 30 * time.Second
	// ConnectTimeout bounds the dial of one connect of the node: TCP, TLS
	// and CONNECT up to the broker's CONNACK.
	ConnectTimeout       = 10 * time.Second
	maxMetricsPerMessage = 1000 // store and forward sends the backlog in messages of this many metrics
)

// Commander runs a write that came from another station (a DCMD) through
// the station's own write path: authorization of cmd.User, limits, the device
// write and read-back, the audit trail. It returns the read-back sample, or
// the refusal or failure, whose message is shown verbatim to the viewer's
// operator.
type Commander interface {
	Write(ctx context.Context, cmd WriteCommand) (datasource.Sample, error)
}

// WriteCommand is one write a viewing station asked for. The Commander
// gets every write, even one it must refuse (so that it can record the
// refusal): Tag is nil when no tag of the device has the metric's name,
// and Value is none when the command carries none.
type WriteCommand struct {
	Tag     *datasource.Tag
	Name    string // the metric's name, as the command gives it
	Value   datasource.Value
	User    string // the viewer's logged-in user, as the viewer says (the broker authenticates the viewer)
	Reason  string
	Request string // the viewer's request id
}

// NodeConfig is what NewNode needs.
type NodeConfig struct {
	Broker Broker
	Group  string // Sparkplug group id
	Node   string // edge node id: the station
	// Tags are the project's tags, index == TagID; system tags are not
	// published. Each Vigil device becomes a Sparkplug device.
	Tags  []*datasource.Tag
	Table *datasource.Table
	// Commander runs DCMD writes; nil refuses every write.
	Commander Commander
	// Alarms is the station's alarm engine, whose states the node publishes
	// and whose actions other stations send; nil publishes no alarms.
	Alarms         AlarmBoard
	CommandTimeout time.Duration // 0: DefaultCommandTimeout
	// Buffer bounds store and forward in memory: samples kept while the
	// broker is away (0: DefaultBuffer). Beyond it the oldest leave memory:
	// with History they are read back from it on reconnect, without it they
	// are dropped and counted.
	Buffer int
	// History is the station's history (the wiring adapts *history.Store):
	// the part of an outage that outgrew Buffer is read back from it and
	// forwarded first.
	// Only tags with history are there (with their deadband); nil: the
	// overflow is lost.
	History HistorySource
	Queue   int // the table subscription's size; 0: DefaultQueue
	// PrimaryHost is the host id of the primary host application
	// (Sparkplug B 3.0): the node publishes its births, forwards its
	// backlog and publishes data only while that host's STATE says it is
	// online, and buffers otherwise, so the host gets every sample of an
	// outage whichever of the two reaches the broker first. Empty: the
	// node publishes whenever it is connected.
	PrimaryHost string
	Backoff     datasource.Backoff
	Clock       clockwork.Clock // nil: the real clock
	Logger      *slog.Logger    // nil: discard
}

// NodeStatus is a snapshot of the edge node, for status displays and tests.
type NodeStatus struct {
	Connected bool
	// WaitingForHost: connected, but the primary host is not online, so
	// nothing is published and changes are buffered.
	WaitingForHost bool
	BdSeq          uint64 // of the current (or last) connection
	Births         uint64 // NBIRTHs published
	Messages       uint64 // messages published, births included
	Backlog        int    // samples waiting for the broker
	Forwarded      uint64 // backlog samples sent as historical, from memory or history
	Spilled        uint64 // backlog samples that left memory for history's copy
	Dropped        uint64 // backlog samples lost to the Buffer bound (no History)
	Commands       uint64 // DCMD writes run
	LastError      string
}

// Node is a Sparkplug B edge node that publishes a station's tags. Build it
// with NewNode; Run publishes until its context ends.
type Node struct {
	cfg     NodeConfig
	clock   clockwork.Clock
	log     *slog.Logger
	devices []*nodeDevice
	byTag   map[datasource.TagID]*nodeTag
	byName  map[string]*nodeTag

	rebirth chan struct{} // cap 1: a pending rebirth request
	cmds    chan command  // DCMD writes waiting for the worker

	alarms        map[string]AlarmState // what was last published, by metric name; the serving goroutine's
	alarmsVersion uint64                // the AlarmBoard's version of alarms

	sendMu sync.Mutex // guards seq and conn, and orders every publish
	seq    uint64
	conn   *Conn

	mu      sync.Mutex // guards backlog, spill and status
	backlog []datasource.Sample
	// spill is the span [spillFrom, spillTo] of samples that left the
	// backlog for history; every sample still in the backlog is newer.
	spill              bool
	spillFrom, spillTo time.Time
	status             NodeStatus
	nextBd             uint64 // the bdSeq of the next CONNECT
}

type nodeDevice struct {
	name string
	tags []*nodeTag
}

type nodeTag struct {
	tag  *datasource.Tag
	dev  *nodeDevice
	typ  DataType
	last datasource.Sample // last value and quality sent (or buffered); only the serving goroutine touches it
	sent bool
}

type command struct {
	device string
	metric Metric
}

// NewNode checks cfg and builds the edge node. It does no I/O.
func NewNode(cfg NodeConfig) (*Node, error) {
	if err := ValidID(cfg.Group); err != nil {
		return nil, fmt.Errorf("sparkplug: group: %w", err)
	}
	if err := ValidID(cfg.Node); err != nil {
		return nil, fmt.Errorf("sparkplug: node: %w", err)
	}
	if err := CheckURL(cfg.Broker.URL); err != nil {
		return nil, fmt.Errorf("sparkplug: %w", err)
	}
	if cfg.PrimaryHost != "" {
		if err := ValidID(cfg.PrimaryHost); err != nil {
			return nil, fmt.Errorf("sparkplug: primary host: %w", err)
		}
	}
	if cfg.Table == nil {
		return nil, errors.New("sparkplug: no table")
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = DefaultCommandTimeout
	}
	if cfg.Backoff.Min <= 0 {
		cfg.Backoff.Min = DefaultBackoffMin
	}
	if cfg.Backoff.Max < cfg.Backoff.Min {
		cfg.Backoff.Max = max(DefaultBackoffMax, cfg.Backoff.Min)
	}
	if cfg.Broker.ClientID == "" {
		cfg.Broker.ClientID = "vigil-" + cfg.Group + "-" + cfg.Node
	}
	n := &Node{
		cfg:     cfg,
		clock:   cfg.Clock,
		log:     cfg.Logger,
		byTag:   make(map[datasource.TagID]*nodeTag),
		byName:  make(map[string]*nodeTag),
		rebirth: make(chan struct{}, 1),
		cmds:    make(chan command, 64),
	}
	if n.clock == nil {
		n.clock = clockwork.NewRealClock()
	}
	if n.log == nil {
		n.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	n.log = n.log.With("sparkplug_node", cfg.Group+"/"+cfg.Node)
	devs := make(map[string]*nodeDevice)
	for _, t := range cfg.Tags {
		if t == nil || t.System {
			continue
		}
		devName := t.Device
		if t.Calc != nil {
			devName = CalcDevice
		}
		if err := ValidID(devName); err != nil {
			return nil, fmt.Errorf("sparkplug: tag %q: device: %w", t.Name, err)
		}
		d := devs[devName]
		if d == nil {
			d = &nodeDevice{name: devName}
			devs[devName] = d
			n.devices = append(n.devices, d)
		}
		nt := &nodeTag{tag: t, dev: d, typ: TypeOf(t)}
		d.tags = append(d.tags, nt)
		n.byTag[t.ID] = nt
		n.byName[t.Name] = nt
	}
	return n, nil
}

// Status returns a snapshot of the node's state.
func (n *Node) Status() NodeStatus {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.status
	s.Backlog = len(n.backlog)
	return s
}

// Run publishes the table's changes until ctx ends: it connects (retrying
// with backoff), publishes the births, forwards the backlog, then DDATA on
// every change; while the broker is away it buffers. On return it has
// published NDEATH and disconnected. It returns nil when ctx ends.
func (n *Node) Run(ctx context.Context) error {
	sub := n.cfg.Table.Subscribe("sparkplug", n.cfg.Queue)
	defer sub.Close()

	var wg sync.WaitGroup
	wctx, stopWorker := context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		n.commandWorker(wctx)
	}()
	defer wg.Wait()
	defer stopWorker()

	var buf []datasource.Sample
	attempt := 0
	for {
		conn, host, err := n.connect(ctx)
		if err == nil {
			attempt = 0
			err = n.serve(ctx, conn, host, sub, &buf)
		}
		if ctx.Err() != nil {
			return nil
		}
		n.setError(err)
		if errors.Is(err, errHostOffline) {
			n.log.Warn("the primary host went offline: NDEATH published, disconnected; buffering", "host", n.cfg.PrimaryHost)
		} else {
			n.log.Warn("broker connection failed; buffering", "err", err)
		}
		delay := n.cfg.Backoff.Delay(attempt, rand.Int64N)
		attempt++
		if err := n.wait(ctx, delay, sub, &buf); err != nil {
			return nil
		}
	}
}

// wait waits delay on the clock while buffering what the table publishes.
func (n *Node) wait(ctx context.Context, delay time.Duration, sub *datasource.Subscription, buf *[]datasource.Sample) error {
	t := n.clock.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.Chan():
			return nil
		case <-sub.Ready():
			*buf = sub.TryRecv((*buf)[:0])
			n.buffer(n.changed(*buf))
		}
	}
}

func (n *Node) setError(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.status.Connected, n.status.WaitingForHost = false, false
	if err != nil {
		n.status.LastError = err.Error()
	}
}

// errHostOffline ends a connection on which the primary host's STATE went
// offline: the node published NDEATH and disconnected, as Sparkplug B 3.0
// asks, and waits on its next connection for the host to be back.
var errHostOffline = errors.New("the primary host application went offline")

// connect dials with NDEATH as will and subscribes to the node's commands.
// Without a primary host it publishes the births and forwards the backlog;
// with one it subscribes to the host's STATE first and returns its watch:
// serve publishes once the host is online.
func (n *Node) connect(ctx context.Context) (*Conn, *hostWatch, error) {
	// Every CONNECT takes the next bdSeq, so a host can tell the will of
	// an old session from the death of the current one.
	n.mu.Lock()
	bd := n.nextBd
	n.nextBd = (n.nextBd + 1) % 256
	n.status.BdSeq = bd
	n.mu.Unlock()
	death, err := n.death(bd)
	if err != nil {
		return nil, nil, err
	}
	will := &Will{Topic: NodeTopic(n.cfg.Group, NDEATH, n.cfg.Node).String(), Payload: death, QoS: 1}
	// A broker address that swallows packets must not hold the node for the
	// operating system's TCP timeout while changes pile up unbuffered.
	dctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	onMessage := n.onMessage
	var host *hostWatch
	if n.cfg.PrimaryHost != "" {
		// A new watch per connection: the retained STATE the broker holds
		// now is what counts, not what an earlier connection saw.
		host = newHostWatch()
		stateTopic := StateTopic(n.cfg.PrimaryHost).String()
		onMessage = func(m Message) {
			if m.Topic != stateTopic {
				n.onMessage(m)
				return
			}
			if err := host.observe(m.Payload); err != nil {
				n.log.Warn("STATE of the primary host ignored", "topic", m.Topic, "err", err)
			}
		}
	}
	conn, err := Dial(dctx, n.cfg.Broker, will, onMessage)
	if err != nil {
		return nil, nil, err
	}
	if host != nil {
		err = conn.Subscribe(ctx, 1, StateTopic(n.cfg.PrimaryHost).String())
	}
	if err == nil {
		err = conn.Subscribe(ctx, 0,
			NodeTopic(n.cfg.Group, NCMD, n.cfg.Node).String(),
			DeviceTopic(n.cfg.Group, DCMD, n.cfg.Node, "+").String())
	}
	if err == nil && host == nil {
		err = n.goLive(ctx, conn, bd)
	}
	if err != nil {
		_ = conn.Close() // the error that broke the connection is the one to report
		return nil, nil, err
	}
	n.mu.Lock()
	n.status.Connected = true
	n.status.WaitingForHost = host != nil
	n.status.LastError = ""
	n.mu.Unlock()
	if host != nil {
		n.log.Info("connected to the broker; waiting for the primary host to be online", "broker", n.cfg.Broker.URL, "host", n.cfg.PrimaryHost, "bdSeq", bd)
	} else {
		n.log.Info("connected to the broker; births published", "broker", n.cfg.Broker.URL, "bdSeq", bd)
	}
	return conn, host, nil
}

// goLive makes conn the node's publishing connection, publishes the births
// (bdSeq bd) and forwards the backlog. On an error conn is no longer the
// node's; closing it is the caller's.
func (n *Node) goLive(ctx context.Context, conn *Conn, bd uint64) error {
	n.sendMu.Lock()
	n.conn = conn
	n.sendMu.Unlock()
	err := n.birth(ctx, bd)
	if err == nil {
		err = n.forward(ctx)
	}
	if err != nil {
		n.dropConn()
	}
	return err
}

// death is the NDEATH payload of the session with bdSeq bd: the will of
// its CONNECT, and what a clean stop publishes.
func (n *Node) death(bd uint64) ([]byte, error) {
	return Encode(&Payload{
		Time:    n.clock.Now(),
		Metrics: []Metric{{Name: BdSeqMetric, Type: TypeInt64, Value: datasource.Int(int64(bd))}},
	})
}

func (n *Node) dropConn() {
	n.sendMu.Lock()
	n.conn = nil
	n.sendMu.Unlock()
}

// serve publishes changes and answers rebirth requests until the connection
// or ctx ends. With a primary host (host not nil) it publishes only while
// the host is online: until then it buffers; when the host comes online it
// publishes the births and forwards the backlog; when the host goes
// offline it publishes NDEATH and disconnects (errHostOffline).
func (n *Node) serve(ctx context.Context, conn *Conn, host *hostWatch, sub *datasource.Subscription, buf *[]datasource.Sample) error {
	defer n.dropConn()
	live := host == nil // births published on this connection
	var hostChanged <-chan struct{}
	if host != nil {
		hostChanged = host.changed
	}
	var alarmTick <-chan time.Time
	if n.cfg.Alarms != nil {
		t := n.clock.NewTicker(AlarmPoll)
		defer t.Stop()
		alarmTick = t.Chan()
	}
	for {
		select {
		case <-hostChanged:
			online, at := host.online()
			switch {
			case online && !live:
				n.mu.Lock()
				bd := n.status.BdSeq
				n.mu.Unlock()
				if err := n.goLive(ctx, conn, bd); err != nil {
					_ = conn.Close() // reconnecting: the publish error is the one to report
					return err
				}
				live = true
				select {
				case <-n.rebirth: // asked before the births just published: they answer it
				default:
				}
				n.mu.Lock()
				n.status.WaitingForHost = false
				n.mu.Unlock()
				n.log.Info("the primary host is online; births published, backlog forwarded", "host", n.cfg.PrimaryHost, "state_timestamp", at)
			case !online && live:
				n.dropConn() // no data may follow the NDEATH
				n.goodbye(conn)
				return errHostOffline
			}
		case <-alarmTick:
			if !live {
				continue
			}
			if err := n.publishAlarms(ctx); err != nil {
				_ = conn.Close() // reconnecting: the publish error is the one to report
				return err
			}
		case <-ctx.Done():
			if !live {
				_ = conn.Close() // nothing was born on it: the clean disconnect drops the will
				return nil
			}
			n.dropConn()
			n.goodbye(conn)
			return nil
		case <-conn.Done():
			return conn.Err()
		case <-n.rebirth:
			if !live {
				continue // the births come when the host is online
			}
			n.mu.Lock()
			bd := n.status.BdSeq
			n.mu.Unlock()
			if err := n.birth(ctx, bd); err != nil {
				_ = conn.Close() // reconnecting: the publish error is the one to report
				return err
			}
			n.log.Info("rebirth on request")
		case <-sub.Ready():
			*buf = sub.TryRecv((*buf)[:0])
			changed := n.changed(*buf)
			if !live {
				n.buffer(changed)
				continue
			}
			if err := n.publishData(ctx, changed, false); err != nil {
				n.buffer(changed)
				_ = conn.Close() // reconnecting: the publish error is the one to report
				return err
			}
		}
	}
}

// goodbye publishes NDEATH (the clean disconnect drops the will) and
// disconnects.
func (n *Node) goodbye(conn *Conn) {
	n.mu.Lock()
	bd := n.status.BdSeq
	n.status.Connected = false
	n.mu.Unlock()
	death, err := n.death(bd)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = conn.Publish(ctx, NodeTopic(n.cfg.Group, NDEATH, n.cfg.Node).String(), death, 1, false)
		cancel()
	}
	if err != nil {
		n.log.Warn("NDEATH not published; the broker sends the will instead", "err", err)
	}
	if err := conn.Close(); err != nil {
		n.log.Debug("disconnect", "err", err)
	}
}

// changed keeps the samples whose value or quality differ from what was last
// sent for the tag, and remembers them as sent.
func (n *Node) changed(batch []datasource.Sample) []datasource.Sample {
	out := batch[:0:0]
	for _, s := range batch {
		nt := n.byTag[s.Tag]
		if nt == nil {
			continue
		}
		if nt.sent && nt.last.Value == s.Value && nt.last.Quality == s.Quality {
			continue
		}
		nt.last, nt.sent = s, true
		out = append(out, s)
	}
	return out
}

// buffer appends samples to the store-and-forward backlog. Beyond the
// bound the oldest leave it: for History to give back on reconnect, or
// dropped without one.
func (n *Node) buffer(samples []datasource.Sample) {
	if len(samples) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.backlog = append(n.backlog, samples...)
	over := len(n.backlog) - n.cfg.Buffer
	if over <= 0 {
		return
	}
	if n.cfg.History == nil {
		n.status.Dropped += uint64(over)
		n.backlog = append(n.backlog[:0], n.backlog[over:]...)
		return
	}
	// Spill whole instants: the span read back from history ends at the
	// newest spilled time, so no kept sample may share it.
	to := n.backlog[over-1].Time
	for over < len(n.backlog) && !n.backlog[over].Time.After(to) {
		over++
	}
	if !n.spill {
		n.spill, n.spillFrom = true, n.backlog[0].Time
	}
	n.spillTo = to
	n.status.Spilled += uint64(over)
	n.backlog = append(n.backlog[:0], n.backlog[over:]...)
}

// forward sends what was kept while the broker was away as historical
// DDATA, oldest first: the span that went to history, then the backlog,
// each message's samples removed once it is published.
func (n *Node) forward(ctx context.Context) error {
	if err := n.forwardSpill(ctx); err != nil {
		return err
	}
	for {
		n.mu.Lock()
		k := min(len(n.backlog), maxMetricsPerMessage)
		chunk := append([]datasource.Sample(nil), n.backlog[:k]...)
		n.mu.Unlock()
		if k == 0 {
			return nil
		}
		if err := n.publishData(ctx, chunk, true); err != nil {
			return err
		}
		n.mu.Lock()
		n.backlog = append(n.backlog[:0], n.backlog[k:]...)
		n.status.Forwarded += uint64(k)
		n.mu.Unlock()
	}
}

// forwardSpill reads the spilled span back from history and sends it. The
// span's start moves past each message sent, so a connection lost midway
// resends nothing.
func (n *Node) forwardSpill(ctx context.Context) error {
	n.mu.Lock()
	spill, from, to := n.spill, n.spillFrom, n.spillTo
	n.mu.Unlock()
	if !spill {
		return nil
	}
	samples, err := n.readBack(ctx, from, to)
	if err != nil {
		// History that cannot be read must not hold the live data back.
		n.log.Warn("store and forward: the outage's overflow could not be read from history; it is not forwarded", "from", from, "to", to, "err", err)
		n.mu.Lock()
		n.spill = false
		n.mu.Unlock()
		return nil
	}
	for len(samples) > 0 {
		k := min(len(samples), maxMetricsPerMessage)
		if err := n.publishData(ctx, samples[:k], true); err != nil {
			return err
		}
		n.mu.Lock()
		n.spillFrom = samples[k-1].Time.Add(time.Nanosecond)
		n.status.Forwarded += uint64(k)
		n.mu.Unlock()
		samples = samples[k:]
	}
	n.mu.Lock()
	n.spill = false
	n.mu.Unlock()
	return nil
}

// readBack returns the history of every published tag in [from, to] as
// samples of the tags' types, in time order.
func (n *Node) readBack(ctx context.Context, from, to time.Time) ([]datasource.Sample, error) {
	var out []datasource.Sample
	for _, d := range n.devices {
		for _, nt := range d.tags {
			if !nt.tag.History.Enabled {
				continue
			}
			pts, err := n.cfg.History.StoredPoints(ctx, nt.tag.Name, from, to)
			if err != nil {
				return nil, fmt.Errorf("tag %s: %w", nt.tag.Name, err)
			}
			for _, p := range pts {
				out = append(out, pointSample(nt.tag.ID, nt.typ, p))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b datasource.Sample) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// pointSample turns a history point back into a sample of metric type typ:
// history keeps numbers, so bools and integers come back from their value.
func pointSample(id datasource.TagID, typ DataType, p StoredPoint) datasource.Sample {
	s := datasource.Sample{Tag: id, Time: p.Time, Quality: p.Quality}
	switch {
	case math.IsNaN(p.Value):
	case typ == TypeBoolean:
		s.Value = datasource.Bool(p.Value != 0)
	case typ >= TypeInt8 && typ <= TypeInt64:
		s.Value = datasource.Int(int64(math.Round(p.Value)))
	case typ >= TypeUInt8 && typ <= TypeUInt64:
		s.Value = datasource.Uint(uint64(math.Round(math.Max(0, p.Value))))
	default:
		s.Value = datasource.Float(p.Value)
	}
	return s
}

// HistorySource reads a tag's stored samples, every one in [from, to] in
// time order. The node is a consumer of the tag table beside history, not
// above it, so it names what it needs here and the wiring adapts
// *history.Store to it (cmd/vigil/internal/cli).
type HistorySource interface {
	StoredPoints(ctx context.Context, tag string, from, to time.Time) ([]StoredPoint, error)
}

// StoredPoint is one stored sample as history keeps it: a number (bools
// as 0 and 1), NaN for a gap (a Bad sample), and its quality.
type StoredPoint struct {
	Time    time.Time
	Value   float64
	Quality datasource.Quality
}

// publishData publishes samples as DDATA, one message per device and in
// the order of the samples within it.
func (n *Node) publishData(ctx context.Context, samples []datasource.Sample, historical bool) error {
	if len(samples) == 0 {
		return nil
	}
	var order []*nodeDevice
	per := make(map[*nodeDevice][]Metric)
	for _, s := range samples {
		nt := n.byTag[s.Tag]
		if nt == nil {
			continue
		}
		if _, ok := per[nt.dev]; !ok {
			order = append(order, nt.dev)
		}
		m := metricOf(nt, s, false)
		m.Historical = historical
		per[nt.dev] = append(per[nt.dev], m)
	}
	for _, d := range order {
		if err := n.send(ctx, DeviceTopic(n.cfg.Group, DDATA, n.cfg.Node, d.name), per[d]); err != nil {
			return err
		}
	}
	return nil
}

// metricOf is the metric of one sample of a tag: its quality as a property
// (only when not Good, except in births), a value that does not fit the
// tag's metric type as null with Bad/ConfigError.
func metricOf(nt *nodeTag, s datasource.Sample, birth bool) Metric {
	m := Metric{Name: nt.tag.Name, Type: nt.typ, Time: s.Time, Value: s.Value}
	q := s.Quality
	if !m.Value.IsNone() {
		if _, err := wireValue(m.Type, m.Value); err != nil {
			m.Value = datasource.Value{}
			q = datasource.BadQuality(datasource.ConfigError)
		}
	}
	if birth || !q.IsGood() || q.Reason != datasource.ReasonNone {
		m.SetProperty(QualityProperty, TypeInt32, datasource.Int(int64(QualityCode(q))))
	}
	return m
}

// send publishes one payload with the node's next seq.
func (n *Node) send(ctx context.Context, topic Topic, metrics []Metric) error {
	n.sendMu.Lock()
	defer n.sendMu.Unlock()
	return n.sendLocked(ctx, topic, metrics)
}

func (n *Node) sendLocked(ctx context.Context, topic Topic, metrics []Metric) error {
	if n.conn == nil {
		return errors.New("not connected to the broker")
	}
	p := &Payload{Time: n.clock.Now(), Seq: n.seq, HasSeq: true, Metrics: metrics}
	b, err := Encode(p)
	if err != nil {
		return fmt.Errorf("%s: %w", topic, err)
	}
	if err := n.conn.Publish(ctx, topic.String(), b, 0, false); err != nil {
		return err
	}
	n.seq = (n.seq + 1) % 256
	n.mu.Lock()
	n.status.Messages++
	n.mu.Unlock()
	return nil
}

// birth publishes NBIRTH (seq 0, bdSeq bd) and a DBIRTH per device with the
// table's current values.
func (n *Node) birth(ctx context.Context, bd uint64) error {
	n.sendMu.Lock()
	defer n.sendMu.Unlock()
	n.seq = 0
	now := n.clock.Now()
	nodeMetrics := []Metric{
		{Name: BdSeqMetric, Type: TypeInt64, Value: datasource.Int(int64(bd)), Time: now},
		{Name: RebirthMetric, Type: TypeBoolean, Value: datasource.Bool(false), Time: now},
	}
	if n.cfg.Alarms != nil {
		n.alarmsVersion = n.cfg.Alarms.Version()
		n.alarms = make(map[string]AlarmState)
		for _, a := range n.cfg.Alarms.States() {
			m := AlarmMetric(a, now)
			n.alarms[m.Name] = a
			nodeMetrics = append(nodeMetrics, m)
		}
		nodeMetrics = append(nodeMetrics, Metric{Name: AlarmResultMetric, Type: TypeString, Value: datasource.String(""), Time: now})
	}
	err := n.sendLocked(ctx, NodeTopic(n.cfg.Group, NBIRTH, n.cfg.Node), nodeMetrics)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.status.Births++
	n.mu.Unlock()
	var snap []datasource.Sample
	for _, d := range n.devices {
		ms := make([]Metric, 0, len(d.tags)+1)
		for _, nt := range d.tags {
			snap = n.cfg.Table.Snapshot([]datasource.TagID{nt.tag.ID}, snap[:0])
			s := snap[0]
			nt.last, nt.sent = s, true
			m := metricOf(nt, s, true)
			if nt.tag.Units != "" {
				m.SetProperty(PropUnits, TypeString, datasource.String(nt.tag.Units))
			}
			if sp := nt.tag.Span; sp.Min != sp.Max {
				m.SetProperty(PropLow, TypeDouble, datasource.Float(sp.Min))
				m.SetProperty(PropHigh, TypeDouble, datasource.Float(sp.Max))
			}
			if nt.tag.Description != "" {
				m.SetProperty(PropDescription, TypeString, datasource.String(nt.tag.Description))
			}
			m.SetProperty(PropWritable, TypeBoolean, datasource.Bool(nt.tag.Writable && n.cfg.Commander != nil))
			ms = append(ms, m)
		}
		ms = append(ms, Metric{Name: WriteResultMetric, Type: TypeString, Value: datasource.String(""), Time: now})
		if err := n.sendLocked(ctx, DeviceTopic(n.cfg.Group, DBIRTH, n.cfg.Node, d.name), ms); err != nil {
			return err
		}
	}
	return nil
}

// onMessage takes NCMD and DCMD off the connection's goroutine: a rebirth
// request is flagged, a write queued for the worker.
func (n *Node) onMessage(msg Message) {
	t, err := ParseTopic(msg.Topic)
	if err != nil || t.Group != n.cfg.Group || t.Node != n.cfg.Node {
		return
	}
	p, err := Decode(msg.Payload)
	if err != nil {
		n.log.Warn("command ignored", "topic", msg.Topic, "err", err)
		return
	}
	switch t.Type {
	case NCMD:
		for _, m := range p.Metrics {
			switch {
			case m.Name == RebirthMetric && m.Value.AsBool():
				select {
				case n.rebirth <- struct{}{}:
				default: // one is pending already
				}
			case strings.HasPrefix(m.Name, AlarmPrefix):
				select {
				case n.cmds <- command{metric: m}:
				default:
					n.log.Warn("alarm command dropped: too many waiting", "metric", m.Name)
				}
			}
		}
	case DCMD:
		for _, m := range p.Metrics {
			select {
			case n.cmds <- command{device: t.Device, metric: m}:
			default:
				n.log.Warn("write command dropped: too many waiting", "device", t.Device, "metric", m.Name)
			}
		}
	}
}

// commandWorker runs the DCMD writes one after another and publishes each
// result.
func (n *Node) commandWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-n.cmds:
			n.runCommand(ctx, c)
		}
	}
}

// runCommand runs one write through the Commander and publishes its result
// as the device's WriteResultMetric.
func (n *Node) runCommand(ctx context.Context, c command) {
	if c.device == "" {
		n.runAlarmCommand(ctx, c.metric)
		return
	}
	req := c.metric.propString(PropRequest)
	user := c.metric.propString(PropUser)
	nt := n.byName[c.metric.Name]
	var rb datasource.Sample
	var err error
	if nt != nil && nt.dev.name != c.device {
		nt = nil // a tag of another device: none of this one
	}
	switch {
	case n.cfg.Commander == nil:
		err = fmt.Errorf("%s: station %s accepts no writes from other stations (publish: writes is off)", c.metric.Name, n.cfg.Node)
	default:
		// Unknown tags and empty values go to the Commander too: it
		// refuses them, and records the refusal in the audit trail.
		var tag *datasource.Tag
		if nt != nil {
			tag = nt.tag
		}
		wctx, cancel := context.WithTimeout(ctx, n.cfg.CommandTimeout)
		rb, err = n.cfg.Commander.Write(wctx, WriteCommand{
			Tag: tag, Name: c.metric.Name, Value: c.metric.Value, User: user,
			Reason: c.metric.propString(PropReason), Request: req,
		})
		cancel()
		n.mu.Lock()
		n.status.Commands++
		n.mu.Unlock()
	}
	if ctx.Err() != nil || !n.hasDevice(c.device) {
		return // no birth for the device: a DDATA on it would be a protocol error
	}
	res := Metric{Name: WriteResultMetric, Type: TypeString, Value: datasource.String(req), Time: n.clock.Now()}
	res.SetProperty(PropTag, TypeString, datasource.String(c.metric.Name))
	res.SetProperty(PropUser, TypeString, datasource.String(user))
	res.SetProperty(PropOK, TypeBoolean, datasource.Bool(err == nil))
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	res.SetProperty(PropMessage, TypeString, datasource.String(msg))
	if nt != nil && !rb.Value.IsNone() {
		if _, werr := wireValue(nt.typ, rb.Value); werr == nil {
			res.SetProperty(PropReadBack, nt.typ, rb.Value)
			res.SetProperty(PropReadBackQuality, TypeInt32, datasource.Int(int64(QualityCode(rb.Quality))))
		}
	}
	if err := n.send(ctx, DeviceTopic(n.cfg.Group, DDATA, n.cfg.Node, c.device), []Metric{res}); err != nil {
		n.log.Warn("write result not published", "tag", c.metric.Name, "request", req, "err", err)
	}
}

func (n *Node) hasDevice(name string) bool {
	for _, d := range n.devices {
		if d.name == name {
			return true
		}
	}
	return false
}

// publishAlarms publishes, as NDATA, the alarms whose state changed since
// they were last published; an alarm the birth did not have asks for a
// rebirth.
func (n *Node) publishAlarms(ctx context.Context) error {
	v := n.cfg.Alarms.Version()
	if v == n.alarmsVersion {
		return nil
	}
	n.alarmsVersion = v
	now := n.clock.Now()
	var ms []Metric
	for _, a := range n.cfg.Alarms.States() {
		m := AlarmMetric(a, now)
		old, known := n.alarms[m.Name]
		if !known {
			select {
			case n.rebirth <- struct{}{}:
			default:
			}
			continue
		}
		if old == a {
			continue
		}
		n.alarms[m.Name] = a
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return nil
	}
	return n.send(ctx, NodeTopic(n.cfg.Group, NDATA, n.cfg.Node), ms)
}

// runAlarmCommand runs an alarm action of another station and publishes its
// result as AlarmResultMetric.
func (n *Node) runAlarmCommand(ctx context.Context, m Metric) {
	a, err := alarmActionOf(&m)
	if err == nil && n.cfg.Alarms == nil {
		err = fmt.Errorf("alarm %s/%s: station %s publishes no alarms", a.Tag, a.Name, n.cfg.Node)
	}
	if err == nil {
		actx, cancel := context.WithTimeout(ctx, n.cfg.CommandTimeout)
		err = n.cfg.Alarms.Act(actx, a)
		cancel()
		n.mu.Lock()
		n.status.Commands++
		n.mu.Unlock()
	}
	if ctx.Err() != nil || n.cfg.Alarms == nil {
		return // without alarms the node has no result metric to answer on
	}
	res := Metric{Name: AlarmResultMetric, Type: TypeString, Value: datasource.String(a.Request), Time: n.clock.Now()}
	res.SetProperty(PropTag, TypeString, datasource.String(m.Name))
	res.SetProperty(PropUser, TypeString, datasource.String(a.User))
	res.SetProperty(PropOK, TypeBoolean, datasource.Bool(err == nil))
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	res.SetProperty(PropMessage, TypeString, datasource.String(msg))
	if err := n.send(ctx, NodeTopic(n.cfg.Group, NDATA, n.cfg.Node), []Metric{res}); err != nil {
		n.log.Warn("alarm action result not published", "alarm", m.Name, "err", err)
	}
}

// propString returns a string property, "" when absent.
func (m *Metric) propString(key string) string {
	v, ok := m.Property(key)
	if !ok || v.Kind() != datasource.KindString {
		return ""
	}
	return v.AsString()
}
