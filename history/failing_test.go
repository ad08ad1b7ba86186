package history

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// TestAFailingFileIsReportedOnceThenRemindedAndRecovers fails the flushes
// as a full disk does: the first failure is logged with its cause and kept
// for Failing, the next ones only every failReminder, the samples stay in
// memory and are written by the flush that succeeds, which is logged too.
// Retention still runs meanwhile: the pages it frees are what the next
// flush can write to.
func TestAFailingFileIsReportedOnceThenRemindedAndRecovers(t *testing.T) {
	start := t0.Add(48 * time.Hour)
	clock := clockwork.NewFakeClockAt(start)
	var logs bytes.Buffer
	s, _ := openTest(t, Options{Clock: clock, ChunkSamples: 100, FlushInterval: time.Hour,
		Retention: Retention{MaxAge: 24 * time.Hour, Every: time.Hour}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	// Two days of a tag, the first of them past the age bound, in the file.
	if err := s.Append(samplesOf("x", 48*60, time.Minute, func(i int) float64 { return float64(i) })); err != nil {
		t.Fatal(err)
	}
	s.noteFlush(s.Flush())
	full := fmt.Errorf("write h.db: %w", syscall.ENOSPC)
	s.testInCommit = func() error { return full }
	if err := s.Append([]Sample{{Tag: "x", Time: start, Value: 1}}); err != nil {
		t.Fatal(err)
	}
	for range 130 { // 10 min 50 s of flushes every 5 s
		s.noteFlush(s.Flush())
		clock.Advance(5 * time.Second)
	}
	since, err := s.Failing()
	if !strings.Contains(fmt.Sprint(err), "no space left on device") || !since.Equal(start) {
		t.Errorf("Failing = %v, %v; want the full disk since %v", since, err, start)
	}
	if n := strings.Count(logs.String(), "history: writing the file failed"); n != 1 {
		t.Errorf("%d lines of the first failure, want 1:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "history: writing the file still fails"); n != 1 || !strings.Contains(logs.String(), "failed_flushes=121") {
		t.Errorf("%d reminders, want 1 after 10 min, counting 121 failed flushes:\n%s", n, logs.String())
	}
	// Retention goes on while the flushes fail.
	if err := s.Prune(context.Background()); err != nil {
		t.Fatalf("Prune while the flushes fail: %v", err)
	}
	if got := stored(t, s, "x"); got[0].T < t0.Add(23*time.Hour).UnixNano() {
		t.Errorf("the oldest sample kept is at %v: retention did not run while the flushes failed", time.Unix(0, got[0].T).UTC())
	}
	// The disk has room again: the sample written, the recovery logged.
	s.testInCommit = nil
	s.noteFlush(s.Flush())
	if _, err := s.Failing(); err != nil {
		t.Errorf("Failing = %v after a flush that succeeded", err)
	}
	if !strings.Contains(logs.String(), `msg="history: writing again"`) || !strings.Contains(logs.String(), "failed_for=10m50s") {
		t.Errorf("the recovery is not logged with how long it failed:\n%s", logs.String())
	}
	if got := stored(t, s, "x"); got[len(got)-1].T != start.UnixNano() {
		t.Error("the sample appended while the flushes failed was lost")
	}
}

func TestFailingTextSaysTheCausePlainly(t *testing.T) {
	err := fmt.Errorf("history /srv/h.db: write 112435 chunks: write /srv/h.db: %w", syscall.ENOSPC)
	if got, want := FailingText(125*time.Second+300*time.Millisecond, err), "history not written for 2m5s: no space left on device"; got != want {
		t.Errorf("FailingText = %q, want %q", got, want)
	}
}
