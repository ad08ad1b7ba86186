package alarms

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is the start of every test's fake clock.
var t0 = time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)

// memJournal is an in-memory Journal (the engine's journal is not a wire
// boundary; history's own tests cover the bbolt store).
type memJournal struct {
	mu      sync.Mutex
	events  []history.Event
	failing bool // AppendEvents fails while set
}

var errJournalDown = errors.New("journal down")

func (j *memJournal) AppendEvents(evs []history.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.failing {
		return errJournalDown
	}
	for _, ev := range evs {
		ev.Seq = uint64(len(j.events) + 1)
		j.events = append(j.events, ev)
	}
	return nil
}

func (j *memJournal) Events(_ context.Context, from, to time.Time, _ string, _ int) ([]history.Event, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []history.Event
	for _, ev := range j.events {
		if !ev.Time.Before(from) && !ev.Time.After(to) {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (j *memJournal) all() []history.Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]history.Event(nil), j.events...)
}

// transitions lists the journaled transitions of one alarm, in order.
func (j *memJournal) transitions(tag, name string) []string {
	var out []string
	for _, ev := range j.all() {
		if ev.Source == tag && ev.Name == name {
			out = append(out, ev.Data["transition"])
		}
	}
	return out
}

// plantTags returns the tags of a small plant: a level with the given
// alarms, its setpoint, a pump-stopped condition tag and the device's
// connected system tag with its comm alarm.
func plantTags(alarms ...datasource.AlarmDef) []*datasource.Tag {
	return []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Type: datasource.TypeFloat32, Units: "%", Decimals: 1,
			Span: datasource.Range{Min: 0, Max: 100}, Alarms: alarms},
		{ID: 1, Name: "Tank1.LevelSP", Type: datasource.TypeFloat32, Units: "%"},
		{ID: 2, Name: "Pump1.Stopped", Type: datasource.TypeBool},
		{ID: 3, Name: datasource.ConnectedTagName("plant"), Type: datasource.TypeBool, System: true,
			States: map[int64]string{0: "DISCONNECTED", 1: "CONNECTED"},
			Alarms: []datasource.AlarmDef{{Kind: datasource.AlarmComm, Name: "Comm", Priority: datasource.PriorityHigh,
				Message: "device plant communication failure"}}},
	}
}

// fixture drives an engine on a fake clock with an in-memory journal.
type fixture struct {
	t   *testing.T
	clk *clockwork.FakeClock
	j   *memJournal
	e   *Engine
}

func newFixture(t *testing.T, tags []*datasource.Tag) *fixture {
	t.Helper()
	return newFixtureWith(t, tags, &memJournal{}, clockwork.NewFakeClockAt(t0), nil)
}

func newFixtureWith(t *testing.T, tags []*datasource.Tag, j *memJournal, clk *clockwork.FakeClock, auth Authorizer) *fixture {
	t.Helper()
	e, err := New(tags, Options{Clock: clk, Journal: j, Authorizer: auth})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{t: t, clk: clk, j: j, e: e}
}

// feed processes one Good sample of a tag (by ID) at the clock's now.
func (f *fixture) feed(id datasource.TagID, v datasource.Value) {
	f.e.Process([]datasource.Sample{{Tag: id, Value: v, Time: f.clk.Now()}})
}

// advance moves the clock on and ticks the engine.
func (f *fixture) advance(d time.Duration) {
	f.clk.Advance(d)
	f.e.Tick(f.clk.Now())
}

func (f *fixture) id(tag, name string) ID {
	f.t.Helper()
	id, ok := f.e.Lookup(tag, name)
	if !ok {
		f.t.Fatalf("no alarm %s/%s", tag, name)
	}
	return id
}

func (f *fixture) get(tag, name string) Alarm {
	f.t.Helper()
	a, _ := f.e.Get(f.id(tag, name))
	return a
}

func (f *fixture) flush() {
	f.t.Helper()
	if err := f.e.Flush(); err != nil {
		f.t.Fatalf("Flush: %v", err)
	}
}

func newClock() *clockwork.FakeClock { return clockwork.NewFakeClockAt(t0) }

func fl(x float64) datasource.Value { return datasource.Float(x) }
