package history

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

const (
	childEnv     = "VIGIL_HISTORY_CRASH_CHILD"
	childTagsEnv = "VIGIL_HISTORY_CRASH_TAGS"
)

// crashTags names the tags the crash child writes.
func crashTags(n int) []string {
	if n <= 3 {
		return []string{"a", "b", "c"}[:n]
	}
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf("Plant.Unit%03d.Tag%03d", i/1000, i%1000)
	}
	return tags
}

// crashChild appends forever to the file at path, printing after each Flush
// how many samples per tag are durable. The parent kills it with SIGKILL.
// With many tags (childTagsEnv) it appends one second of all of them per
// batch, as vigil run does, and the background flush runs too.
func crashChild(path string) {
	n, _ := strconv.Atoi(os.Getenv(childTagsEnv))
	if n <= 0 {
		n = 3
	}
	per := max(1, 150/n) // seconds per batch
	s, err := Open(path, Options{FlushInterval: 20 * time.Millisecond, ChunkSamples: 256, ChunkBytes: 256})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	tags := crashTags(n)
	batch := make([]Sample, 0, n*per)
	for i := 0; ; {
		batch = batch[:0]
		for range per {
			for k, tag := range tags {
				batch = append(batch, Sample{Tag: tag, Time: t0.Add(time.Duration(i) * time.Second), Value: crashValue(i, k)})
			}
			i++
		}
		s.Recording(t0.Add(time.Duration(i-1) * time.Second)) // as Ingest does, before the samples go in
		if err := s.Append(batch); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		if i%(10*per) == 0 {
			if err := s.Flush(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(5)
			}
			fmt.Println(i)
		}
	}
}

// crashValue is tag k's value at second i: noisy, so chunks fill by bytes.
func crashValue(i, k int) float64 { return float64(i*10+k) + math.Sin(float64(i+k))/7 }

func TestKilledWriterLeavesAConsistentFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	killWriter(t, 3, 8)
}

// TestKilledWriterAt20000TagsLeavesAConsistentFile: the crash bound holds
// at the scale of a large plant, where every flush appends a tail record
// for 20,000 tags and chunks seal while the child is killed.
func TestKilledWriterAt20000TagsLeavesAConsistentFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	killWriter(t, 20000, 4)
}

// killWriter runs crashChild with tags tags, kills it with SIGKILL after
// it reported flushes durable, and checks the file: it opens, passes
// Check, and holds for every tag at least the samples reported flushed, in
// order and unchanged.
func killWriter(t *testing.T, tags, flushes int) {
	path := t.TempDir() + "/crash.db"
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path, childTagsEnv+"="+strconv.Itoa(tags))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	durable := 0
	for lines := 0; lines < flushes && sc.Scan(); lines++ {
		durable, _ = strconv.Atoi(sc.Text())
	}
	// Let it write a little past the last flush, then kill it mid-write.
	time.Sleep(30 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // killed: the error is expected
	if durable == 0 {
		t.Fatal("the child reported no flush")
	}

	s, err := Open(path, Options{Logger: quiet, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	names := crashTags(tags)
	for k, tag := range names {
		if tags > 3 && k%997 != 0 && k != tags-1 {
			continue // a sample of the tags: reading all 20,000 is slow under -race
		}
		got := stored(t, s, tag)
		if len(got) < durable {
			t.Fatalf("tag %s: %d samples after the crash, but %d were flushed", tag, len(got), durable)
		}
		for i, x := range got {
			if x.T != t0.Add(time.Duration(i)*time.Second).UnixNano() || x.V != crashValue(i, k) {
				t.Fatalf("tag %s sample %d is {%d %v}: the file lost or mixed samples", tag, i, x.T, x.V)
			}
		}
		if k < 3 {
			t.Logf("tag %s: %d samples survived, %d were reported flushed", tag, len(got), durable)
		}
	}
	if len(s.Tags()) != tags {
		t.Fatalf("%d tags after the crash, want %d", len(s.Tags()), tags)
	}
	// Where the child was killed every tag's line breaks: the file kept
	// where recording ended, at or after every sample that survived.
	if until, floor := s.RecordedUntil(), t0.Add(time.Duration(durable-1)*time.Second); until.Before(floor) {
		t.Fatalf("recorded until %v after the crash, but samples up to %v were flushed", until, floor)
	}
	if n, err := s.MarkDowntime(names); err != nil || n != tags {
		t.Fatalf("MarkDowntime marked %d of %d tags (%v): a surviving sample is newer than where recording ended", n, tags, err)
	}
	// The file takes new data after the crash.
	if err := s.Append([]Sample{{Tag: names[0], Time: t0.Add(1000 * time.Hour), Value: math.Pi}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ValueAt(context.Background(), names[0], t0.Add(2000*time.Hour)); err != nil {
		t.Fatal(err)
	}
}
