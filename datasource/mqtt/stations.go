package mqtt

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vigil-hmi/vigil/datasource/sparkplug"
)

// Stations gives a viewing station the alarms of the acquiring stations its
// mqtt devices read: their states as the acquiring stations publish them,
// and the operator's actions on them, sent back as commands. The acquiring
// station owns the state, so every screen agrees. Share one Stations
// through Options; its methods are safe for concurrent use.
type Stations struct {
	mu      sync.Mutex         // guards drivers
	drivers map[string]*Driver // the connected driver of each device
	changed chan struct{}      // one token: some station's alarms changed
}

// NewStations returns an empty Stations.
func NewStations() *Stations {
	return &Stations{drivers: make(map[string]*Driver), changed: make(chan struct{}, 1)}
}

// Changed receives (one token, coalesced) after the alarms of a station
// changed or a station came or went.
func (s *Stations) Changed() <-chan struct{} { return s.changed }

func (s *Stations) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *Stations) attach(device string, d *Driver) {
	s.mu.Lock()
	s.drivers[device] = d
	s.mu.Unlock()
	s.notify()
}

func (s *Stations) detach(device string, d *Driver) {
	s.mu.Lock()
	if s.drivers[device] == d {
		delete(s.drivers, device)
	}
	s.mu.Unlock()
	s.notify()
}

func (s *Stations) driver(device string) *Driver {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.drivers[device]
}

// Alarms returns the alarms of the station device reads, by tag and name;
// ok is false while the device is not connected or the station is offline
// (its alarm state is then unknown, not normal).
func (s *Stations) Alarms(device string) (alarms []sparkplug.AlarmState, ok bool) {
	d := s.driver(device)
	if d == nil {
		return nil, false
	}
	return d.remoteAlarms()
}

// Act sends an operator's action on an alarm to the station device reads
// and waits (within ctx) for its answer: a refusal there is a *RemoteError
// with the station's message.
func (s *Stations) Act(ctx context.Context, device string, a sparkplug.AlarmAction) error {
	d := s.driver(device)
	if d == nil {
		return fmt.Errorf("alarm %s/%s: device %s is not connected to the broker; nothing was done", a.Tag, a.Name, device)
	}
	return d.alarmAction(ctx, a)
}

// remoteAlarms returns the alarm states of the node, sorted by tag and name.
func (d *Driver) remoteAlarms() ([]sparkplug.AlarmState, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil || !d.online {
		return nil, false
	}
	out := make([]sparkplug.AlarmState, 0, len(d.alarms))
	for _, a := range d.alarms {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b sparkplug.AlarmState) int {
		if c := strings.Compare(a.Tag, b.Tag); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, true
}

// noteAlarmLocked records an alarm metric of the node; it reports whether
// the metric was one.
func (d *Driver) noteAlarmLocked(m *sparkplug.Metric) bool {
	a, ok := sparkplug.AlarmOf(m)
	if !ok {
		return false
	}
	if d.alarms == nil {
		d.alarms = make(map[string]sparkplug.AlarmState)
	}
	d.alarms[m.Name] = a
	d.alarmsChanged = true
	return true
}

// alarmAction sends an alarm action as an NCMD and waits for the node's
// AlarmResultMetric.
func (d *Driver) alarmAction(ctx context.Context, a sparkplug.AlarmAction) error {
	id, ch, conn, err := d.request(fmt.Sprintf("alarm %s/%s", a.Tag, a.Name))
	if err != nil {
		return err
	}
	defer d.forget(id)
	a.Request = id
	b, err := sparkplug.Encode(&sparkplug.Payload{Time: d.clock.Now(), Metrics: []sparkplug.Metric{sparkplug.AlarmCommand(a)}})
	if err != nil {
		return fmt.Errorf("device %q: alarm %s/%s: %w", d.dev.Name, a.Tag, a.Name, err)
	}
	if err := conn.Publish(ctx, sparkplug.NodeTopic(d.set.Group, sparkplug.NCMD, d.set.Node).String(), b, 0, false); err != nil {
		return fmt.Errorf("device %q: %w", d.dev.Name, err)
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("device %q: alarm %s/%s: no answer from station %s: %w", d.dev.Name, a.Tag, a.Name, d.set.Node, ctx.Err())
	case res := <-ch:
		if !res.ok {
			return &RemoteError{Node: d.set.Node, Message: res.message}
		}
		return nil
	}
}

// request registers a pending request to the node and returns its id, the
// channel its answer comes on and the connection to send it with.
func (d *Driver) request(what string) (string, chan result, interface {
	Publish(context.Context, string, []byte, byte, bool) error
}, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		return "", nil, nil, fmt.Errorf("device %q: %s: not connected to the broker; nothing was sent", d.dev.Name, what)
	}
	if !d.online {
		return "", nil, nil, &RemoteError{Node: d.set.Node, Message: fmt.Sprintf("%s: station %s is offline (no birth from it on the broker); nothing was done", what, d.set.Node)}
	}
	d.reqs++
	id := d.set.Broker.ClientID + "-" + strconv.FormatUint(d.reqs, 10)
	ch := make(chan result, 1)
	if d.pending == nil {
		d.pending = make(map[string]chan result)
	}
	d.pending[id] = ch
	return id, ch, d.conn, nil
}

func (d *Driver) forget(id string) {
	d.mu.Lock()
	delete(d.pending, id)
	d.mu.Unlock()
}
