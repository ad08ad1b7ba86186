package cli

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
)

// The soft memory limit of a running project (docs/architecture.md,
// "Memory with history"): memoryBase plus memoryPerTag for each tag of the
// project, 229 MB (218 MiB) at 100,000 tags.
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
// grows by about 1,500 bytes per tag, and at 100,000 tags it climbs from
// 130-145 MiB after 2 minutes to 150-160 MiB after 20 (the open chunks of
// flat tags filling towards their 2,048 samples). The collector's goal
// sits 35-45 MiB under the limit (the runtime's own memory), so 2,100
// bytes left a goal near 190 MiB there. Since a flush commits in batches
// the live heap after a collection is 119-148 MiB (median 133) over an
// hour, and 1,950 bytes (goal 175-187 MiB) holds RSS at 2,027 bytes per
// tag from 10,000 to 100,000 (BenchmarkScale*: 236.4 MB against 246.5 at
// 2,100), the collector running every 2-3 s. Measured with the real binary at
// 100,000 tags (VmRSS in MiB): at 194 MiB (1,700 bytes) RSS was 209-221
// MiB for 15 minutes, but after 18 the live heap reached the goal and the
// collector ran back to back (22 % of a core and rising); at 202 MiB, RSS
// 217-226 MiB, 17.9 % over 11 minutes; at 220 MiB, RSS 234-240 MiB,
// 13.8 %; before the heap was trimmed, 1,800 bytes over a base of 96 MB
// (268 MiB) held RSS at 271-287 MiB for 18 % of a core over 2 hours.
// GOMEMLIMIT trades one for the other: higher costs less CPU.
//
// The window (vigil open) adds guiMemory: its screens' snapshots, the tag
// browser's rows and Fyne's own objects, about 35 MB live at 100,000
// tags. Its resident size has more outside the Go heap that no limit
// covers (the OpenGL libraries, about 70 MB, and their buffers).
const (
	memoryBase   = 32 << 20
	memoryPerTag = 1950
	guiMemory    = 64 << 20
)

// setMemoryLimit sets the soft memory limit for a project of tags tags,
// plus extra bytes, unless the GOMEMLIMIT environment variable (envSet)
// already set one: an operator's own limit wins. It returns the limit
// set, or -1.
//
// at is the runtime's memory once the project is loaded and started
// (startMemory). The limit is never under what the runtime holds then
// plus half the live heap: what a project keeps beyond its tags' share
// then still leaves the collector room to work in. (At 100,000 tags that
// floor is 171 MiB, under the tags' 218; the whole live heap again would
// have been 219 and moved the limit the figures of docs/architecture.md
// were measured with.)
// Seen without that floor: 10,000 tags and 10,000 calculated tags held 83
// MB of objects in spans with another 100 MB unused between them (the
// compiled expressions, left scattered among the compiler's garbage),
// against a limit of 73 MB; the collector ran back to back, a quarter
// of a core, and could free nothing.
func setMemoryLimit(tags int, at startMemory, extra int64, envSet bool) int64 {
	if envSet {
		return -1
	}
	limit := memoryLimit(tags)
	if at.live > 0 && at.held > 0 && at.held <= math.MaxInt64-at.live {
		limit = max(limit, at.held+at.live/2)
	}
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

// startMemory is the runtime's memory after a collection: live, the heap
// the collection found live, and held, all the runtime has from the
// operating system and not given back (what a soft limit counts).
type startMemory struct{ live, held int64 }

// readMemory reads startMemory from the runtime; zeros where it does not
// say. Right after a collection it is the project's own.
func readMemory() startMemory {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	var v [3]int64
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			v[i] = int64(min(s[i].Value.Uint64(), math.MaxInt64))
		}
	}
	return startMemory{live: v[0], held: max(v[1]-v[2], 0)}
}
