package cli

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestMemoryLimitGrowsWithTheProjectAndGOMEMLIMITWins(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })

	if got := memoryLimit(0); got != memoryBase {
		t.Errorf("limit of an empty project = %d, want the base %d", got, memoryBase)
	}
	if small, large := memoryLimit(10_000), memoryLimit(100_000); large-small != 90_000*memoryPerTag {
		t.Errorf("limit for 10,000 tags %d and 100,000 tags %d: not %d bytes per tag apart", small, large, memoryPerTag)
	}
	if got := memoryLimit(math.MaxInt); got != math.MaxInt64 {
		t.Errorf("limit of an impossible project = %d, want no limit", got)
	}

	debug.SetMemoryLimit(math.MaxInt64)
	if got := setMemoryLimit(100_000, startMemory{}, 0, true); got != -1 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set, setMemoryLimit set %d: the operator's limit must stay", got)
	}
	want := memoryLimit(100_000)
	if got := setMemoryLimit(100_000, startMemory{}, 0, false); got != want || debug.SetMemoryLimit(-1) != want {
		t.Errorf("setMemoryLimit(100000) = %d, runtime limit %d, want %d", got, debug.SetMemoryLimit(-1), want)
	}
	if got := setMemoryLimit(100_000, startMemory{}, guiMemory, false); got != want+guiMemory || debug.SetMemoryLimit(-1) != want+guiMemory {
		t.Errorf("setMemoryLimit(100000) for the window = %d, runtime limit %d, want %d", got, debug.SetMemoryLimit(-1), want+guiMemory)
	}
	// What the runtime holds at the start plus half the live heap, when
	// under the tags' limit, changes nothing (100,000 tags: 94 MiB live,
	// 124 held); above it (10,000 tags and 10,000 calculated tags: 78 MiB
	// live in spans holding 170), it is the limit, the window's share on
	// top.
	if got := setMemoryLimit(100_000, startMemory{live: 94 << 20, held: 124 << 20}, 0, false); got != want {
		t.Errorf("100,000 tags, 94 MiB live: %d, want %d", got, want)
	}
	at := startMemory{live: 78 << 20, held: 170 << 20}
	if got, floor := setMemoryLimit(20_000, at, guiMemory, false), at.held+at.live/2; got != floor+guiMemory || debug.SetMemoryLimit(-1) != got {
		t.Errorf("20,000 tags, %d live, %d held: limit %d, want %d (the tags' own: %d)", at.live, at.held, got, floor+guiMemory, memoryLimit(20_000))
	}
	runtime.GC()
	if m := readMemory(); m.live <= 0 || m.held < m.live {
		t.Errorf("readMemory after a collection = %+v: want a live heap, and at least as much held", m)
	}
}

func TestOpenChunksOfALargeProjectSealSmaller(t *testing.T) {
	project := func(historized, other int) []*datasource.Tag {
		var tags []*datasource.Tag
		for i := range historized + other {
			tags = append(tags, &datasource.Tag{ID: datasource.TagID(i), History: datasource.HistorySettings{Enabled: i < historized}})
		}
		return tags
	}
	tests := []struct {
		name              string
		historized, other int
		want              int
	}{
		{"no tags: history's default", 0, 0, 1024},
		{"10,000 historized tags: history's default", 10_000, 0, 1024},
		{"tags without history do not count", 10_000, 90_000, 1024},
		{"50,000 historized tags: their share of the budget", 50_000, 0, openChunkBudget / 50_000},
		{"100,000 historized tags: the floor", 100_000, 0, 512},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := openChunkBytes(project(tt.historized, tt.other)); got != tt.want {
				t.Fatalf("openChunkBytes = %d, want %d", got, tt.want)
			}
		})
	}
}
