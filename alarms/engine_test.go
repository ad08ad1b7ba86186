package alarms

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

var loAlarm = datasource.AlarmDef{Kind: datasource.AlarmLo, Limit: 20}

var hiAlarm = datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80, Priority: datasource.PriorityHigh, ShelveMax: 2 * time.Hour}

func TestShelving(t *testing.T) {
	tests := []struct {
		name string
		run  func(f *fixture, id ID) error
		// want after run
		state       State
		shelved     bool
		annunciated bool
	}{
		{"a timed shelve hides an active alarm and acknowledges it", func(f *fixture, id ID) error {
			f.feed(0, fl(90))
			return f.e.Shelve("op1", id, 30*time.Minute, "sensor being replaced")
		}, Acked, true, false},
		{"an alarm that activates while shelved is evaluated and journaled but not annunciated", func(f *fixture, id ID) error {
			if err := f.e.Shelve("op1", id, 30*time.Minute, "known"); err != nil {
				return err
			}
			f.feed(0, fl(90))
			f.flush()
			if got := f.j.transitions("Tank1.Level", "Hi"); !slices.Contains(got, TransActivate) {
				return fmt.Errorf("activation while shelved not journaled: %v", got)
			}
			return nil
		}, Unack, true, false},
		{"automatic unshelve re-annunciates a still active alarm", func(f *fixture, id ID) error {
			f.feed(0, fl(90))
			if err := f.e.Shelve("op1", id, 30*time.Minute, "known"); err != nil {
				return err
			}
			f.advance(29 * time.Minute)
			if a, _ := f.e.Get(id); !a.Shelved {
				return errors.New("unshelved a minute early")
			}
			f.advance(time.Minute)
			return nil
		}, Unack, false, true},
		{"automatic unshelve of an alarm that came and went while shelved leaves it Normal", func(f *fixture, id ID) error {
			if err := f.e.Shelve("op1", id, 30*time.Minute, "known"); err != nil {
				return err
			}
			f.feed(0, fl(90))
			f.feed(0, fl(10))
			f.advance(30 * time.Minute)
			return nil
		}, Normal, false, false},
		{"one-shot shelving ends when the alarm clears and the next activation annunciates", func(f *fixture, id ID) error {
			f.feed(0, fl(90))
			if err := f.e.ShelveOneShot("op1", id, "nuisance during start-up"); err != nil {
				return err
			}
			f.feed(0, fl(10))
			if a, _ := f.e.Get(id); a.Shelved || a.State != Normal {
				return fmt.Errorf("after clearing: shelved %v state %v, want unshelved Normal", a.Shelved, a.State)
			}
			f.feed(0, fl(91))
			return nil
		}, Unack, false, true},
		{"manual unshelve shows the alarm again as it is", func(f *fixture, id ID) error {
			f.feed(0, fl(90))
			if err := f.e.Shelve("op1", id, time.Hour, "known"); err != nil {
				return err
			}
			return f.e.Unshelve("op1", id, "fixed")
		}, Acked, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, plantTags(hiAlarm))
			id := f.id("Tank1.Level", "Hi")
			if err := tc.run(f, id); err != nil {
				t.Fatal(err)
			}
			a, _ := f.e.Get(id)
			if a.State != tc.state || a.Shelved != tc.shelved || a.Annunciated != tc.annunciated {
				t.Fatalf("state %v shelved %v annunciated %v, want %v %v %v", a.State, a.Shelved, a.Annunciated, tc.state, tc.shelved, tc.annunciated)
			}
		})
	}
}

func TestActionRefusals(t *testing.T) {
	deny := authorizerFunc(func(user string, a Action, tag *datasource.Tag) error {
		if user == "guest" {
			return errors.New("role viewer has no alarm rights")
		}
		return nil
	})
	tests := []struct {
		name string
		do   func(e *Engine, id ID) error
		is   error
		as   any
	}{
		{"shelving longer than the alarm's maximum is a ShelveLimitError", func(e *Engine, id ID) error {
			return e.Shelve("op1", id, 3*time.Hour, "long job")
		}, nil, new(*ShelveLimitError)},
		{"shelving without a reason is refused", func(e *Engine, id ID) error {
			return e.Shelve("op1", id, time.Minute, "")
		}, ErrReasonRequired, nil},
		{"shelving for no time is refused", func(e *Engine, id ID) error {
			return e.Shelve("op1", id, 0, "x")
		}, ErrBadDuration, nil},
		{"one-shot shelving of an inactive alarm is refused", func(e *Engine, id ID) error {
			return e.ShelveOneShot("op1", id, "x")
		}, ErrNotActive, nil},
		{"unshelving an alarm that is not shelved is refused", func(e *Engine, id ID) error {
			return e.Unshelve("op1", id, "x")
		}, ErrNotShelved, nil},
		{"resetting an alarm that does not latch is refused", func(e *Engine, id ID) error {
			return e.Reset("op1", id, "")
		}, ErrNotLatched, nil},
		{"an action without a user is refused", func(e *Engine, id ID) error {
			return e.Ack("", id, "")
		}, ErrNoUser, nil},
		{"an action on an unknown alarm is refused", func(e *Engine, _ ID) error {
			return e.Ack("op1", 999, "")
		}, ErrUnknownAlarm, nil},
		{"taking an alarm out of service without a reason is refused", func(e *Engine, id ID) error {
			return e.SetOutOfService("op1", id, true, "")
		}, ErrReasonRequired, nil},
		{"a user the Authorizer refuses gets a PermissionError", func(e *Engine, id ID) error {
			return e.Ack("guest", id, "")
		}, nil, new(*PermissionError)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureWith(t, plantTags(hiAlarm), &memJournal{}, newClock(), deny)
			id := f.id("Tank1.Level", "Hi")
			err := tc.do(f.e, id)
			switch {
			case err == nil:
				t.Fatal("the action was accepted")
			case tc.is != nil && !errors.Is(err, tc.is):
				t.Fatalf("error %v is not %v", err, tc.is)
			case tc.as != nil && !errors.As(err, tc.as):
				t.Fatalf("error %v is not a %T", err, tc.as)
			}
			if !strings.Contains(err.Error(), "Tank1.Level/Hi") && !errors.Is(err, ErrUnknownAlarm) {
				t.Fatalf("error %q does not name the alarm", err)
			}
		})
	}
}

type authorizerFunc func(user string, a Action, tag *datasource.Tag) error

func (f authorizerFunc) Authorize(user string, a Action, tag *datasource.Tag) error {
	return f(user, a, tag)
}

func TestResetOfALatchedAlarm(t *testing.T) {
	f := newFixture(t, plantTags(datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80, Latching: true}))
	id := f.id("Tank1.Level", "Hi")
	f.feed(0, fl(90))
	if err := f.e.Reset("op1", id, ""); !errors.Is(err, ErrStillActive) {
		t.Fatalf("reset while active = %v, want ErrStillActive", err)
	}
	f.feed(0, fl(10))
	if a := f.get("Tank1.Level", "Hi"); !a.Latched || !a.Active || a.State != Unack {
		t.Fatalf("cleared latched alarm: %+v, want latched, active, Unack", a)
	}
	if err := f.e.Reset("op1", id, "checked the tank"); err != nil {
		t.Fatal(err)
	}
	if a := f.get("Tank1.Level", "Hi"); a.Latched || a.State != Normal {
		t.Fatalf("after reset: latched %v state %v, want Normal", a.Latched, a.State)
	}
}

func TestSuppressionByDesign(t *testing.T) {
	f := newFixture(t, plantTags(datasource.AlarmDef{Kind: datasource.AlarmLo, Limit: 20, SuppressBy: "Pump1.Stopped"}))
	id := f.id("Tank1.Level", "Lo")
	f.feed(2, datasource.Bool(true))
	f.feed(0, fl(5))
	a := f.get("Tank1.Level", "Lo")
	if !a.Suppressed || !a.Active || a.Annunciated {
		t.Fatalf("with the pump stopped: %+v, want suppressed, active, not annunciated", a)
	}
	if got := f.e.Summary(); got.Unacked != 0 || got.Suppressed != 1 || got.Active != 1 {
		t.Fatalf("summary %+v, want 0 unacked, 1 suppressed, 1 active", got)
	}
	f.feed(2, datasource.Bool(false))
	if a := f.get("Tank1.Level", "Lo"); a.Suppressed || !a.Annunciated || a.State != Unack {
		t.Fatalf("after the pump started: %+v, want annunciated Unack", a)
	}
	f.feed(2, datasource.Bool(true))
	f.e.Process([]datasource.Sample{{Tag: 2, Value: datasource.Bool(false), Quality: datasource.BadQuality(datasource.CommFailure)}})
	if a, _ := f.e.Get(id); !a.Suppressed {
		t.Fatal("a Bad reading of the condition tag ended suppression")
	}
	f.flush()
	want := []string{TransSuppress, TransActivate, TransUnsuppress, TransSuppress}
	if got := f.j.transitions("Tank1.Level", "Lo"); !slices.Equal(got, want) {
		t.Fatalf("journal %v, want %v", got, want)
	}
}

func TestOutOfService(t *testing.T) {
	f := newFixture(t, plantTags(hiAlarm))
	id := f.id("Tank1.Level", "Hi")
	if err := f.e.SetOutOfService("tech1", id, true, "transmitter removed"); err != nil {
		t.Fatal(err)
	}
	f.feed(0, fl(99))
	a := f.get("Tank1.Level", "Hi")
	if !a.OutOfService || !a.Active || a.Annunciated || a.OOSBy != "tech1" || a.OOSReason != "transmitter removed" {
		t.Fatalf("out of service: %+v", a)
	}
	f.feed(0, fl(10))
	if err := f.e.SetOutOfService("tech1", id, false, "back"); err != nil {
		t.Fatal(err)
	}
	if a := f.get("Tank1.Level", "Hi"); a.State != Normal || a.OutOfService {
		t.Fatalf("returned to service after it came and went: state %v oos %v, want Normal", a.State, a.OutOfService)
	}
	f.flush()
	evs := f.j.all()
	var oos bool
	for _, ev := range evs {
		if ev.Data["transition"] == TransOutOfService {
			oos = ev.User == "tech1" && ev.Data["reason"] == "transmitter removed" && ev.Time.Equal(t0)
		}
	}
	if !oos {
		t.Fatalf("no out_of_service event with who, when and reason in %+v", evs)
	}
}

func TestAckManyAcknowledgesWhatItMayAndReportsTheRest(t *testing.T) {
	deny := authorizerFunc(func(user string, a Action, tag *datasource.Tag) error {
		if tag.System {
			return errors.New("only maintenance acknowledges comm alarms")
		}
		return nil
	})
	f := newFixtureWith(t, plantTags(hiAlarm), &memJournal{}, newClock(), deny)
	f.feed(0, fl(90))
	f.feed(3, datasource.Bool(false))
	ids := []ID{f.id("Tank1.Level", "Hi"), f.id("_sys.plant.connected", "Comm")}
	err := f.e.AckMany("op1", ids, "seen")
	var pe *PermissionError
	if !errors.As(err, &pe) || pe.Alarm != "_sys.plant.connected/Comm" {
		t.Fatalf("AckMany = %v, want one PermissionError for the comm alarm", err)
	}
	if a := f.get("Tank1.Level", "Hi"); a.State != Acked {
		t.Fatalf("the permitted alarm is %v, want Acked", a.State)
	}
}

func TestActiveIsSortedByPriorityThenNewestFirst(t *testing.T) {
	tags := plantTags(
		datasource.AlarmDef{Kind: datasource.AlarmHiHi, Limit: 95, Priority: datasource.PriorityCritical},
		datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80, Priority: datasource.PriorityMedium},
		datasource.AlarmDef{Kind: datasource.AlarmDeviation, Limit: 5, Setpoint: "Tank1.LevelSP", Priority: datasource.PriorityMedium},
	)
	f := newFixture(t, tags)
	f.feed(1, fl(50))
	f.feed(0, fl(85)) // Hi and Deviation at t0
	f.advance(time.Second)
	f.feed(3, datasource.Bool(false)) // Comm (high) at t0+1s
	f.advance(time.Second)
	f.feed(0, fl(97)) // HiHi (critical) at t0+2s
	f.advance(time.Second)
	f.feed(1, fl(96)) // Deviation clears (RTNUnack keeps it listed), stays at t0
	var got []string
	for _, a := range f.e.Active() {
		got = append(got, a.Name)
	}
	want := []string{"HiHi", "Comm", "Deviation", "Hi"}
	if !slices.Equal(got, want) {
		t.Fatalf("Active order %v, want %v", got, want)
	}
	sum := f.e.Summary()
	if sum.Annunciated[datasource.PriorityCritical] != 1 || sum.Annunciated[datasource.PriorityHigh] != 1 ||
		sum.Annunciated[datasource.PriorityMedium] != 2 || sum.Unacked != 4 || sum.Active != 3 {
		t.Fatalf("summary %+v", sum)
	}
}

func TestVersionAndChangedFollowTransitionsOnly(t *testing.T) {
	f := newFixture(t, plantTags(hiAlarm))
	v0 := f.e.Version()
	f.feed(0, fl(50))
	if f.e.Version() != v0 {
		t.Fatal("a reading that changes no alarm moved the version")
	}
	f.feed(0, fl(90))
	if f.e.Version() == v0 {
		t.Fatal("an activation did not move the version")
	}
	select {
	case <-f.e.Changed():
	default:
		t.Fatal("Changed did not signal the activation")
	}
}

func TestMessagesCarryValueAndUnits(t *testing.T) {
	tags := plantTags(
		datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80},
		datasource.AlarmDef{Kind: datasource.AlarmHiHi, Limit: 95, Message: "Tank 1 overfilling: {value} {units} (limit {limit})"},
	)
	f := newFixture(t, tags)
	f.feed(0, fl(96.25))
	f.feed(3, datasource.Bool(false))
	for _, c := range []struct{ tag, name, want string }{
		{"Tank1.Level", "Hi", "Tank1.Level Hi 96.2 %"},
		{"Tank1.Level", "HiHi", "Tank 1 overfilling: 96.2 % (limit 95)"},
		{"_sys.plant.connected", "Comm", "device plant communication failure DISCONNECTED"},
	} {
		if got := f.get(c.tag, c.name).Message; got != c.want {
			t.Fatalf("%s/%s message %q, want %q", c.tag, c.name, got, c.want)
		}
	}
	f.flush()
	ev := f.j.all()[0]
	if ev.Kind != EventKind || ev.Source != "Tank1.Level" || ev.State != "Unack" || ev.Data["severity"] != "500" ||
		ev.Data["value"] != "96.2" || ev.Data["annunciate"] != "true" || ev.Message == "" {
		t.Fatalf("activation event %+v", ev)
	}
}

func TestJournalFailureKeepsEventsForTheNextFlush(t *testing.T) {
	j := &memJournal{failing: true}
	f := newFixtureWith(t, plantTags(hiAlarm), j, newClock(), nil)
	f.feed(0, fl(90))
	if err := f.e.Flush(); !errors.Is(err, errJournalDown) {
		t.Fatalf("Flush = %v, want the journal's error", err)
	}
	j.mu.Lock()
	j.failing = false
	j.mu.Unlock()
	f.flush()
	if got := j.transitions("Tank1.Level", "Hi"); !slices.Equal(got, []string{TransActivate}) {
		t.Fatalf("journal after retry %v, want the activation once", got)
	}
}
