package history

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// signalMix makes one day at 1 s of realistic signals: flat setpoints, slow
// analogs with noise quantized to 0.01, counters and booleans, tags of each
// kind per kind.
func signalMix(perKind, seconds int) (names []string, values [][]float64) {
	rng := rand.New(rand.NewPCG(42, 42))
	for k := range perKind {
		flat := make([]float64, seconds)
		analog := make([]float64, seconds)
		counter := make([]float64, seconds)
		boolean := make([]float64, seconds)
		level, count, state := 20+float64(k), 1000.0*float64(k), 0.0
		for i := range seconds {
			flat[i] = 50 + float64(k)
			level += rng.NormFloat64() * 0.01 // slow drift
			analog[i] = math.Round((level+5*math.Sin(float64(i)/3600)+rng.NormFloat64()*0.02)*100)/100 + 0
			count += float64(rng.IntN(4)) // pulses per second
			counter[i] = count
			if rng.IntN(600) == 0 {
				state = 1 - state
			}
			boolean[i] = state
		}
		values = append(values, flat, analog, counter, boolean)
		names = append(names, "flat"+itoa(k), "analog"+itoa(k), "counter"+itoa(k), "bool"+itoa(k))
	}
	return names, values
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

// BenchmarkAppend ingests one day at 1 s of the signal mix with exact
// times: samples/s and bytes/sample of the file.
func BenchmarkAppend(b *testing.B) { benchAppend(b, 0, 0) }

// BenchmarkAppendJitter does the same with poll times jittered by up to
// 2 ms, as a real scan produces: kept to the nanosecond, and truncated with
// TimeResolution 10 ms.
func BenchmarkAppendJitter(b *testing.B) {
	b.Run("exact", func(b *testing.B) { benchAppend(b, 2*time.Millisecond, 0) })
	b.Run("resolution=10ms", func(b *testing.B) { benchAppend(b, 2*time.Millisecond, 10*time.Millisecond) })
}

func benchAppend(b *testing.B, jitter, resolution time.Duration) {
	const seconds = 86400
	names, values := signalMix(10, seconds)
	rng := rand.New(rand.NewPCG(5, 5))
	offsets := make([]time.Duration, seconds)
	for i := range offsets {
		if jitter > 0 {
			offsets[i] = time.Duration(rng.Int64N(int64(jitter)))
		}
	}
	total := 0
	var fileBytes, usedBytes int64
	var perKind map[string][2]int64
	b.ResetTimer()
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "bench.db")
		s, err := Open(path, Options{Logger: quiet, TimeResolution: resolution})
		if err != nil {
			b.Fatal(err)
		}
		batch := make([]Sample, len(names))
		for i := range seconds {
			tm := t0.Add(time.Duration(i)*time.Second + offsets[i])
			for k := range names {
				batch[k] = Sample{Tag: names[k], Time: tm, Value: values[k][i]}
			}
			if err := s.Append(batch); err != nil {
				b.Fatal(err)
			}
		}
		inf := infoAndClose(b, s)
		total += seconds * len(names)
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		fileBytes, usedBytes = fi.Size(), inf.UsedBytes
		perKind = map[string][2]int64{}
		for _, t := range inf.Tags {
			kind := strings.TrimRight(t.Tag, "0123456789")
			pk := perKind[kind]
			pk[0] += t.Bytes
			pk[1] += t.Samples
			perKind[kind] = pk
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(fileBytes)/float64(seconds*len(names)), "bytes/sample")
	b.ReportMetric(float64(usedBytes)/float64(seconds*len(names)), "used-bytes/sample")
	for kind, pk := range perKind {
		b.Logf("%-8s chunk bytes/sample %.3f", kind, float64(pk[0])/float64(pk[1]))
	}
}

func BenchmarkQueryWeek(b *testing.B) {
	s, _ := openTest(b, Options{})
	analogWeek(b, s, func(int) bool { return false })
	queryWeek(b, s)
}

// BenchmarkQueryWeekWithBackfill is BenchmarkQueryWeek on a week with a
// broker outage of an hour in the middle whose samples came late: they are
// backfilled after the week, 300 per flush (a viewing station receiving a
// forwarded backlog), and merged by the query. It also reports the bytes
// (keys and chunks) of the backfill bucket per backfilled sample.
func BenchmarkQueryWeekWithBackfill(b *testing.B) {
	s, _ := openTest(b, Options{})
	const from, to = 3*24*3600 + 1, 3*24*3600 + 3600
	late := analogWeek(b, s, func(i int) bool { return i >= from && i <= to })
	for len(late) > 0 {
		k := min(len(late), 300)
		if err := s.Backfill(late[:k]); err != nil {
			b.Fatal(err)
		}
		if err := s.Flush(); err != nil {
			b.Fatal(err)
		}
		late = late[k:]
	}
	var bytes int
	if err := s.db.View(func(tx *bboltTx) error {
		return backfillChunks(tx, func(k, v []byte) error { bytes += len(k) + len(v); return nil })
	}); err != nil {
		b.Fatal(err)
	}
	queryWeek(b, s)
	b.ReportMetric(float64(bytes)/3600, "B/backfilled-sample") // after the timed loop, which resets metrics
}

// analogWeek appends a week at 1 s of an analog tag and flushes; the
// samples whose second skip picks are returned instead.
func analogWeek(b *testing.B, s *Store, skip func(int) bool) []Sample {
	const week = 7 * 24 * 3600
	_, values := signalMix(1, week)
	batch := make([]Sample, 0, 10000)
	var skipped []Sample
	for i := range week {
		x := Sample{Tag: "analog", Time: t0.Add(time.Duration(i) * time.Second), Value: values[1][i]}
		if skip(i) {
			skipped = append(skipped, x)
		} else {
			batch = append(batch, x)
		}
		if len(batch) == cap(batch) || i == week-1 {
			if err := s.Append(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	return skipped
}

// queryWeek times a decimated query of the week.
func queryWeek(b *testing.B, s *Store) {
	const week = 7 * 24 * 3600
	ctx := context.Background()
	var n int
	b.ResetTimer()
	for b.Loop() {
		pts, err := s.Query(ctx, "analog", t0, t0.Add(week*time.Second), 2000)
		if err != nil {
			b.Fatal(err)
		}
		n = len(pts)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
	b.ReportMetric(float64(n), "points")
}

// BenchmarkStoreBytesPerSample stores 12 h at 1 s of 12 tags of the signal
// mix (518,400 samples) as vigil run does: one Append per second, a Flush
// every 5 s of plant time, times to the millisecond. It reports the chunks'
// bytes per sample and the file's (size after Close): their ratio is what
// the page layout and the flushes cost.
func BenchmarkStoreBytesPerSample(b *testing.B) {
	const seconds = 12 * 3600
	names, values := signalMix(3, seconds)
	var chunkBytes, fileBytes, usedBytes, samples int64
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "bench.db")
		// NoSync: the figure is bytes; fsync would only make it slow.
		s, err := Open(path, Options{Logger: quiet, TimeResolution: time.Millisecond, FlushInterval: time.Hour, NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		batch := make([]Sample, len(names))
		for i := range seconds {
			tm := t0.Add(time.Duration(i) * time.Second)
			for k := range names {
				batch[k] = Sample{Tag: names[k], Time: tm, Value: values[k][i]}
			}
			if err := s.Append(batch); err != nil {
				b.Fatal(err)
			}
			if i%5 == 4 {
				if err := s.Flush(); err != nil {
					b.Fatal(err)
				}
			}
		}
		inf := infoAndClose(b, s)
		chunkBytes, samples = 0, 0
		for _, t := range inf.Tags {
			chunkBytes += t.Bytes
			samples += t.Samples
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		fileBytes, usedBytes = fi.Size(), inf.UsedBytes
	}
	if samples != seconds*int64(len(names)) {
		b.Fatalf("%d samples stored, want %d", samples, seconds*len(names))
	}
	b.ReportMetric(float64(chunkBytes)/float64(samples), "chunk-B/sample")
	b.ReportMetric(float64(fileBytes)/float64(samples), "file-B/sample")
	b.ReportMetric(float64(usedBytes)/float64(samples), "used-B/sample")
}

// BenchmarkManyTags runs a plant of many tags at 1 s for 10 minutes of
// plant time as vigil run does (one Append per second, a Flush every 5 s,
// times to the millisecond), with noisy full-precision values like the
// simulator's (about 5 chunk bytes per sample). It reports the file's write
// amplification (file bytes over chunk bytes, open chunks counted as
// sealed), the tail log's share of the file and the bytes written to it
// per sample (new bytes and streams carried forward), and the heap per tag after 5 and after 10
// minutes (flat when open chunks stay bounded). VIGIL_BENCH_SECONDS sets
// the plant time, VIGIL_BENCH_CHUNK_BYTES Options.ChunkBytes.
func BenchmarkManyTags(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("tags=%d", n), func(b *testing.B) { benchManyTags(b, n) })
	}
}

func benchManyTags(b *testing.B, tags int) {
	seconds := 600
	if v, err := strconv.Atoi(os.Getenv("VIGIL_BENCH_SECONDS")); err == nil {
		seconds = v
	}
	// VIGIL_BENCH_CHUNK_BYTES sets Options.ChunkBytes (vigil run uses 512
	// for 100,000 tags: openChunkBytes in cmd/vigil/internal/cli).
	chunkBytes, _ := strconv.Atoi(os.Getenv("VIGIL_BENCH_CHUNK_BYTES"))
	names := make([]string, tags)
	for i := range names {
		names[i] = fmt.Sprintf("Plant.Unit%03d.Tag%03d", i/1000, i%1000)
	}
	var inf Info
	var st Stats
	var heap5, heap10 float64
	for b.Loop() {
		runtime.GC()
		var m0 runtime.MemStats
		runtime.ReadMemStats(&m0)
		path := filepath.Join(b.TempDir(), "bench.db")
		s, err := Open(path, Options{Logger: quiet, TimeResolution: time.Millisecond, FlushInterval: time.Hour, NoSync: true, ChunkBytes: chunkBytes})
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 7))
		walk := make([]float64, tags)
		for k := range walk {
			walk[k] = 20 + rng.Float64()*80
		}
		batch := make([]Sample, tags)
		heapPerTag := func() float64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return float64(int64(m.HeapAlloc)-int64(m0.HeapAlloc)) / float64(tags)
		}
		for i := range seconds {
			tm := t0.Add(time.Duration(i)*time.Second + time.Duration(rng.IntN(3))*time.Millisecond)
			for k := range batch {
				walk[k] += rng.NormFloat64() * 0.05
				batch[k] = Sample{Tag: names[k], Time: tm, Value: walk[k]}
			}
			if err := s.Append(batch); err != nil {
				b.Fatal(err)
			}
			if i%5 == 4 {
				if err := s.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			if i == seconds/2-1 {
				b.StopTimer()
				heap5 = heapPerTag()
				b.StartTimer()
			}
		}
		b.StopTimer()
		heap10 = heapPerTag()
		runtime.KeepAlive(batch)
		st = s.Stats()
		if inf, err = s.Info(context.Background()); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.Logf("file %d, free %d, used %d, tails %d, chunks %d", inf.FileBytes, inf.FreeBytes, inf.UsedBytes, inf.TailBytes, inf.ChunkBytes())
	b.ReportMetric(inf.WriteAmplification(), "file/chunk")
	b.ReportMetric(float64(inf.ChunkBytes())/float64(tags*seconds), "chunk-B/sample")
	b.ReportMetric(float64(inf.TailBytes)/float64(inf.FileBytes), "tail-share")
	b.ReportMetric(float64(st.WALBytes)/float64(tags*seconds), "tail-written-B/sample")
	b.ReportMetric(heap5, "heap-B/tag-mid")
	b.ReportMetric(heap10, "heap-B/tag-end")
	b.ReportMetric(float64(tags*seconds)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// infoAndClose returns the Info of s (flushing it) and closes it.
func infoAndClose(b *testing.B, s *Store) Info {
	b.Helper()
	inf, err := s.Info(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return inf
}
