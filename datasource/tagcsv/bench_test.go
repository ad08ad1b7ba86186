package tagcsv

import (
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkImport50k imports a 50,000-tag CSV and validates the result
// (project.Parse of the new file included): onto the project it was
// exported from with every tag's units changed, and as new tags into a
// project without tags. It reports ms per import and the peak heap.
func BenchmarkImport50k(b *testing.B) {
	const n = 50_000
	full := genProject(n)
	csv := export(b, "p.yaml", full)
	changed := strings.Replace(csv, ",m3/h,", ",l/s,", -1)
	empty := []byte(string(full[:strings.Index(string(full), "tags:\n")]) + "tags: []\n")
	b.Logf("project %.1f MB, CSV %.1f MB", float64(len(full))/1e6, float64(len(csv))/1e6)
	cases := []struct {
		name string
		data []byte
		csv  string
		want func(*Result) bool
	}{
		{"every tag listed, a fifth of them changed", full, changed, func(r *Result) bool { return len(r.Changed) == n/5 }},
		{"every tag new", empty, csv, func(r *Result) bool { return len(r.Added) == n }},
		{"every tag listed, none changed", full, csv, func(r *Result) bool { return !r.Modified() }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			peak := watchHeap()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				res := importCSV(b, tc.data, tc.csv, Options{})
				if !tc.want(res) {
					b.Fatalf("unexpected result: %d added, %d changed", len(res.Added), len(res.Changed))
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/import")
			b.ReportMetric(float64(peak())/1e6, "MB-peak-heap")
		})
	}
}

// watchHeap samples the live heap every few milliseconds until the
// returned function is called, which returns the highest sample.
func watchHeap() func() uint64 {
	runtime.GC()
	var (
		mu   sync.Mutex
		max  uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		mu.Lock()
		if v := sample[0].Value.Uint64(); v > max {
			max = v
		}
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		read()
		mu.Lock()
		defer mu.Unlock()
		return max
	}
}
