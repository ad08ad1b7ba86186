package alarms

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
)

func restoreTags() []*datasource.Tag {
	return plantTags(
		datasource.AlarmDef{Kind: datasource.AlarmHiHi, Limit: 95},
		datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80},
		datasource.AlarmDef{Kind: datasource.AlarmLo, Limit: 20, Latching: true},
	)
}

func TestRestartRestoresWhatOperatorsDid(t *testing.T) {
	j := &memJournal{}
	clk := newClock()
	f := newFixtureWith(t, restoreTags(), j, clk, nil)
	f.feed(0, fl(10)) // Lo latches, Unack
	f.feed(0, fl(90)) // Lo latched (cleared), Hi Unack
	if err := f.e.Ack("op1", f.id("Tank1.Level", "Lo"), ""); err != nil {
		t.Fatal(err)
	}
	if err := f.e.Shelve("op1", f.id("Tank1.Level", "HiHi"), 30*time.Minute, "level transmitter drift"); err != nil {
		t.Fatal(err)
	}
	if err := f.e.SetOutOfService("tech1", f.id("_sys.plant.connected", "Comm"), true, "PLC firmware update"); err != nil {
		t.Fatal(err)
	}
	f.flush()

	clk.Advance(10 * time.Minute) // Vigil is down for 10 minutes
	g := newFixtureWith(t, restoreTags(), j, clk, nil)
	hi, hihi, lo, comm := g.get("Tank1.Level", "Hi"), g.get("Tank1.Level", "HiHi"), g.get("Tank1.Level", "Lo"), g.get("_sys.plant.connected", "Comm")
	if hi.State != Unack || !hi.Since.Equal(t0) {
		t.Fatalf("Hi restored as %v since %v, want Unack since %v", hi.State, hi.Since, t0)
	}
	if !hihi.Shelved || !hihi.ShelvedUntil.Equal(t0.Add(30*time.Minute)) || hihi.ShelvedBy != "op1" || hihi.ShelveReason != "level transmitter drift" {
		t.Fatalf("HiHi restored as %+v, want shelved by op1 until t0+30m", hihi)
	}
	if !lo.Latched || lo.State != Acked {
		t.Fatalf("Lo restored as latched %v %v, want latched Acked", lo.Latched, lo.State)
	}
	if !comm.OutOfService || comm.OOSBy != "tech1" || comm.OOSReason != "PLC firmware update" {
		t.Fatalf("Comm restored as %+v, want out of service by tech1", comm)
	}
	g.advance(19 * time.Minute)
	if !g.get("Tank1.Level", "HiHi").Shelved {
		t.Fatal("shelving ended before its remaining 20 minutes")
	}
	g.advance(time.Minute)
	if g.get("Tank1.Level", "HiHi").Shelved {
		t.Fatal("shelving did not end at its original time after the restart")
	}
	g.feed(0, fl(50)) // Hi clears after the restart
	if got := g.get("Tank1.Level", "Hi").State; got != RTNUnack {
		t.Fatalf("Hi after the first reading below its limit: %v, want RTNUnack", got)
	}
	g.flush()
	if got := j.transitions("Tank1.Level", "Hi"); !slices.Equal(got, []string{TransActivate, TransRestore, TransClear}) {
		t.Fatalf("Hi journal %v", got)
	}
}

func TestRestoreIgnoresAlarmsNoLongerDefined(t *testing.T) {
	j := &memJournal{}
	clk := newClock()
	f := newFixtureWith(t, plantTags(datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80, Name: "Old"}), j, clk, nil)
	f.feed(0, fl(90))
	f.flush()
	g := newFixtureWith(t, plantTags(hiAlarm), j, clk, nil)
	if n := len(g.e.Active()); n != 0 {
		t.Fatalf("%d alarms restored from a removed definition", n)
	}
}

func TestRestartRestoresFromARealHistoryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plant.db")
	clk := newClock()
	open := func() *history.Store {
		s, err := history.Open(path, history.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	store := open()
	e, err := New(restoreTags(), Options{Clock: clk, Journal: store})
	if err != nil {
		t.Fatal(err)
	}
	e.Process([]datasource.Sample{{Tag: 0, Value: fl(97), Time: clk.Now()}})
	hihi, _ := e.Lookup("Tank1.Level", "HiHi")
	if err := e.Shelve("op1", hihi, 45*time.Minute, "calibration"); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	clk.Advance(5 * time.Minute)
	store = open()
	defer store.Close()
	g, err := New(restoreTags(), Options{Clock: clk, Journal: store})
	if err != nil {
		t.Fatal(err)
	}
	hi, _ := g.Lookup("Tank1.Level", "Hi")
	if a, _ := g.Get(hi); a.State != Unack || !a.Since.Equal(t0) {
		t.Fatalf("Hi restored as %v since %v, want Unack since %v", a.State, a.Since, t0)
	}
	if a, _ := g.Get(hihi); !a.Shelved || !a.ShelvedUntil.Equal(t0.Add(45*time.Minute)) || a.ShelveReason != "calibration" {
		t.Fatalf("HiHi restored as %+v, want shelved until t0+45m for calibration", a)
	}
}
