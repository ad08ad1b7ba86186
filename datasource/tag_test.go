package datasource

import (
	"errors"
	"testing"
	"unsafe"
)

// A project holds one Tag per tag for its whole run: at 100,000 tags every
// 8 bytes of Tag are 0.8 MB of heap. This pins the packed layout (small
// fields first, no padding) so that a field added in the wrong place, or a
// word where a byte would do, shows up here rather than in a heap profile.
func TestTagSize(t *testing.T) {
	if got, want := unsafe.Sizeof(Tag{}), uintptr(304); got != want {
		t.Errorf("unsafe.Sizeof(Tag{}) = %d, want %d: keep the small fields together at the top (docs/architecture.md, \"Memory with history\")", got, want)
	}
	if got, want := unsafe.Sizeof(AlarmDef{}), uintptr(184); got != want {
		t.Errorf("unsafe.Sizeof(AlarmDef{}) = %d, want %d", got, want)
	}
	if got, want := unsafe.Sizeof(HistorySettings{}), uintptr(24); got != want {
		t.Errorf("unsafe.Sizeof(HistorySettings{}) = %d, want %d", got, want)
	}
}

func TestAddressPosIsTheAddressLineOfTheTagsFile(t *testing.T) {
	tag := &Tag{Name: "T", Pos: Pos{File: "p.yaml", Line: 6}, AddressLine: 7}
	if got, want := tag.AddressPos(), (Pos{File: "p.yaml", Line: 7}); got != want {
		t.Errorf("AddressPos() = %v, want %v", got, want)
	}
	if got := (&Tag{Pos: Pos{File: "p.yaml", Line: 6}}).AddressPos(); got != (Pos{}) {
		t.Errorf("AddressPos() without an address line = %v, want the zero Pos", got)
	}
	err := &TagError{Tag: tag, Field: "address", Err: errors.New("test")}
	if got, want := err.Error(), "p.yaml:7: tag T: address: test"; got != want {
		t.Errorf("TagError = %q, want %q", got, want)
	}
	err.Field = "type"
	if got, want := err.Error(), "p.yaml:6: tag T: type: test"; got != want {
		t.Errorf("TagError = %q, want %q", got, want)
	}
}
