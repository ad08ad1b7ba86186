package cli

import (
	"math"
	"runtime/debug"
)

// The soft memory limit of a running project (docs/architecture.md,
// "Memory with history"): memoryBase plus memoryPerTag for each tag of the
// project, 204 MB (194 MiB) at 100,000 tags.
//
// The Go collector lets the heap grow to twice what is live before it
// collects (GOGC 100). For a small project that headroom is a few
// megabytes; for 100,000 tags, whose live heap is 130-165 MiB, it is
// another 150 MB resident for nothing. The limit makes the collector run
// earlier when the process nears it, and only then: a project whose heap
// stays under half the limit never notices it. It is soft: a heap that
// needs more gets it, the collector then running often (the Go runtime
// caps its share at about half of the CPU).
//
// The slope is what sets the headroom of a large project: its live heap
// grows by about 1,500 bytes per tag (1,470 from 10,000 to 100,000 tags
// after 10 minutes), so 1,700 leaves it 35-50 MiB at 100,000 tags and
// more above, and keeps a large plant's resident memory under 2 KB a tag
// (issue 20). Measured with the real binary at 100,000 tags
// (GOMEMLIMIT set to each): 196 MiB, RSS 215-221 MiB, the collector every
// 1.7 s, 15-16 % of a core over 6 minutes; 202 MiB, RSS 223-231 MiB, every
// 1.4 s, 17.9 % over 11 minutes; 220 MiB, RSS 239-246 MiB, every 2.4 s,
// 13.8 %; before the heap was trimmed, 1,800 bytes over a base of 96 MB
// (268 MiB) held RSS at 280 MiB for 16 % of a core. The price of a lower
// limit is the collector's CPU; GOMEMLIMIT (e.g. 300MiB) buys it back.
//
// The window (vigil open) adds guiMemory: its screens' snapshots, the tag
// browser's rows and Fyne's own objects, about 35 MB live at 100,000
// tags. Its resident size has more outside the Go heap that no limit
// covers (the OpenGL libraries, about 70 MB, and their buffers).
const (
	memoryBase   = 32 << 20
	memoryPerTag = 1700
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
