package sim

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

func TestScheduledDropFailsConnectAndReadDuringItsWindow(t *testing.T) {
	d, pl, clk := connected(t, Settings{Seed: 1, Faults: []FaultSpec{{Kind: "drop", At: time.Minute, For: 10 * time.Second}}},
		tag(0, "L", "tank1.level", datasource.TypeFloat32))
	ctx := context.Background()
	clk.Advance(59 * time.Second)
	read(t, d, pl)
	clk.Advance(time.Second)
	if _, err := d.Read(ctx, pl, nil); !errors.Is(err, poll.ErrNotConnected) {
		t.Fatalf("Read in the drop window = %v, want ErrNotConnected", err)
	}
	if err := d.Connect(ctx); !errors.Is(err, poll.ErrNotConnected) {
		t.Fatalf("Connect in the drop window = %v, want ErrNotConnected", err)
	}
	clk.Advance(9 * time.Second)
	if err := d.Connect(ctx); !errors.Is(err, poll.ErrNotConnected) {
		t.Fatalf("Connect at 69 s = %v, want ErrNotConnected", err)
	}
	clk.Advance(time.Second)
	if err := d.Connect(ctx); err != nil {
		t.Fatalf("Connect after the window = %v", err)
	}
	if s := read(t, d, pl); len(s) != 1 || !s[0].Quality.IsGood() {
		t.Fatalf("read after reconnect = %+v", s)
	}
}

func TestScheduledFreezeHoldsTheValueByTagNameOrSignal(t *testing.T) {
	for _, name := range []string{"Tank1.Level", "tank1.level"} {
		t.Run("fault tag "+name, func(t *testing.T) {
			d, pl, clk := connected(t, Settings{Seed: 1, Faults: []FaultSpec{{Kind: "freeze", Tag: name, At: 30 * time.Second, For: 20 * time.Second}}},
				tag(0, "Tank1.Level", "tank1.level", datasource.TypeFloat64),
				tag(1, "Tank1.Inflow", "tank1.inflow", datasource.TypeFloat64))
			set(t, d.Plant(), "tank1.level_sp", datasource.Float(80)) // so the level moves
			clk.Advance(30 * time.Second)
			frozen := read(t, d, pl)
			for range 19 {
				clk.Advance(time.Second)
				s := read(t, d, pl)
				if s[0].Value != frozen[0].Value || !s[0].Quality.IsGood() {
					t.Fatalf("frozen level changed from %v to %v (%s)", frozen[0].Value, s[0].Value, s[0].Quality)
				}
				if s[1].Value == frozen[1].Value {
					t.Fatal("freezing the level froze the inflow too")
				}
			}
			clk.Advance(2 * time.Second)
			if s := read(t, d, pl); s[0].Value == frozen[0].Value {
				t.Fatal("the level stayed frozen after the fault's window")
			}
		})
	}
}

func TestBadFaultGivesBadDeviceFailureSamples(t *testing.T) {
	d, pl, clk := connected(t, Settings{Seed: 1},
		tag(0, "V", "pump1.vibration", datasource.TypeFloat32),
		tag(1, "C", "pump1.current", datasource.TypeFloat32))
	if err := d.Plant().Inject(FaultBad, "pump1.vibration", time.Minute); err != nil {
		t.Fatal(err)
	}
	s := read(t, d, pl)
	want := datasource.BadQuality(datasource.DeviceFailure)
	if s[0].Quality != want || !s[0].Value.IsNone() {
		t.Fatalf("vibration during a bad fault = %+v, want %s with no value", s[0], want)
	}
	if !s[1].Quality.IsGood() {
		t.Fatalf("current during a vibration fault = %s, want Good", s[1].Quality)
	}
	clk.Advance(time.Minute)
	if s := read(t, d, pl); !s[0].Quality.IsGood() {
		t.Fatalf("vibration after the fault = %s, want Good", s[0].Quality)
	}
}

func TestInjectedFaultsStartNowAndClearFaultsEndsThem(t *testing.T) {
	p, clk := newTestPlant(t, 1, 1)
	clk.Advance(time.Hour)
	if err := p.Inject(FaultDrop, "", 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Inject(FaultFreeze, "", 0); err != nil { // every signal
		t.Fatal(err)
	}
	if err := p.Inject(FaultBad, "meter1.power", 0); err != nil {
		t.Fatal(err)
	}
	before := p.ReadAll(nil)
	clk.Advance(time.Hour)
	if p.Connected() {
		t.Fatal("connected during an endless drop")
	}
	for i, r := range p.ReadAll(nil) {
		if r.Signal == "meter1.power" {
			if !r.Quality.IsBad() {
				t.Fatalf("meter1.power %s, want Bad", r.Quality)
			}
			continue
		}
		if r != before[i] {
			t.Fatalf("%s changed from %v to %v under a freeze of every signal", r.Signal, before[i].Value, r.Value)
		}
	}
	if got := len(p.Faults()); got != 3 {
		t.Fatalf("Faults() has %d, want 3", got)
	}
	p.ClearFaults()
	clk.Advance(time.Second)
	if !p.Connected() || len(p.Faults()) != 0 {
		t.Fatal("faults remain after ClearFaults")
	}
	if r, _ := p.Get("meter1.energy"); r == before[sMeterEnergy] {
		t.Fatal("energy still frozen after ClearFaults")
	}
}

func TestScheduleRefusesMalformedFaults(t *testing.T) {
	p, _ := newTestPlant(t, 1, 1)
	tests := []struct {
		name string
		f    Fault
		says string
	}{
		{"an unknown kind", Fault{Kind: "melt"}, "unknown kind"},
		{"a drop on a signal", Fault{Kind: FaultDrop, Signal: "tank1.level"}, "whole connection"},
		{"an unknown signal, with suggestions", Fault{Kind: FaultBad, Signal: "tank1.lvl"}, "tank1.level"},
		{"a negative time", Fault{Kind: FaultFreeze, Signal: "tank1.level", At: -time.Second}, ">= 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := p.Schedule(tt.f); err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Schedule(%+v) = %v, want an error with %q", tt.f, err, tt.says)
			}
		})
	}
}

func TestPlantIsSafeForConcurrentUse(t *testing.T) {
	d, pl, clk := connected(t, Settings{Seed: 1},
		tag(0, "L", "tank1.level", datasource.TypeFloat32),
		tag(1, "SP", "tank1.level_sp", datasource.TypeFloat32))
	p := d.Plant()
	var wg sync.WaitGroup
	ctx := context.Background()
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				switch g {
				case 0:
					clk.Advance(100 * time.Millisecond)
				case 1:
					if _, err := d.Read(ctx, pl, nil); err != nil {
						t.Error(err)
						return
					}
				case 2:
					if err := p.Set("tank1.level_sp", datasource.Float(float64(40+i%20))); err != nil {
						t.Error(err)
						return
					}
				case 3:
					p.ReadAll(nil)
					if i%50 == 0 {
						if err := p.Inject(FaultFreeze, "tank1.outflow", time.Second); err != nil {
							t.Error(err)
							return
						}
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestAFaultOnATagIsScheduledWhenPrepareFirstSeesTheTag(t *testing.T) {
	clk := clockwork.NewFakeClockAt(start)
	d, err := New(device(Settings{Faults: []FaultSpec{{Kind: "bad", Tag: "Pump1.Vibration", At: time.Minute}}}), clk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Prepare([]*datasource.Tag{tag(0, "Tank1.Level", "tank1.level", datasource.TypeFloat32)}); err != nil {
		t.Fatal(err)
	}
	if n := len(d.Plant().Faults()); n != 0 {
		t.Fatalf("%d faults scheduled before the fault's tag was prepared, want 0", n)
	}
	// The tag of the fault is in another scan class, prepared second.
	if _, err := d.Prepare([]*datasource.Tag{tag(1, "Pump1.Vibration", "pump1.vibration", datasource.TypeFloat32)}); err != nil {
		t.Fatal(err)
	}
	f := d.Plant().Faults()
	if len(f) != 1 || f[0].Signal != "pump1.vibration" || f[0].At != time.Minute {
		t.Fatalf("faults %+v, want bad on pump1.vibration at 1m", f)
	}
	if _, err := d.Prepare([]*datasource.Tag{tag(1, "Pump1.Vibration", "pump1.vibration", datasource.TypeFloat32)}); err != nil {
		t.Fatal(err)
	}
	if n := len(d.Plant().Faults()); n != 1 {
		t.Fatalf("preparing the tag again scheduled the fault again: %d faults", n)
	}
}
