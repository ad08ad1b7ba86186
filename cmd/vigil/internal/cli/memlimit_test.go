package cli

import (
	"math"
	"runtime/debug"
	"testing"
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
	if got := setMemoryLimit(100_000, true); got != -1 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set, setMemoryLimit set %d: the operator's limit must stay", got)
	}
	want := memoryLimit(100_000)
	if got := setMemoryLimit(100_000, false); got != want || debug.SetMemoryLimit(-1) != want {
		t.Errorf("setMemoryLimit(100000) = %d, runtime limit %d, want %d", got, debug.SetMemoryLimit(-1), want)
	}
}
