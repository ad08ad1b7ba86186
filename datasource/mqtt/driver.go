package mqtt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
)

// Settings are the mqtt settings of one device: the broker and the edge
// node whose metrics it reads.
type Settings struct {
	Broker sparkplug.Broker
	Group  string
	Node   string
	// PrimaryHost, when set, makes the device's connection a Sparkplug B
	// primary host application with this host id: it publishes its STATE
	// online (retained, QoS 1) once subscribed and leaves it offline as its
	// will, so an edge node that names the host (publish: primary_host)
	// publishes, and forwards its outage backlog, only while the host
	// listens.
	PrimaryHost string
}

// Options are shared by every mqtt device of a runtime.
type Options struct {
	// Devices holds the settings of each mqtt device by device name.
	Devices map[string]Settings
	// Stations, when not nil, gets every connected driver, for the alarms
	// of the stations the devices read.
	Stations *Stations
	Clock    clockwork.Clock // nil: the real clock
	Logger   *slog.Logger    // nil: discard
}

// Factory returns the poll.Factory of the mqtt driver. A device without
// Settings in opts gets a driver that prepares its tags (checking their
// addresses, as `vigil check` does) but cannot connect.
func Factory(opts Options) poll.Factory {
	return func(dev *datasource.Device) (poll.Driver, error) {
		s, ok := opts.Devices[dev.Name]
		if !ok {
			return &Driver{dev: dev, unset: true, clock: clockwork.NewRealClock(), log: slog.New(slog.DiscardHandler)}, nil
		}
		return New(dev, s, opts)
	}
}

// New checks the settings and returns the driver of one device. It does no I/O.
func New(dev *datasource.Device, s Settings, opts Options) (*Driver, error) {
	if err := sparkplug.ValidID(s.Group); err != nil {
		return nil, fmt.Errorf("device %q: group: %w", dev.Name, err)
	}
	if err := sparkplug.ValidID(s.Node); err != nil {
		return nil, fmt.Errorf("device %q: node: %w", dev.Name, err)
	}
	if err := sparkplug.CheckURL(s.Broker.URL); err != nil {
		return nil, fmt.Errorf("device %q: %w", dev.Name, err)
	}
	if s.PrimaryHost != "" {
		if err := sparkplug.ValidID(s.PrimaryHost); err != nil {
			return nil, fmt.Errorf("device %q: primary_host: %w", dev.Name, err)
		}
	}
	if s.Broker.ClientID == "" {
		// Unique per connection of any station: a broker drops the older
		// session of a client id used twice, and two viewers of the same
		// device name would push each other off forever.
		s.Broker.ClientID = "vigil-host-" + dev.Name + "-" + strconv.FormatUint(rand.Uint64(), 36)
	}
	d := &Driver{dev: dev, set: s, clock: opts.Clock, log: opts.Logger, stations: opts.Stations}
	if d.clock == nil {
		d.clock = clockwork.NewRealClock()
	}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d.log = d.log.With("device", dev.Name)
	return d, nil
}

// Driver is the mqtt driver of one device. The engine calls Prepare,
// Connect, Read, Write and Close from the device goroutine; Subscribe runs
// per scan class; messages arrive on the connection's goroutine.
type Driver struct {
	dev      *datasource.Device
	set      Settings
	unset    bool      // made without Settings: Prepare only
	stations *Stations // nil: nobody looks at the node's alarms
	clock    clockwork.Clock
	log      *slog.Logger

	mu   sync.Mutex // guards everything below
	conn *sparkplug.Conn
	// stateAt is the timestamp of the connection's STATE as primary host
	// (zero without one); each connection takes a later one.
	stateAt time.Time
	// restate asks the connection's restater to publish the STATE online
	// again (cap 1); nil without a primary host.
	restate chan struct{}
	online  bool  // the node's NBIRTH was seen and no NDEATH since
	bdSeq   int64 // of the NBIRTH; -1 unknown
	nextSeq int   // the seq the next message must carry; -1 unknown
	devs    map[string]*remoteDevice
	subs    map[*subscription]struct{}
	pending map[string]chan result
	reqs    uint64
	asked   bool // a rebirth was requested and no NBIRTH came since
	// born is closed, and replaced, at every birth (NBIRTH or DBIRTH): a
	// write waiting for its device's DBIRTH waits on it. Nil until the
	// first wait asks for one.
	born chan struct{}
	// backfill publishes historical (store-and-forward) samples for
	// history only (SetBackfill); nil: they are dropped.
	backfill func([]datasource.Sample)
	waiting  []keyed // historical samples that came while no subscription was there

	alarms        map[string]sparkplug.AlarmState // the node's alarms, by metric name
	alarmsChanged bool                            // since the last notification

	restaters sync.WaitGroup // the restater goroutine of each connection
}

// remoteDevice is what the driver knows of one Sparkplug device of the node
// (the empty name holds the node's own metrics).
type remoteDevice struct {
	online  bool
	dead    bool // its DDEATH came: offline until a DBIRTH, and no write waits for one
	aliases map[uint64]string
	metrics map[string]*metricState
}

type metricState struct {
	typ    sparkplug.DataType
	sample datasource.Sample // Tag unset
}

// key is a tag's address: Sparkplug device and metric.
type key struct{ device, metric string }

type plan struct {
	tags []*datasource.Tag
	keys []key
}

type subscription struct {
	byKey   map[key][]*datasource.Tag
	publish func([]datasource.Sample)
}

type result struct {
	ok       bool
	message  string
	readBack datasource.Sample
	hasRB    bool
}

// parseAddress splits "DEVICE/METRIC"; "/METRIC" is a node metric.
func parseAddress(addr string) (key, error) {
	dev, metric, ok := strings.Cut(addr, "/")
	switch {
	case !ok || metric == "":
		return key{}, errors.New("want DEVICE/METRIC (the Sparkplug device id and metric name), e.g. PLC1/Tank1.Level, or /METRIC for a node metric")
	case dev != "" && sparkplug.ValidID(dev) != nil:
		return key{}, fmt.Errorf("device id %q: %w", dev, sparkplug.ValidID(dev))
	}
	return key{dev, metric}, nil
}

// Prepare parses the tags' addresses.
func (d *Driver) Prepare(tags []*datasource.Tag) (poll.Plan, error) {
	p := &plan{}
	var err error
	p.tags, p.keys, err = poll.ParseAddresses(tags, parseAddress)
	return p, err
}

// Connect connects to the broker, subscribes to the node's messages and
// asks the node for a rebirth, since births are not retained.
func (d *Driver) Connect(ctx context.Context) error {
	if d.unset {
		return fmt.Errorf("device %q: no mqtt settings (broker, group, node) were given to the driver", d.dev.Name)
	}
	if err := d.Close(); err != nil {
		d.log.Debug("close before connect", "err", err)
	}
	d.mu.Lock()
	d.online, d.bdSeq, d.nextSeq, d.asked = false, -1, -1, false
	d.devs = map[string]*remoteDevice{}
	d.alarms = nil
	var will *sparkplug.Will
	var stateAt time.Time
	if d.set.PrimaryHost != "" {
		// Sparkplug orders a host's sessions by this timestamp: a later
		// one for every connection, even within one millisecond.
		stateAt = d.clock.Now().Truncate(time.Millisecond)
		if !stateAt.After(d.stateAt) {
			stateAt = d.stateAt.Add(time.Millisecond)
		}
		d.stateAt = stateAt
		will = &sparkplug.Will{Topic: d.stateTopic(), Payload: sparkplug.EncodeState(false, stateAt), QoS: 1, Retain: true}
	}
	d.mu.Unlock()
	conn, err := sparkplug.Dial(ctx, d.set.Broker, will, d.onMessage)
	if err != nil {
		return fmt.Errorf("device %q: %w", d.dev.Name, err)
	}
	filters := []string{sparkplug.NodeFilter(d.set.Group, d.set.Node)}
	if will != nil {
		filters = append(filters, d.stateTopic()) // its own, to correct an offline that is not true
	}
	if err := conn.Subscribe(ctx, 1, filters...); err != nil {
		_ = conn.Close() // the subscribe error is the one to report
		return fmt.Errorf("device %q: %w", d.dev.Name, err)
	}
	d.mu.Lock()
	d.conn = conn
	d.restate = nil
	if will != nil {
		d.restate = make(chan struct{}, 1)
		d.restaters.Add(1)
		go func(restate <-chan struct{}) {
			defer d.restaters.Done()
			d.restater(conn, restate, stateAt)
		}(d.restate)
	}
	d.mu.Unlock()
	if d.stations != nil {
		d.stations.attach(d.dev.Name, d)
	}
	if err := d.requestRebirth(ctx, conn); err != nil {
		return fmt.Errorf("device %q: %w", d.dev.Name, err)
	}
	// Online only once subscribed: a node that names this host publishes
	// its births and backlog on it, and they must not be missed. After the
	// rebirth request, which such a node, not yet publishing, ignores: so
	// it births once, on the STATE.
	if will != nil {
		if err := conn.Publish(ctx, d.stateTopic(), sparkplug.EncodeState(true, stateAt), 1, true); err != nil {
			return fmt.Errorf("device %q: STATE: %w", d.dev.Name, err)
		}
	}
	return nil
}

// requestRebirth publishes the NCMD Node Control/Rebirth.
func (d *Driver) requestRebirth(ctx context.Context, conn *sparkplug.Conn) error {
	b, err := sparkplug.Encode(&sparkplug.Payload{Time: d.clock.Now(), Metrics: []sparkplug.Metric{
		{Name: sparkplug.RebirthMetric, Type: sparkplug.TypeBoolean, Value: datasource.Bool(true)},
	}})
	if err != nil {
		return err
	}
	return conn.Publish(ctx, sparkplug.NodeTopic(d.set.Group, sparkplug.NCMD, d.set.Node).String(), b, 0, false)
}

// stateTopic is the topic of the device's STATE as primary host.
func (d *Driver) stateTopic() string { return sparkplug.StateTopic(d.set.PrimaryHost).String() }

// onState takes a STATE on the host's own topic. An offline one while the
// host is connected is not true (a late will of an earlier session, or
// another client's): retained, it would keep the nodes that connect next
// waiting, so the restater publishes the STATE online again, as Sparkplug
// 3.0 asks of a host.
func (d *Driver) onState(payload []byte) {
	s, err := sparkplug.DecodeState(payload)
	if err != nil || s.Online {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil || d.restate == nil {
		return // closing: its own offline
	}
	select {
	case d.restate <- struct{}{}:
	default: // one is pending already
	}
}

// restater publishes the STATE online of conn (timestamp at) again on
// each request, until conn ends. It runs off the connection's goroutine,
// since a QoS 1 publish waits for the broker.
func (d *Driver) restater(conn *sparkplug.Conn, restate <-chan struct{}, at time.Time) {
	for {
		select {
		case <-conn.Done():
			return
		case <-restate:
		}
		d.mu.Lock()
		current := d.conn == conn
		d.mu.Unlock()
		if !current {
			return // closing: offline is true now
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := conn.Publish(ctx, d.stateTopic(), sparkplug.EncodeState(true, at), 1, true)
		cancel()
		if err != nil {
			d.log.Warn("STATE online not published again", "err", err)
		} else {
			d.log.Info("an offline STATE of this host while it is online was corrected")
		}
	}
}

// Close disconnects from the broker; as primary host it first publishes
// its STATE offline, since a clean disconnect drops the will. It is safe
// to call more than once.
func (d *Driver) Close() error {
	d.mu.Lock()
	conn, stateAt := d.conn, d.stateAt
	d.conn = nil
	d.mu.Unlock()
	if conn == nil {
		return nil
	}
	if d.stations != nil {
		d.stations.detach(d.dev.Name, d)
	}
	if d.set.PrimaryHost != "" {
		select {
		case <-conn.Done(): // gone: the broker publishes the will
		default:
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			if err := conn.Publish(ctx, d.stateTopic(), sparkplug.EncodeState(false, stateAt), 1, true); err != nil {
				d.log.Warn("STATE offline not published; the broker sends the will when it notices", "err", err)
			}
			cancel()
		}
	}
	// Outside the lock: Close waits for the connection's goroutine, which
	// may be waiting for the lock in onMessage.
	err := conn.Close()
	d.restaters.Wait()
	return err
}

// Subscribe delivers the samples of plan's tags as the node publishes them,
// until ctx ends (nil) or the broker connection is lost (its error).
//
// A Sparkplug node publishes a value only when it changes, and each sample
// keeps the metric's source time: nothing is published again at the scan
// rate. A repeat would be the same sample, which history and alarms would
// have to recognise and drop (once stamped anew, history stored every value
// twice); while the node lives its last value is the current one, so the
// project gives mqtt tags no stale limit of their own (a value the
// acquiring station finds stale arrives Uncertain/Stale from it).
func (d *Driver) Subscribe(ctx context.Context, pl poll.Plan, _ time.Duration, publish func([]datasource.Sample)) error {
	p, ok := pl.(*plan)
	if !ok {
		return fmt.Errorf("device %q: not an mqtt plan", d.dev.Name)
	}
	s := &subscription{byKey: make(map[key][]*datasource.Tag), publish: publish}
	for i, t := range p.tags {
		s.byKey[p.keys[i]] = append(s.byKey[p.keys[i]], t)
	}
	d.mu.Lock()
	conn := d.conn
	if conn == nil {
		d.mu.Unlock()
		return fmt.Errorf("device %q: %w", d.dev.Name, poll.ErrNotConnected)
	}
	if d.subs == nil {
		d.subs = make(map[*subscription]struct{})
	}
	d.subs[s] = struct{}{}
	// What arrived before the subscription (a birth) is delivered now.
	var out []datasource.Sample
	for k, tags := range s.byKey {
		if smp, known := d.sampleLocked(k); known {
			for _, t := range tags {
				smp.Tag = t.ID
				out = append(out, smp)
			}
		}
	}
	if len(out) > 0 {
		publish(out)
	}
	d.waitingLocked(s)
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.subs, s)
		d.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-conn.Done():
			return fmt.Errorf("device %q: %w", d.dev.Name, conn.Err())
		}
	}
}

// sampleLocked returns what is known of the metric at k: its value and
// quality, Bad/NotConnected (with the last value) while the node or device
// is dead, Bad/ConfigError when the device's birth lacks the metric; known
// is false before any birth.
func (d *Driver) sampleLocked(k key) (s datasource.Sample, known bool) {
	rd := d.devs[k.device]
	if rd == nil {
		return datasource.Sample{}, false
	}
	ms := rd.metrics[k.metric]
	switch {
	case ms == nil && rd.online:
		return datasource.Sample{Quality: datasource.BadQuality(datasource.ConfigError), Time: d.clock.Now()}, true
	case ms == nil:
		return datasource.Sample{}, false
	case !rd.online || !d.online:
		s = ms.sample
		s.Quality = datasource.BadQuality(datasource.NotConnected)
		return s, true
	}
	return ms.sample, true
}

// Read returns the last known samples of plan's tags: the engine uses it to
// read a tag back after a write. Like any driver's Read (polltest), it
// fails on a done ctx and once the broker connection is lost, rather than
// answering with the values it still holds.
func (d *Driver) Read(ctx context.Context, pl poll.Plan, dst []datasource.Sample) ([]datasource.Sample, error) {
	p, ok := pl.(*plan)
	if !ok {
		return dst, fmt.Errorf("device %q: not an mqtt plan", d.dev.Name)
	}
	if err := ctx.Err(); err != nil {
		return dst, fmt.Errorf("device %q: %w", d.dev.Name, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		return dst, fmt.Errorf("device %q: %w", d.dev.Name, poll.ErrNotConnected)
	}
	select {
	case <-d.conn.Done():
		return dst, fmt.Errorf("device %q: %w: %w", d.dev.Name, poll.ErrNotConnected, d.conn.Err())
	default:
	}
	for i, t := range p.tags {
		s, known := d.sampleLocked(p.keys[i])
		if !known {
			s = datasource.Sample{Quality: datasource.BadQuality(datasource.WaitingForInitialData)}
		}
		s.Tag = t.ID
		dst = append(dst, s)
	}
	return dst, nil
}
