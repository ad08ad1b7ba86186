package horn

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sink records what the horn asked to sound.
type sink struct{ got []datasource.Priority }

func (s *sink) Sound(p datasource.Priority) { s.got = append(s.got, p) }

// audit records the silencing.
type audit struct{ events []string }

func (a *audit) AlarmAction(user string, action alarms.Action, alarm, reason string, err error) error {
	a.events = append(a.events, user+" "+string(action)+" "+alarm+": "+reason)
	return nil
}

type plant struct {
	clk *clockwork.FakeClock
	eng *alarms.Engine
}

func newPlant(t *testing.T) *plant {
	t.Helper()
	tags := []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Type: datasource.TypeFloat64, Alarms: []datasource.AlarmDef{
			{Name: "HiHi", Kind: datasource.AlarmHiHi, Limit: 90, Priority: datasource.PriorityCritical, Message: "very high"},
			{Name: "Hi", Kind: datasource.AlarmHi, Limit: 80, Priority: datasource.PriorityMedium, Message: "high"}}},
		{ID: 1, Name: "Pump1.Current", Type: datasource.TypeFloat64, Alarms: []datasource.AlarmDef{
			{Name: "Hi", Kind: datasource.AlarmHi, Limit: 15, Priority: datasource.PriorityHigh, Message: "overload"}}},
	}
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC))
	eng, err := alarms.New(tags, alarms.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return &plant{clk: clk, eng: eng}
}

func (p *plant) set(tag datasource.TagID, v float64) {
	p.clk.Advance(time.Second)
	p.eng.Process([]datasource.Sample{{Tag: tag, Value: datasource.Float(v), Time: p.clk.Now()}})
	p.eng.Tick(p.clk.Now())
}

func (p *plant) ack(t *testing.T, tag, name string) {
	t.Helper()
	id, ok := p.eng.Lookup(tag, name)
	if !ok {
		t.Fatalf("no alarm %s/%s", tag, name)
	}
	if err := p.eng.Ack("anna", id, ""); err != nil {
		t.Fatal(err)
	}
}

func TestTheHornSoundsTheMostUrgentUnacknowledgedAlarmUntilAcknowledged(t *testing.T) {
	p, s := newPlant(t), &sink{}
	h := New(p.eng, s, Options{})
	h.Update()
	if h.Sounding() != 0 || len(s.got) != 0 {
		t.Fatalf("a quiet plant sounds %v", s.got)
	}
	p.set(0, 85) // medium: seen, not heard
	h.Update()
	if h.Sounding() != 0 {
		t.Fatalf("a medium alarm sounds %v by default", h.Sounding())
	}
	p.set(1, 20) // high
	h.Update()
	if h.Sounding() != datasource.PriorityHigh {
		t.Fatalf("a high alarm sounds %v", h.Sounding())
	}
	p.set(0, 95) // critical on top
	h.Update()
	if h.Sounding() != datasource.PriorityCritical {
		t.Fatalf("with a critical alarm the horn sounds %v", h.Sounding())
	}
	p.ack(t, "Tank1.Level", "HiHi")
	h.Update()
	if h.Sounding() != datasource.PriorityHigh {
		t.Fatalf("after the critical alarm's acknowledge the horn sounds %v, want the high one's tone", h.Sounding())
	}
	p.ack(t, "Pump1.Current", "Hi")
	h.Update()
	if h.Sounding() != 0 {
		t.Fatalf("with everything acknowledged the horn sounds %v", h.Sounding())
	}
	want := []datasource.Priority{datasource.PriorityHigh, datasource.PriorityCritical, datasource.PriorityHigh, 0}
	if len(s.got) != len(want) {
		t.Fatalf("sink was told %v, want %v", s.got, want)
	}
	for i := range want {
		if s.got[i] != want[i] {
			t.Fatalf("sink was told %v, want %v", s.got, want)
		}
	}
}

func TestSilenceIsAuditedAndANewAlarmSoundsAgain(t *testing.T) {
	p, s, a := newPlant(t), &sink{}, &audit{}
	h := New(p.eng, s, Options{Audit: a})
	if n := h.Silence("anna"); n != 0 || len(a.events) != 0 {
		t.Fatalf("silencing a quiet horn: %d silenced, audit %v", n, a.events)
	}
	p.set(1, 20)
	h.Update()
	if n := h.Silence("anna"); n != 1 || h.Sounding() != 0 {
		t.Fatalf("silence: %d silenced, still sounding %v", n, h.Sounding())
	}
	if len(a.events) != 1 || !strings.Contains(a.events[0], "anna silence horn horn: silenced Pump1.Current/Hi") {
		t.Fatalf("audit = %q", a.events)
	}
	p.set(1, 21) // the same alarm, still unacknowledged: stays silenced
	h.Update()
	if h.Sounding() != 0 {
		t.Fatalf("a silenced alarm sounds again (%v) without a new occurrence", h.Sounding())
	}
	p.set(0, 95) // a new alarm
	h.Update()
	if h.Sounding() != datasource.PriorityCritical {
		t.Fatalf("a new critical alarm after a silence sounds %v", h.Sounding())
	}
	// The silenced alarm clears and comes back: it is a new occurrence.
	h.Silence("anna")
	p.set(1, 5)
	p.ack(t, "Pump1.Current", "Hi")
	h.Update()
	p.set(1, 20)
	h.Update()
	if h.Sounding() != datasource.PriorityHigh {
		t.Fatalf("an alarm that came back after its silence sounds %v", h.Sounding())
	}
}

func TestConfiguredPrioritiesSound(t *testing.T) {
	p, s := newPlant(t), &sink{}
	h := New(p.eng, s, Options{Priorities: []datasource.Priority{datasource.PriorityMedium}})
	p.set(0, 85)
	h.Update()
	if h.Sounding() != datasource.PriorityMedium {
		t.Fatalf("medium configured to sound: horn sounds %v", h.Sounding())
	}
}

func TestEachPriorityHasItsOwnToneAndRhythm(t *testing.T) {
	for p, pat := range Patterns {
		tn := tone{p: pat}
		buf := make([]byte, 2*SampleRate*int((pat.On+pat.Off)/time.Millisecond)/1000)
		if n := tn.fill(buf); n != len(buf) {
			t.Fatalf("priority %v: filled %d of %d bytes", p, n, len(buf))
		}
		on := int(pat.On.Seconds() * SampleRate)
		var peakOn, peakOff int16
		for i := 0; i+1 < len(buf); i += 2 {
			v := int16(binary.LittleEndian.Uint16(buf[i:]))
			if v < 0 {
				v = -v
			}
			if i/2 < on {
				peakOn = max(peakOn, v)
			} else {
				peakOff = max(peakOff, v)
			}
		}
		if peakOn < 10000 || peakOff != 0 {
			t.Errorf("priority %v: peak %d while on, %d while off", p, peakOn, peakOff)
		}
	}
	seen := map[float64]bool{}
	for _, pat := range Patterns {
		if seen[pat.Freq] {
			t.Errorf("two priorities share %v Hz", pat.Freq)
		}
		seen[pat.Freq] = true
	}
}

func TestAToneWithoutAPatternIsSilence(t *testing.T) {
	var tn tone
	b := []byte{1, 2, 3, 4, 5}
	if n := tn.fill(b); n != 4 || b[0] != 0 || b[3] != 0 {
		t.Fatalf("fill = %d, %v", n, b)
	}
}
