package project

import (
	"testing"
	"unsafe"

	"github.com/vigil-hmi/vigil/datasource"
)

// The tags read from the file lie in one array, their shared strings once,
// and editing one tag's alarms cannot reach its neighbour's.
func TestCompiledTagsAreCompact(t *testing.T) {
	p := loadValid(t)
	var prev *datasource.Tag
	for _, tag := range p.Tags {
		if tag.System {
			continue
		}
		if prev != nil && uintptr(unsafe.Pointer(tag))-uintptr(unsafe.Pointer(prev)) != unsafe.Sizeof(datasource.Tag{}) {
			t.Fatalf("tag %s is not next to %s in one array", tag.Name, prev.Name)
		}
		if prev != nil && prev.Device == tag.Device && prev.Device != "" && unsafe.StringData(prev.Device) != unsafe.StringData(tag.Device) {
			t.Errorf("tags %s and %s hold two copies of device %q", prev.Name, tag.Name, tag.Device)
		}
		if len(tag.Alarms) > 0 && cap(tag.Alarms) != len(tag.Alarms) {
			t.Errorf("tag %s: alarms have room for %d more, which an append would take from the next tag", tag.Name, cap(tag.Alarms)-len(tag.Alarms))
		}
		prev = tag
	}
}
