package cli

import (
	"math"
	"runtime/debug"
)

// The soft memory limit of a running project (docs/architecture.md,
// "Memory with history"): memoryBase plus memoryPerTag for each tag of the
// project, 276 MB at 100,000 tags.
//
// The Go collector lets the heap grow to twice what is live before it
// collects (GOGC 100). For a small project that headroom is a few
// megabytes; for 100,000 tags, whose live heap is 170-200 MB, it is
// another 170 MB resident for nothing. At 1,600 bytes per tag the
// collector ran twice a second there (44 % of a core); at 1,800 every
// 1.5-2 s (17.7 % of a core in all, against 8-10 % without a limit). The limit makes the collector run
// earlier when the process nears it, and only then: a project whose heap
// stays under half the limit never notices it. It is soft: a heap that
// needs more gets it, the collector then running often (the Go runtime
// caps its share at about half of the CPU).
//
// The window (vigil open) adds guiMemory: its screens' snapshots, the tag
// browser's rows and Fyne's own objects, about 35 MB live at 100,000
// tags. Its resident size has more outside the Go heap that no limit
// covers (the OpenGL libraries, about 70 MB, and their buffers).
const (
	memoryBase   = 96 << 20
	memoryPerTag = 1800
	guiMemory    = 64 << 20
)

// setMemoryLimit sets the soft memory limit for a project of tags tags,
// plus extra bytes, unless the GOMEMLIMIT environment variable (envSet)
// already set one: an operator's own limit wins. It returns the limit
// set, or -1.
func setMemoryLimit(tags int, extra int64, envSet bool) int64 {
	if envSet {
		return -1
	}
	limit := memoryLimit(tags)
	if limit <= math.MaxInt64-extra {
		limit += extra
	}
	debug.SetMemoryLimit(limit)
	return limit
}

// memoryLimit is the soft memory limit for a project of tags tags.
func memoryLimit(tags int) int64 {
	if tags < 0 {
		tags = 0
	}
	if int64(tags) > (math.MaxInt64-memoryBase)/memoryPerTag {
		return math.MaxInt64
	}
	return memoryBase + int64(tags)*memoryPerTag
}
