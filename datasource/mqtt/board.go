package mqtt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
)

// remoteBase is the first ID a Board gives a remote alarm: far above any
// local alarm's ID, so the two never meet.
const remoteBase alarms.ID = 1 << 24

// actTimeout bounds an alarm action sent to another station.
const actTimeout = 10 * time.Second

// Board is what a viewing station's operator sees of alarms: its own alarm
// engine's (the comm alarms of its mqtt devices, its own tags) and those of
// the stations its mqtt devices read, which the acquiring stations own.
// Acknowledge, shelve and unshelve of a remote alarm go to its station as a
// command and take effect when the station publishes the new state, so
// every screen agrees. It has the method set the alarm views use
// (ui/alarmview.Engine); its methods are safe for concurrent use.
type Board struct {
	local    *alarms.Engine
	stations *Stations
	devices  []string // the mqtt devices, in project order

	changes atomic.Uint64 // remote changes seen, for Version

	mu  sync.Mutex // guards ids and keys
	ids map[remoteKey]alarms.ID
	key []remoteKey // by ID - remoteBase
}

// remoteKey names an alarm of another station: the mqtt device that reads
// the station, and the alarm's tag and name there.
type remoteKey struct{ device, tag, name string }

// NewBoard returns the Board of a viewing station: local is its own alarm
// engine, stations the Stations its mqtt driver factory was given, devices
// the names of its mqtt devices.
func NewBoard(local *alarms.Engine, stations *Stations, devices []string) *Board {
	return &Board{local: local, stations: stations, devices: slices.Clone(devices), ids: map[remoteKey]alarms.ID{}}
}

// id returns the stable ID of a remote alarm, giving it one on first sight.
func (b *Board) id(k remoteKey) alarms.ID {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.ids[k]
	if !ok {
		id = remoteBase + alarms.ID(len(b.key))
		b.ids[k] = id
		b.key = append(b.key, k)
	}
	return id
}

// remote returns the key of a remote alarm's ID.
func (b *Board) remote(id alarms.ID) (remoteKey, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id < remoteBase || int(id-remoteBase) >= len(b.key) {
		return remoteKey{}, false
	}
	return b.key[id-remoteBase], true
}

// Version changes whenever a local or a remote alarm changed.
func (b *Board) Version() uint64 {
	select {
	case <-b.stations.Changed(): // the Board is the one reader of Changed
		b.changes.Add(1)
	default:
	}
	return b.local.Version() + b.changes.Load()
}

// Active returns the local alarms that are not normal, then those of every
// online station. A station that is offline shows none: its tags are Bad
// and its device's comm alarm, a local one, says why.
func (b *Board) Active() []alarms.Alarm { return append(b.local.Active(), b.remoteActive()...) }

// remoteActive returns the stations' alarms that are not normal.
func (b *Board) remoteActive() []alarms.Alarm {
	var out []alarms.Alarm
	for _, dev := range b.devices {
		states, ok := b.stations.Alarms(dev)
		if !ok {
			continue
		}
		for _, st := range states {
			if a := b.alarm(dev, st); a.State != alarms.Normal || a.Shelved || a.OutOfService {
				out = append(out, a)
			}
		}
	}
	return out
}

// alarm turns a station's published alarm state into an Alarm.
func (b *Board) alarm(dev string, st sparkplug.AlarmState) alarms.Alarm {
	state, _ := alarms.ParseState(st.State)
	return alarms.Alarm{
		ID: b.id(remoteKey{dev, st.Tag, st.Name}), Tag: st.Tag, Group: dev, Name: st.Name,
		Priority: st.Priority, State: state, Active: st.Active, Acked: st.Acked,
		Annunciated: state != alarms.Normal && !st.Shelved && !st.Suppressed && !st.OutOfService,
		Shelved:     st.Shelved, Suppressed: st.Suppressed, OutOfService: st.OutOfService,
		Message: st.Message, Since: st.Since, LastChange: st.Since, TimeToLimit: -1,
	}
}

// Summary counts the local and the remote alarms.
func (b *Board) Summary() alarms.Summary {
	s := b.local.Summary()
	s.Version = b.Version()
	for _, a := range b.remoteActive() {
		if a.Annunciated {
			s.Annunciated[a.Priority]++
			if !a.Acked {
				s.Unacked++
			}
		}
		if a.Active {
			s.Active++
		}
		s.Shelved += boolInt(a.Shelved)
		s.Suppressed += boolInt(a.Suppressed)
		s.OutOfService += boolInt(a.OutOfService)
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// act sends an action on remote alarm k to its station and waits for the
// answer.
func (b *Board) act(k remoteKey, a sparkplug.AlarmAction) error {
	a.Tag, a.Name = k.tag, k.name
	ctx, cancel := context.WithTimeout(context.Background(), actTimeout)
	defer cancel()
	if err := b.stations.Act(ctx, k.device, a); err != nil {
		return fmt.Errorf("alarm %s/%s at %s: %w", k.tag, k.name, k.device, err)
	}
	return nil
}

// Ack acknowledges an alarm, at its station when it is remote.
func (b *Board) Ack(user string, id alarms.ID, comment string) error {
	if k, ok := b.remote(id); ok {
		return b.act(k, sparkplug.AlarmAction{Action: sparkplug.AlarmAck, User: user, Reason: comment})
	}
	return b.local.Ack(user, id, comment)
}

// AckMany acknowledges several alarms, local and remote, and joins the
// refusals.
func (b *Board) AckMany(user string, ids []alarms.ID, comment string) error {
	var local []alarms.ID
	var errs []error
	for _, id := range ids {
		if k, ok := b.remote(id); ok {
			errs = append(errs, b.act(k, sparkplug.AlarmAction{Action: sparkplug.AlarmAck, User: user, Reason: comment}))
		} else {
			local = append(local, id)
		}
	}
	if len(local) > 0 {
		errs = append(errs, b.local.AckMany(user, local, comment))
	}
	return errors.Join(errs...)
}

// Shelve shelves an alarm for d, at its station when it is remote.
func (b *Board) Shelve(user string, id alarms.ID, d time.Duration, reason string) error {
	if k, ok := b.remote(id); ok {
		return b.act(k, sparkplug.AlarmAction{Action: sparkplug.AlarmShelve, User: user, Reason: reason, Duration: d})
	}
	return b.local.Shelve(user, id, d, reason)
}

// Unshelve ends a shelving, at the alarm's station when it is remote.
func (b *Board) Unshelve(user string, id alarms.ID, reason string) error {
	if k, ok := b.remote(id); ok {
		return b.act(k, sparkplug.AlarmAction{Action: sparkplug.AlarmUnshelve, User: user, Reason: reason})
	}
	return b.local.Unshelve(user, id, reason)
}

// SetOutOfService takes a local alarm out of service. A remote alarm's
// service state belongs to its station's engineers, on that station.
func (b *Board) SetOutOfService(user string, id alarms.ID, on bool, reason string) error {
	if k, ok := b.remote(id); ok {
		return fmt.Errorf("alarm %s/%s is station %s's: take it out of service there", k.tag, k.name, k.device)
	}
	return b.local.SetOutOfService(user, id, on, reason)
}

// KPI returns the local alarm engine's KPIs: each station computes its own
// from its journal.
func (b *Board) KPI(ctx context.Context) (alarms.KPI, error) { return b.local.KPI(ctx) }
