package history

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history/internal/chunk"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		crashChild(path) // never returns
	}
	goleak.VerifyTestMain(m)
}

var t0 = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

var quiet = slog.New(slog.DiscardHandler)

func openTest(t testing.TB, opts Options) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.db")
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	opts.NoSync = true
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func reopen(t testing.TB, s *Store, opts Options) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s2, err := Open(s.Path(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s2.Close() })
	return s2
}

// stored returns every stored sample of tag, bit for bit, via the internal
// scan (Query turns gap values into NaN).
func stored(t testing.TB, s *Store, tag string) []chunk.Sample {
	t.Helper()
	v, err := s.view(tag)
	if err != nil {
		t.Fatal(err)
	}
	defer v.close()
	var out []chunk.Sample
	if err := v.scan(context.Background(), math.MinInt64, math.MaxInt64, func(p []chunk.Sample) error {
		out = append(out, p...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func samplesOf(tag string, n int, step time.Duration, v func(i int) float64) []Sample {
	out := make([]Sample, n)
	for i := range out {
		out[i] = Sample{Tag: tag, Time: t0.Add(time.Duration(i) * step), Value: v(i)}
	}
	return out
}

func sameStored(t *testing.T, got []chunk.Sample, want []Sample) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d samples stored, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.T != w.Time.UnixNano() || math.Float64bits(g.V) != math.Float64bits(w.Value) || unpackQuality(g.Q) != w.Quality {
			t.Fatalf("sample %d: got {%v %v %v}, want {%v %v %v}", i, time.Unix(0, g.T).UTC(), g.V, unpackQuality(g.Q), w.Time, w.Value, w.Quality)
		}
	}
}

func TestRoundTripIsLossless(t *testing.T) {
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, math.Float64frombits(0x7ff0000000000001), 1e-320, -12.34}
	want := samplesOf("Tank1.Level", 1000, 250*time.Millisecond, func(i int) float64 {
		if i%50 == 3 {
			return specials[(i/50)%len(specials)]
		}
		return float64(i%97) / 10
	})
	for i := range want {
		if i%100 > 90 {
			want[i].Quality = datasource.BadQuality(datasource.CommFailure)
		}
	}
	other := samplesOf("Pump1.Running", 10, time.Second, func(i int) float64 { return float64(i % 2) })
	s, _ := openTest(t, Options{ChunkSamples: 64})
	for i := 0; i < len(want); i += 33 {
		if err := s.Append(append(want[i:min(i+33, len(want)):min(i+33, len(want))], other[i%10])); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("samples in the open chunk are visible before a flush", func(t *testing.T) {
		sameStored(t, stored(t, s, "Tank1.Level"), want)
	})
	t.Run("every sample reads back bit for bit after close and reopen", func(t *testing.T) {
		s2 := reopen(t, s, Options{ChunkSamples: 64})
		sameStored(t, stored(t, s2, "Tank1.Level"), want)
		if err := s2.Check(); err != nil {
			t.Fatal(err)
		}
		t.Run("appending after reopen continues the open chunk", func(t *testing.T) {
			more := Sample{Tag: "Tank1.Level", Time: want[len(want)-1].Time.Add(time.Second), Value: 5}
			if err := s2.Append([]Sample{more}); err != nil {
				t.Fatal(err)
			}
			sameStored(t, stored(t, s2, "Tank1.Level"), append(append([]Sample(nil), want...), more))
		})
	})
}

func TestAppendDropsWhatCannotBeOrdered(t *testing.T) {
	s, _ := openTest(t, Options{})
	err := s.Append([]Sample{
		{Tag: "a", Time: t0.Add(2 * time.Second), Value: 1},
		{Tag: "a", Time: t0.Add(time.Second), Value: 2},     // older
		{Tag: "a", Time: t0.Add(2 * time.Second), Value: 3}, // same time
		{Tag: "", Time: t0, Value: 4},
		{Tag: "b", Time: time.Time{}, Value: 5}, // year 1: not representable
	})
	if err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Appended != 1 || st.OutOfOrder != 2 || st.InvalidTime != 2 {
		t.Fatalf("stats %+v, want 1 appended, 2 out of order, 2 invalid", st)
	}
}

func TestOpenSecondInstanceFailsNamingTheFile(t *testing.T) {
	s, path := openTest(t, Options{})
	_ = s
	start := time.Now()
	_, err := Open(path, Options{LockTimeout: 50 * time.Millisecond, Logger: quiet})
	if err == nil {
		t.Fatal("second Open succeeded")
	}
	if !errorsIs(err, ErrLocked) {
		t.Fatalf("error %v does not wrap ErrLocked", err)
	}
	if !contains(err.Error(), path) {
		t.Fatalf("error %q does not name %s", err, path)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("second Open hung")
	}
}

func TestFlushRunsOnTheClock(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	s, _ := openTest(t, Options{Clock: clock, FlushInterval: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, 2); err != nil { // flush and retention tickers
		t.Fatal(err)
	}
	if err := s.Append(samplesOf("a", 10, time.Second, func(i int) float64 { return float64(i) })); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Second)
	for s.Stats().Flushes == 0 {
		if ctx.Err() != nil {
			t.Fatal("no flush after the flush interval")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCorruptChunkIsReportedAndSkipped(t *testing.T) {
	s, _ := openTest(t, Options{ChunkSamples: 10})
	want := samplesOf("a", 30, time.Second, func(i int) float64 { return float64(i) })
	if err := s.Append(want); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	// Flip a byte of the middle chunk (samples 10..19).
	key := chunkKey(0, want[10].Time.UnixNano())
	if err := s.db.Update(func(tx *bboltTx) error {
		b := tx.Bucket(bucketChunks)
		v := append([]byte(nil), b.Get(key)...)
		v[len(v)/2] ^= 0xff
		return b.Put(key, v)
	}); err != nil {
		t.Fatal(err)
	}
	pts, err := s.Query(context.Background(), "a", t0, t0.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 20 || pts[9].Value != 9 || pts[10].Value != 20 {
		t.Fatalf("got %d points, want the 20 of the good chunks", len(pts))
	}
	if s.Stats().CorruptChunks != 1 {
		t.Fatalf("CorruptChunks = %d, want 1", s.Stats().CorruptChunks)
	}
	err = s.Check()
	var ce *CheckError
	if !errorsAs(err, &ce) || len(ce.Problems) != 1 {
		t.Fatalf("Check = %v, want one problem", err)
	}
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	if err := os.WriteFile(path, []byte("not a database at all, just text"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{Logger: quiet, LockTimeout: 50 * time.Millisecond}); err == nil || !contains(err.Error(), path) {
		t.Fatalf("Open of a text file = %v, want an error naming it", err)
	}
}

var _ = io.Discard

func TestConcurrentAppendQueryAndPrune(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	s, _ := openTest(t, Options{Clock: clock, ChunkSamples: 64, Retention: Retention{MaxAge: time.Hour}})
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			batch := samplesOf("x", 50, time.Second, func(j int) float64 { return float64(i*50 + j) })
			for j := range batch {
				batch[j].Time = t0.Add(time.Duration(i*50+j) * time.Second)
			}
			if err := s.Append(batch); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		pts, err := s.Query(ctx, "x", t0, t0.Add(24*time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(pts); i++ {
			if !pts[i].Time.After(pts[i-1].Time) {
				t.Fatalf("points out of order at %d", i)
			}
		}
		if err := s.Prune(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(stored(t, s, "x")); got != 200*50 {
		t.Fatalf("%d samples stored, want %d", got, 200*50)
	}
}

func TestTimeResolutionTruncatesJitter(t *testing.T) {
	s, _ := openTest(t, Options{TimeResolution: time.Millisecond})
	in := []Sample{
		{Tag: "x", Time: t0.Add(1*time.Second + 37*time.Microsecond), Value: 1},
		{Tag: "x", Time: t0.Add(2*time.Second + 999*time.Microsecond), Value: 2},
		{Tag: "x", Time: t0.Add(2*time.Second + 1001*time.Microsecond), Value: 3},
		{Tag: "x", Time: t0.Add(2*time.Second + 1002*time.Microsecond), Value: 4}, // same millisecond
		{Tag: "y", Time: time.Unix(0, -1500), Value: 5},                           // before 1970 floors too
	}
	if err := s.Append(in); err != nil {
		t.Fatal(err)
	}
	got := stored(t, s, "x")
	want := []int64{t0.Add(time.Second).UnixNano(), t0.Add(2 * time.Second).UnixNano(), t0.Add(2*time.Second + time.Millisecond).UnixNano()}
	if len(got) != len(want) {
		t.Fatalf("%d samples stored, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].T != want[i] {
			t.Fatalf("sample %d at %d, want %d", i, got[i].T, want[i])
		}
	}
	if y := stored(t, s, "y"); y[0].T != -int64(time.Millisecond) {
		t.Fatalf("pre-1970 time truncated to %d", y[0].T)
	}
	if s.Stats().OutOfOrder != 1 {
		t.Fatalf("OutOfOrder = %d, want 1", s.Stats().OutOfOrder)
	}
}
