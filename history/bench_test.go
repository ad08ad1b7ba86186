package history

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
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
		inf, err := s.Info(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
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
	const week = 7 * 24 * 3600
	s, _ := openTest(b, Options{})
	_, values := signalMix(1, week)
	batch := make([]Sample, 0, 10000)
	for i := range week {
		batch = append(batch, Sample{Tag: "analog", Time: t0.Add(time.Duration(i) * time.Second), Value: values[1][i]})
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
