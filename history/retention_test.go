package history

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestRetentionByAgeRemovesOldChunks(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0.Add(48 * time.Hour))
	s, _ := openTest(t, Options{Clock: clock, ChunkSamples: 100, Retention: Retention{MaxAge: 24 * time.Hour}})
	if err := s.Append(samplesOf("x", 48*60, time.Minute, func(i int) float64 { return float64(i) })); err != nil {
		t.Fatal(err)
	}
	if err := s.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := stored(t, s, "x")
	cutoff := t0.Add(24 * time.Hour).UnixNano()
	if got[0].T > cutoff {
		t.Fatalf("oldest kept sample %v is after the cutoff: a chunk holding newer data was removed", time.Unix(0, got[0].T).UTC())
	}
	if cutoff-got[0].T >= 100*int64(time.Minute) {
		t.Fatalf("oldest kept sample %v: a chunk entirely older than the cutoff was kept", time.Unix(0, got[0].T).UTC())
	}
	if got[len(got)-1].V != 48*60-1 {
		t.Fatal("the newest sample was removed")
	}
}

func TestRetentionBySizeRemovesOldestOfAllTagsAndReusesPages(t *testing.T) {
	const maxBytes = 1 << 20
	clock := clockwork.NewFakeClockAt(t0)
	s, _ := openTest(t, Options{Clock: clock, ChunkSamples: 1000, Retention: Retention{MaxBytes: maxBytes}})
	rng := rand.New(rand.NewPCG(1, 1))
	var sizes []int64
	tm := t0
	for round := range 20 {
		var batch []Sample
		for range 5000 {
			tm = tm.Add(time.Second)
			for _, tag := range []string{"a", "b", "c"} {
				batch = append(batch, Sample{Tag: tag, Time: tm, Value: rng.Float64()}) // incompressible
			}
		}
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		if err := s.Prune(context.Background()); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fi.Size())
		_ = round
	}
	if last := sizes[len(sizes)-1]; last > 3*maxBytes {
		t.Fatalf("file grew to %d bytes with MaxBytes %d: freed pages are not reused (sizes %v)", last, maxBytes, sizes)
	}
	// Every tag lost its oldest data and kept its newest.
	for _, tag := range []string{"a", "b", "c"} {
		got := stored(t, s, tag)
		if len(got) == 0 || got[0].T == t0.Add(time.Second).UnixNano() || got[len(got)-1].T != tm.UnixNano() {
			t.Fatalf("tag %s: kept %d samples from %v", tag, len(got), got[0].T)
		}
	}
	t.Run("compact shrinks the file to its live data", func(t *testing.T) {
		path := s.Path()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		before, after, err := Compact(path, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if after > before || after > maxBytes*2 {
			t.Fatalf("compact: %d -> %d bytes", before, after)
		}
		s2, err := Open(path, Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = s2.Close() }()
		if err := s2.Check(); err != nil {
			t.Fatal(err)
		}
		if got := stored(t, s2, "a"); got[len(got)-1].T != tm.UnixNano() {
			t.Fatal("compaction lost data")
		}
	})
}

func TestEventJournal(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	s, _ := openTest(t, Options{Clock: clock, Retention: Retention{EventMaxAge: time.Hour}})
	evs := []Event{
		{Time: t0.Add(2 * time.Second), Kind: "alarm", Source: "Tank1.Level", Name: "HiHi", State: "active", Message: "Tank 1 level very high"},
		{Time: t0.Add(1 * time.Second), Kind: "audit", Source: "Pump1.Speed", Name: "write", User: "alice", Data: map[string]string{"old": "10", "new": "20"}},
		{Kind: "system", Name: "start", Message: "Vigil started"}, // zero time: now
		{Time: t0.Add(2 * time.Second), Kind: "alarm", Source: "Tank1.Level", Name: "HiHi", State: "acked", User: "bob"},
	}
	if err := s.AppendEvents(evs); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq <= evs[i-1].Seq {
			t.Fatalf("Seq not increasing: %d then %d", evs[i-1].Seq, evs[i].Seq)
		}
	}
	names := func(es []Event) string {
		var b strings.Builder
		for _, e := range es {
			b.WriteString(e.Name + "/" + e.State + " ")
		}
		return strings.TrimSpace(b.String())
	}
	tests := []struct {
		name     string
		from, to time.Time
		filter   string
		limit    int
		want     string
	}{
		{"all events come in time order, ties by sequence", t0, t0.Add(time.Minute), "", 0, "start/ write/ HiHi/active HiHi/acked"},
		{"the filter matches the source case-insensitively", t0, t0.Add(time.Minute), "tank1", 0, "HiHi/active HiHi/acked"},
		{"the filter matches the data", t0, t0.Add(time.Minute), "20", 0, "write/"},
		{"the filter matches the user", t0, t0.Add(time.Minute), "BOB", 0, "HiHi/acked"},
		{"the range is inclusive at both ends", t0.Add(time.Second), t0.Add(2 * time.Second), "", 0, "write/ HiHi/active HiHi/acked"},
		{"a limit keeps the newest", t0, t0.Add(time.Minute), "", 2, "HiHi/active HiHi/acked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Events(context.Background(), tt.from, tt.to, tt.filter, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if names(got) != tt.want {
				t.Fatalf("got %q, want %q", names(got), tt.want)
			}
		})
	}
	t.Run("events older than EventMaxAge are pruned", func(t *testing.T) {
		clock.Advance(time.Hour + 1500*time.Millisecond)
		if err := s.Prune(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, err := s.Events(context.Background(), t0.Add(-time.Hour), t0.Add(time.Hour), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if names(got) != "HiHi/active HiHi/acked" {
			t.Fatalf("after pruning: %q", names(got))
		}
		if got[1].Seq != evs[3].Seq || got[1].User != "bob" {
			t.Fatalf("event read back as %+v", got[1])
		}
	})
}

func TestExportImportRoundTrip(t *testing.T) {
	s, _ := openTest(t, Options{ChunkSamples: 50})
	in := samplesOf("Tank 1, level", 200, 1500*time.Millisecond, func(i int) float64 { return float64(i) / 3 })
	in[7].Value = math.Copysign(0, -1)
	in[8].Value = math.Inf(-1)
	in[9].Quality.Status, in[9].Quality.Reason = 2, 1
	in = append(in, samplesOf("b", 10, time.Second, func(i int) float64 { return float64(i) })...)
	if err := s.Append(in); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Export(context.Background(), &buf, []string{"Tank 1, level", "b"}, time.Time{}, time.Time{}, ExportOptions{Long: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "time,tag,value,quality\r\n2026-11-28T00:00:00Z,\"Tank 1, level\",0,Good\r\n") {
		t.Fatalf("export starts %q", buf.String()[:80])
	}
	s2, _ := openTest(t, Options{})
	res, err := s2.ImportCSV(context.Background(), &buf, "export.csv")
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != len(in) || res.Stored != len(in) || res.Tags != 2 {
		t.Fatalf("import %+v", res)
	}
	sameStored(t, stored(t, s2, "Tank 1, level"), in[:200])
	t.Run("importing the same rows again skips them all", func(t *testing.T) {
		var again bytes.Buffer
		if err := s.Export(context.Background(), &again, []string{"b"}, time.Time{}, time.Time{}, ExportOptions{Long: true}); err != nil {
			t.Fatal(err)
		}
		res, err := s2.ImportCSV(context.Background(), &again, "again.csv")
		if err != nil || res.Stored != 0 || res.Skipped != 10 {
			t.Fatalf("import %+v, %v", res, err)
		}
	})
}

func TestParseCSVReportsEveryBadLine(t *testing.T) {
	csv := "time,tag,value,quality\n" +
		"2026-11-28T00:00:00Z,a,1\n" +
		"yesterday,a,1\n" +
		"2026-11-28T00:00:01Z,a,one\n" +
		"2026-11-28T00:00:02Z,,1\n" +
		"2026-11-28T00:00:03Z,a,1,Broken\n" +
		"2026-11-28 00:00:04,a,true,Bad/NotConnected\n"
	_, _, err := ParseCSV(strings.NewReader(csv), "data.csv")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"data.csv:3: time", "data.csv:4: value", "data.csv:5: tag", "data.csv:6: quality"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "data.csv:7") || strings.Contains(err.Error(), "data.csv:2") {
		t.Errorf("error %q blames a good line", err)
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("time,tag,value,quality\n2026-11-28T00:00:00Z,a,1.5,Good\n"))
	f.Add([]byte("2026-11-28 00:00:00,\"x,y\",NaN,Bad/CommFailure\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		samples, _, err := ParseCSV(bytes.NewReader(b), "fuzz.csv")
		if err != nil {
			return
		}
		for _, s := range samples {
			if s.Tag == "" || s.Time.Before(minTime) || s.Time.After(maxTime) {
				t.Fatalf("accepted %+v", s)
			}
		}
	})
}
