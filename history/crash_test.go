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

const childEnv = "VIGIL_HISTORY_CRASH_CHILD"

// crashChild appends forever to the file at path, printing after each Flush
// how many samples per tag are durable. The parent kills it with SIGKILL.
func crashChild(path string) {
	s, err := Open(path, Options{FlushInterval: 20 * time.Millisecond, ChunkSamples: 256})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	tags := []string{"a", "b", "c"}
	batch := make([]Sample, 0, 3*50)
	for i := 0; ; {
		batch = batch[:0]
		for range 50 {
			for k, tag := range tags {
				batch = append(batch, Sample{Tag: tag, Time: t0.Add(time.Duration(i) * time.Second), Value: float64(i*10 + k)})
			}
			i++
		}
		if err := s.Append(batch); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		if i%500 == 0 {
			if err := s.Flush(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(5)
			}
			fmt.Println(i)
		}
	}
}

func TestKilledWriterLeavesAConsistentFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := t.TempDir() + "/crash.db"
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
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
	for lines := 0; lines < 8 && sc.Scan(); lines++ {
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
	for k, tag := range []string{"a", "b", "c"} {
		got := stored(t, s, tag)
		if len(got) < durable {
			t.Fatalf("tag %s: %d samples after the crash, but %d were flushed", tag, len(got), durable)
		}
		for i, x := range got {
			if x.T != t0.Add(time.Duration(i)*time.Second).UnixNano() || x.V != float64(i*10+k) {
				t.Fatalf("tag %s sample %d is {%d %v}: the file lost or mixed samples", tag, i, x.T, x.V)
			}
		}
		t.Logf("tag %s: %d samples survived, %d were reported flushed", tag, len(got), durable)
	}
	// The file takes new data after the crash.
	if err := s.Append([]Sample{{Tag: "a", Time: t0.Add(1000 * time.Hour), Value: math.Pi}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ValueAt(context.Background(), "a", t0.Add(2000*time.Hour)); err != nil {
		t.Fatal(err)
	}
}
