package alarms

import (
	"testing"
	"unsafe"

	"github.com/vigil-hmi/vigil/datasource"
)

// The engine holds a def and a state per alarm for the whole run (20,000 of
// each in the 100,000-tag project): this pins their packed layouts, so that
// a field added where it makes padding shows up here.
func TestStateAndDefSizes(t *testing.T) {
	if got, want := unsafe.Sizeof(def{}), uintptr(144); got != want {
		t.Errorf("unsafe.Sizeof(def{}) = %d, want %d: keep the small fields together at the top", got, want)
	}
	if got, want := unsafe.Sizeof(state{}), uintptr(224); got != want {
		t.Errorf("unsafe.Sizeof(state{}) = %d, want %d: keep the flags together after quality", got, want)
	}
}

// Lookup finds every alarm by its tag and name, whatever their order, and
// nothing else: not a prefix, not another tag's alarm of the same name.
func TestLookupFindsEveryAlarmByTagAndName(t *testing.T) {
	tags := plantTags(
		datasource.AlarmDef{Kind: datasource.AlarmHiHi, Limit: 95, Priority: datasource.PriorityHigh},
		datasource.AlarmDef{Kind: datasource.AlarmHi, Limit: 80, Priority: datasource.PriorityMedium},
		datasource.AlarmDef{Kind: datasource.AlarmLo, Name: "A", Limit: 10, Priority: datasource.PriorityLow},
	)
	tags[2].Alarms = []datasource.AlarmDef{{Kind: datasource.AlarmDiscrete, Name: "Hi", State: datasource.Bool(true), Priority: datasource.PriorityLow}}
	e, err := New(tags, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for id := range ID(e.Len()) {
		d := &e.defs[id]
		if got, ok := e.Lookup(d.tag.Name, d.name); !ok || got != id {
			t.Errorf("Lookup(%q, %q) = %d, %v; want %d", d.tag.Name, d.name, got, ok, id)
		}
	}
	for _, k := range [][2]string{{"Tank1.Level", "H"}, {"Tank1.Level", "Lo"}, {"Tank1.Leve", "Hi"}, {"Tank1.LevelSP", "Hi"}, {"", ""}, {"Tank1.Level/Hi", ""}, {"Pump1.Stopped", "HiHi"}} {
		if id, ok := e.Lookup(k[0], k[1]); ok {
			t.Errorf("Lookup(%q, %q) = %d, want none", k[0], k[1], id)
		}
	}
}
