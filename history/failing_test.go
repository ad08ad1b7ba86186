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

// TestWhatWaitsForAFileThatCannotBeWrittenIsBounded: while the flushes
// fail, the sealed chunks waiting in memory are kept under MaxWaiting by
// dropping the oldest, which is logged and counted; the newest are written
// when the file can be written again.
func TestWhatWaitsForAFileThatCannotBeWrittenIsBounded(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	var logs bytes.Buffer
	s, _ := openTest(t, Options{Clock: clock, ChunkSamples: 50, FlushInterval: time.Hour, MaxWaiting: 4 << 10,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.testInCommit = func() error { return syscall.ENOSPC }
	const n = 5000 // 100 chunks of 50 noisy samples, about 400 bytes each
	if err := s.Append(samplesOf("x", n, time.Second, func(i int) float64 { return float64(i%7) * 1.37 })); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		s.noteFlush(s.Flush())
	}
	s.mu.Lock()
	waiting := 0
	for _, p := range s.pending {
		waiting += len(p.key) + len(p.val)
	}
	s.mu.Unlock()
	dropped := s.Stats().Dropped
	if waiting > 4<<10 || dropped == 0 || dropped%50 != 0 {
		t.Fatalf("%d bytes waiting (bound 4096), %d samples dropped", waiting, dropped)
	}
	if !strings.Contains(logs.String(), "the oldest dropped") || !strings.Contains(logs.String(), fmt.Sprintf("samples=%d", dropped)) {
		t.Errorf("the drop is not logged with its samples:\n%s", logs.String())
	}
	s.testInCommit = nil
	s.noteFlush(s.Flush())
	got := stored(t, s, "x")
	if uint64(len(got)) != n-dropped || got[len(got)-1].T != t0.Add((n-1)*time.Second).UnixNano() || got[0].T != t0.Add(time.Duration(dropped)*time.Second).UnixNano() {
		t.Errorf("%d samples from %v to %v after the recovery, want the newest %d", len(got), got[0].T, got[len(got)-1].T, n-dropped)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}
