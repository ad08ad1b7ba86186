package cli

import (
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/sim"
)

// The scale benchmarks run the project of issue 20 the way `vigil run` runs
// it (loadProject, then Start on the real clock) and report, per size:
//
//	check-ms     vigil check: load, validate and plan every tag (wall)
//	startup-ms   from the start of loading to the first published scan (wall)
//	*-cpu-ms     the CPU time of each (on a shared machine the wall time
//	             depends on the load; the CPU time much less)
//	rss-MB       the process's resident memory after the plant time
//	heap-MB      the Go heap in use after a GC at that moment
//	cpu-%/s      CPU time per second of plant time, in % of one core
//	history-wa   history's write amplification at the end (vigil history
//	             info: file bytes over chunk bytes, after a flush)
//	history-MB   the history file's size then
//
// Plant time is VIGIL_SCALE_FOR (default 30s; the figure is 2m).
// VIGIL_SCALE_HEAPPROFILE=PREFIX writes a heap profile at the end of each
// run, to PREFIX-history.prof and PREFIX-nohistory.prof. The
// sub-benchmark nohistory runs the same without history, so history's share
// is the difference. The run sets the soft memory limit vigil run would
// (setMemoryLimit), unless GOMEMLIMIT is set, which it keeps as vigil run
// does. Run one size at a time:
//
//	VIGIL_SCALE_FOR=2m go test -run '^$' -bench 'Scale100k$' -benchtime 1x ./cmd/vigil/internal/cli/

func BenchmarkScale10k(b *testing.B)  { benchScale(b, 10, 1000, 2000) }
func BenchmarkScale100k(b *testing.B) { benchScale(b, 100, 1000, 20000) }

// BenchmarkCheck100k is vigil check alone on the 100,000-tag project, for
// profiling the loader: go test -run '^$' -bench Check100k -cpuprofile cpu.out.
func BenchmarkCheck100k(b *testing.B) {
	path := writeScaleProject(b, 100, 1000, 20000)
	for b.Loop() {
		if _, err := loadProject(path); err != nil {
			b.Fatal(err)
		}
	}
}

// writeScaleProject writes the generated project to a temporary file.
func writeScaleProject(b *testing.B, devices, tags, alarms int) string {
	path := filepath.Join(b.TempDir(), "scale.yaml")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.WriteScaleProject(f, sim.ScaleProject{Devices: devices, TagsPerDevice: tags, Alarms: alarms}); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchScale(b *testing.B, devices, tags, alarms int) {
	path := writeScaleProject(b, devices, tags, alarms)
	var err error
	plant := 30 * time.Second
	if s := os.Getenv("VIGIL_SCALE_FOR"); s != "" {
		if plant, err = time.ParseDuration(s); err != nil {
			b.Fatalf("VIGIL_SCALE_FOR: %v", err)
		}
	}
	for _, hist := range []bool{true, false} {
		name := "history"
		if !hist {
			name = "nohistory"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				runScale(b, path, hist, plant)
			}
		})
	}
}

// runScale checks and runs the project at path for plant and reports the
// figures of one run.
func runScale(b *testing.B, path string, hist bool, plant time.Duration) {
	// A vigil run process starts without a limit: the last run's (sized
	// for its own project, 49 MB at 10,000 tags) made this one's load
	// collect all the time (check 6 s of CPU instead of 1.6).
	if !operatorMemLimit {
		debug.SetMemoryLimit(math.MaxInt64)
	}
	runtime.GC()
	t0, c0 := time.Now(), cpuTime(b)
	if _, err := loadProject(path); err != nil {
		b.Fatal(err)
	}
	check, checkCPU := time.Since(t0), cpuTime(b)-c0
	runtime.GC()

	t0, c0 = time.Now(), cpuTime(b)
	hf := historyFlags{off: !hist}
	if hist {
		hf.path = filepath.Join(b.TempDir(), "history.db")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr strings.Builder
	rt, _, ok := startProject(ctx, Env{Stderr: &stderr}, path, hf, "vigil run", slog.New(slog.DiscardHandler)) // as vigil run does
	if !ok {
		b.Fatal(stderr.String())
	}
	// As vigil run sets it; TestMain's GOMEMLIMIT=off kept startProject
	// from it. A GOMEMLIMIT given to the benchmark wins, as in vigil run.
	setMemoryLimit(rt.Table.Len(), readMemory(), 0, operatorMemLimit) // startProject collected just now
	defer func() {
		if err := rt.Stop(); err != nil {
			b.Error(err)
		}
	}()
	first := datasource.TagID(0) // the first device's first tag
	for rt.Table.Get(first).Time.IsZero() {
		if time.Since(t0) > time.Minute {
			b.Fatal("no scan published within a minute")
		}
		time.Sleep(time.Millisecond)
	}
	startup, startupCPU := time.Since(t0), cpuTime(b)-c0

	cpu0 := cpuTime(b)
	time.Sleep(plant)
	cpu := cpuTime(b) - cpu0
	rss := rssBytes(b)
	var wa, fileBytes float64
	if rt.History != nil {
		if err := rt.History.Flush(); err != nil {
			b.Fatal(err)
		}
		inf, err := rt.History.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		wa, fileBytes = inf.WriteAmplification(), float64(inf.FileBytes)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if f := os.Getenv("VIGIL_SCALE_HEAPPROFILE"); f != "" {
		writeHeapProfile(b, f+"-"+filepath.Base(b.Name())+".prof")
	}
	b.ReportMetric(float64(check.Milliseconds()), "check-ms")
	b.ReportMetric(float64(checkCPU.Milliseconds()), "check-cpu-ms")
	b.ReportMetric(float64(startup.Milliseconds()), "startup-ms")
	b.ReportMetric(float64(startupCPU.Milliseconds()), "startup-cpu-ms")
	b.ReportMetric(float64(rss)/1e6, "rss-MB")
	b.ReportMetric(float64(ms.HeapInuse)/1e6, "heap-MB")
	b.ReportMetric(100*cpu.Seconds()/plant.Seconds(), "cpu-%/s")
	b.ReportMetric(float64(rss)/float64(rt.Table.Len()), "rss-B/tag")
	if rt.History != nil {
		b.ReportMetric(wa, "history-wa")
		b.ReportMetric(fileBytes/1e6, "history-MB")
	}
}

// cpuTime is the user and system time of this process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssBytes is this process's resident set (VmRSS of /proc/self/status).
func rssBytes(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				b.Fatalf("VmRSS %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// writeHeapProfile writes the heap profile of this moment to file.
func writeHeapProfile(b *testing.B, file string) {
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}
