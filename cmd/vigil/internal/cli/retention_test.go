package cli

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/history"
)

// TestTheProjectsRetentionPrunesTheHistory runs a project with
// retention: {samples: 2d} on a history file holding three days: the day
// beyond the age goes at the first pruning, the rest stays, and the start
// says what is kept. Without a retention section the start warns that the
// file grows until the disk is full.
func TestTheProjectsRetentionPrunesTheHistory(t *testing.T) {
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	hist := filepath.Join(t.TempDir(), "h.db")
	s, err := history.Open(hist, history.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	// One sample an hour for three days, a flush a day: the chunks of the
	// first day are sealed (a chunk spans at most 6 h) and all older than
	// two days.
	for day := 3; day >= 1; day-- {
		var batch []history.Sample
		for h := range 24 {
			batch = append(batch, history.Sample{Tag: "Tank1.Level", Time: now.Add(-time.Duration(day)*24*time.Hour + time.Duration(h)*time.Hour), Value: float64(h), Quality: datasource.QualityGood})
		}
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	src := `project: Kept
retention: {samples: 2d, max_size: 20GB}
devices:
  - {name: plant, driver: sim, scan_classes: [{name: slow, rate: 1h}]}
tags:
  - {name: Tank1.Level, device: plant, address: Tank1.Level, type: float32}
`
	proj, err := project.Parse("kept.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if r := proj.Retention; r.Samples != 48*time.Hour || r.MaxSize != 20e9 || r.Events != 0 {
		t.Fatalf("retention %+v", r)
	}
	clk := clockwork.NewFakeClockAt(now)
	var logs syncBuffer
	rt, err := Start(context.Background(), proj, RuntimeOptions{Clock: clk, HistoryPath: hist, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Stop()
	if !strings.Contains(logs.String(), `msg="history retention" file=`+hist+` samples=2d max_size=20GB events=forever`) {
		t.Errorf("the start does not say what is kept:\n%s", logs.String())
	}
	count := func(from, to time.Time) int {
		pts, err := rt.History.Query(context.Background(), "Tank1.Level", from, to, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range pts {
			if !p.IsGap() {
				n++
			}
		}
		return n
	}
	if n := count(now.Add(-73*time.Hour), now.Add(-48*time.Hour)); n != 25 { // 24 of the first day and the hour at the boundary
		t.Fatalf("%d samples of the oldest day before pruning, want 25", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count(now.Add(-73*time.Hour), now.Add(-54*time.Hour)) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the samples older than two days are still there 10 s after the pruning was due")
		}
		clk.Advance(time.Minute) // the store prunes every minute
		time.Sleep(50 * time.Millisecond)
	}
	if n := count(now.Add(-47*time.Hour), now.Add(-30*time.Minute)); n != 47 { // before the live samples
		t.Errorf("%d samples of the last two days (to half an hour ago) after pruning, want all 47", n)
	}

	// Without a retention section: a warning.
	proj, err = project.Parse("forever.yaml", []byte(strings.Replace(src, "retention: {samples: 2d, max_size: 20GB}\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	var warn syncBuffer
	rt2, err := Start(context.Background(), proj, RuntimeOptions{Clock: clk, HistoryPath: filepath.Join(t.TempDir(), "f.db"), Logger: slog.New(slog.NewTextHandler(&warn, nil))})
	if err != nil {
		t.Fatal(err)
	}
	rt2.Stop()
	if !strings.Contains(warn.String(), "level=WARN msg=\"history keeps every sample: its file grows until the disk is full") {
		t.Errorf("no warning without retention:\n%s", warn.String())
	}
}

func TestRetentionSizesAreLoggedInTheirUnits(t *testing.T) {
	for b, want := range map[int64]string{0: "unbounded", 20e9: "20GB", 1 << 30: "1GiB", 3 << 39: "1536GiB", 64 << 20: "64MiB", 500e6: "500MB", 1536 << 20: "1536MiB"} {
		if got := sizeText(b); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", b, got, want)
		}
	}
}

func TestCheckNotesAProjectWithoutRetention(t *testing.T) {
	const body = "project: P\ndevices: [{name: plant, driver: sim}]\ntags: [{name: L, device: plant, address: Tank1.Level, type: float32}]\n"
	path := writeFile(t, "p.yaml", body)
	if code, out, _ := runCLI(t, context.Background(), Env{}, "check", path); code != ExitOK || !strings.Contains(out, "note: no retention section: the history file keeps every sample") {
		t.Errorf("check without retention: exit %d, %q", code, out)
	}
	path = writeFile(t, "q.yaml", strings.Replace(body, "project: P\n", "project: P\nretention: {max_size: 2GB}\n", 1))
	if code, out, _ := runCLI(t, context.Background(), Env{}, "check", path); code != ExitOK || strings.Contains(out, "note:") {
		t.Errorf("check with retention: exit %d, %q", code, out)
	}
}
