package mqtt

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
)

// board is the acquiring station's alarm state for these tests: one alarm
// that an ack acknowledges, and a refusal for user "guest".
type board struct {
	mu      sync.Mutex
	state   sparkplug.AlarmState
	actions []sparkplug.AlarmAction
	version uint64
}

func newBoard() *board {
	return &board{state: sparkplug.AlarmState{
		Tag: "Tank1.Level", Name: "HiHi", State: "Unack", Active: true, Priority: datasource.PriorityCritical,
		Message: "Tank 1 level very high", Since: time.UnixMilli(1_700_000_000_000),
	}}
}

func (b *board) Version() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.version
}

func (b *board) States() []sparkplug.AlarmState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return []sparkplug.AlarmState{b.state}
}

func (b *board) Act(_ context.Context, a sparkplug.AlarmAction) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.actions = append(b.actions, a)
	if a.User == "guest" {
		return fmt.Errorf("user guest (role viewer) may not acknowledge alarms")
	}
	if a.Action == sparkplug.AlarmAck {
		b.state.Acked, b.state.State = true, "Acked"
	}
	b.version++
	return nil
}

// alarmStations runs an acquiring station's edge node with bd's alarms and
// a viewing station's engine reading it with an mqtt device "station1";
// stop ends both and waits.
func alarmStations(t *testing.T, bd *board) (stations *Stations, vtable *datasource.Table, stop func()) {
	t.Helper()
	br := sparkplugtest.Start(t)
	tags := []*datasource.Tag{{ID: 0, Name: "Tank1.Level", Device: "PLC1", Type: datasource.TypeFloat32}}
	table := datasource.NewTable(tags)
	node, err := sparkplug.NewNode(sparkplug.NodeConfig{Broker: sparkplug.Broker{URL: br.URL()}, Group: "plant", Node: "station1",
		Tags: tags, Table: table, Alarms: bd, Logger: testLog})
	if err != nil {
		t.Fatal(err)
	}
	stations = NewStations()
	vt := []*datasource.Tag{{ID: 0, Name: "HiHi.State", Device: "station1", Address: "/Alarms/Tank1.Level/HiHi", Type: datasource.TypeString}}
	vtable = datasource.NewTable(vt)
	eng, err := poll.New(poll.Config{
		Devices: []*datasource.Device{{Name: "station1", Driver: "mqtt", Address: br.URL(), Timeout: 5 * time.Second,
			ScanClasses: []datasource.ScanClass{{Name: "default", Rate: time.Second}},
			Backoff:     datasource.Backoff{Min: 20 * time.Millisecond, Max: 50 * time.Millisecond}}},
		Tags: vt, Table: vtable, StaleCheck: -1,
		Drivers: map[string]poll.Factory{"mqtt": Factory(Options{Stations: stations, Logger: testLog, Devices: map[string]Settings{
			"station1": {Broker: sparkplug.Broker{URL: br.URL()}, Group: "plant", Node: "station1"}}})},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = node.Run(ctx) }()
	go func() { defer wg.Done(); _ = eng.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stations, vtable, stop
}

func TestViewersSeeTheAcquirersAlarmsAndTheirAcksGoBackAsCommands(t *testing.T) {
	bd := newBoard()
	stations, vtable, stop := alarmStations(t, bd)
	ctx := context.Background()

	alarm := func() (sparkplug.AlarmState, bool) {
		as, ok := stations.Alarms("station1")
		if !ok || len(as) != 1 {
			return sparkplug.AlarmState{}, false
		}
		return as[0], true
	}
	waitUntil(t, "the viewer sees the acquirer's alarm", func() bool {
		a, ok := alarm()
		return ok && a.State == "Unack" && a.Active && !a.Acked && a.Priority == datasource.PriorityCritical &&
			a.Message == "Tank 1 level very high" && a.Since.Equal(time.UnixMilli(1_700_000_000_000))
	})
	waitUntil(t, "an alarm metric is a tag too", func() bool { return vtable.Get(0).Value == datasource.String("Unack") })

	actx, acancel := context.WithTimeout(ctx, deadline)
	defer acancel()
	err := stations.Act(actx, "station1", sparkplug.AlarmAction{Tag: "Tank1.Level", Name: "HiHi", Action: sparkplug.AlarmAck, User: "alice", Reason: "seen"})
	if err != nil {
		t.Fatalf("ack: %v", err)
	}
	waitUntil(t, "the acquirer's new state reaches the viewer", func() bool {
		a, ok := alarm()
		return ok && a.Acked && a.State == "Acked"
	})
	bd.mu.Lock()
	got := bd.actions[0]
	bd.mu.Unlock()
	if got.User != "alice" || got.Reason != "seen" || got.Action != sparkplug.AlarmAck {
		t.Errorf("the acquirer got %+v", got)
	}

	err = stations.Act(actx, "station1", sparkplug.AlarmAction{Tag: "Tank1.Level", Name: "HiHi", Action: sparkplug.AlarmAck, User: "guest"})
	var re *RemoteError
	if !errors.As(err, &re) || re.Message != "user guest (role viewer) may not acknowledge alarms" {
		t.Errorf("a refused ack gave %v, want the acquirer's refusal verbatim", err)
	}
	err = stations.Act(actx, "station1", sparkplug.AlarmAction{Tag: "Tank1.Level", Name: "HiHi", Action: sparkplug.AlarmShelve, User: "alice"})
	if err == nil || !errors.As(err, &re) {
		t.Errorf("a shelve without a duration gave %v, want a refusal", err)
	}

	stop() // the acquirer's NDEATH: its alarm state is unknown now
	if _, ok := stations.Alarms("station1"); ok {
		t.Error("alarms of a stopped viewer still reported")
	}
}

// waitUntil is sparkplugtest.Eventually.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	sparkplugtest.Eventually(t, what, cond)
}

// TestTheBoardShowsLocalAndRemoteAlarmsAndSendsRemoteActionsToTheirStation
// is the alarm list of a viewing station: its own alarms and the acquiring
// station's, in one list the alarm views use as they use an alarm engine.
func TestTheBoardShowsLocalAndRemoteAlarmsAndSendsRemoteActionsToTheirStation(t *testing.T) {
	bd := newBoard()
	stations, _, stop := alarmStations(t, bd)
	own := []*datasource.Tag{{ID: 0, Name: "Viewer.Temp", Type: datasource.TypeFloat64,
		Alarms: []datasource.AlarmDef{{Name: "Hi", Kind: datasource.AlarmHi, Limit: 30, Priority: datasource.PriorityLow}}}}
	local, err := alarms.New(own, alarms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	local.Process([]datasource.Sample{{Tag: 0, Value: datasource.Float(35), Time: time.Now()}})
	local.Tick(time.Now())
	b := NewBoard(local, stations, []string{"station1"})

	find := func(tag string) (alarms.Alarm, bool) {
		for _, a := range b.Active() {
			if a.Tag == tag {
				return a, true
			}
		}
		return alarms.Alarm{}, false
	}
	waitUntil(t, "the board lists the local and the remote alarm", func() bool {
		_, l := find("Viewer.Temp")
		_, r := find("Tank1.Level")
		return l && r
	})
	remote, _ := find("Tank1.Level")
	if remote.Group != "station1" || remote.Priority != datasource.PriorityCritical || !remote.Annunciated || remote.Acked {
		t.Errorf("remote alarm %+v", remote)
	}
	if s := b.Summary(); s.Annunciated[datasource.PriorityCritical] != 1 || s.Annunciated[datasource.PriorityLow] != 1 || s.Unacked != 2 {
		t.Errorf("summary %+v, want one critical and one low, both unacknowledged", s)
	}
	v := b.Version()
	if err := b.AckMany("alice", []alarms.ID{remote.ID}, "seen"); err != nil {
		t.Fatalf("acknowledge of the remote alarm: %v", err)
	}
	waitUntil(t, "the station's acknowledge shows on the board", func() bool {
		a, ok := find("Tank1.Level")
		return ok && a.Acked && b.Version() != v
	})
	if err := b.SetOutOfService("alice", remote.ID, true, "maintenance"); err == nil {
		t.Error("a remote alarm was taken out of service from a viewer")
	}
	if l, _ := find("Viewer.Temp"); b.Ack("alice", l.ID, "") != nil {
		t.Error("the local alarm could not be acknowledged")
	}
	if l, _ := find("Viewer.Temp"); !l.Acked {
		t.Error("the local acknowledge did not reach the local engine")
	}
	bd.mu.Lock()
	n := len(bd.actions)
	bd.mu.Unlock()
	if n != 1 {
		t.Errorf("the station got %d actions, want only the remote acknowledge", n)
	}
	stop()
	if _, ok := find("Tank1.Level"); ok {
		t.Error("an offline station's alarm is still listed")
	}
}
