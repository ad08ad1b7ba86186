package polltest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/poll/polltest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memPeer is an in-memory device: a map of registers that can be switched
// off. It is the smallest peer that lets the conformance check itself be
// exercised; real drivers run polltest against their real servers.
type memPeer struct {
	mu   sync.Mutex // guards up and regs
	up   bool
	regs map[string]datasource.Value
}

type memDriver struct {
	peer      *memPeer
	connected bool
	closes    int
}

type memPlan []*datasource.Tag

func (d *memDriver) Prepare(tags []*datasource.Tag) (poll.Plan, error) {
	var errs []error
	for _, t := range tags {
		if t.Address == "" || t.Address[0] == '!' {
			errs = append(errs, &datasource.TagError{Tag: t, Field: "address", Err: fmt.Errorf("bad address %q", t.Address)})
		}
	}
	return memPlan(tags), errors.Join(errs...)
}

func (d *memDriver) Connect(ctx context.Context) error {
	d.peer.mu.Lock()
	defer d.peer.mu.Unlock()
	if !d.peer.up {
		return errors.New("connection refused")
	}
	d.connected = true
	return nil
}

func (d *memDriver) Read(ctx context.Context, plan poll.Plan, dst []datasource.Sample) ([]datasource.Sample, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	d.peer.mu.Lock()
	defer d.peer.mu.Unlock()
	if !d.connected || !d.peer.up {
		return dst, poll.ErrNotConnected
	}
	for _, t := range plan.(memPlan) {
		dst = append(dst, datasource.Sample{Tag: t.ID, Value: d.peer.regs[t.Address]})
	}
	return dst, nil
}

func (d *memDriver) Write(ctx context.Context, t *datasource.Tag, v datasource.Value) error {
	d.peer.mu.Lock()
	defer d.peer.mu.Unlock()
	if !d.connected || !d.peer.up {
		return poll.ErrNotConnected
	}
	f, _ := v.AsFloat()
	d.peer.regs[t.Address] = datasource.Float(float64(float32(f)))
	return nil
}

func (d *memDriver) Close() error {
	d.connected = false
	d.closes++
	return nil
}

func TestAConformingDriverPasses(t *testing.T) {
	peer := &memPeer{up: true, regs: map[string]datasource.Value{"a": datasource.Float(1), "b": datasource.Float(2), "sp": datasource.Float(0)}}
	tags := []*datasource.Tag{
		{ID: 3, Name: "A", Address: "a", Type: datasource.TypeFloat32},
		{ID: 5, Name: "B", Address: "b", Type: datasource.TypeFloat32},
	}
	polltest.Run(t, polltest.Target{
		New:        func() poll.Driver { return &memDriver{peer: peer} },
		Tags:       tags,
		Writable:   &datasource.Tag{ID: 9, Name: "SP", Address: "sp", Type: datasource.TypeFloat32, Writable: true},
		WriteValue: datasource.Float(42.1),
		BadTag:     &datasource.Tag{ID: 10, Name: "Bad", Address: "!x", Type: datasource.TypeFloat32},
		Stop:       func() { peer.mu.Lock(); peer.up = false; peer.mu.Unlock() },
		Start:      func() { peer.mu.Lock(); peer.up = true; peer.mu.Unlock() },
	})
}

func TestTheOptionalChecksAreSkippedWithoutTheirTargetFields(t *testing.T) {
	peer := &memPeer{up: true, regs: map[string]datasource.Value{"a": datasource.Float(1)}}
	polltest.Run(t, polltest.Target{
		New:  func() poll.Driver { return &memDriver{peer: peer} },
		Tags: []*datasource.Tag{{ID: 0, Name: "A", Address: "a", Type: datasource.TypeFloat32}},
	})
}

// reorderingDriver is memDriver with a broken Read: every other Read gives
// the plan's tags in reverse order.
type reorderingDriver struct {
	memDriver
	reads int
}

func (d *reorderingDriver) Read(ctx context.Context, plan poll.Plan, dst []datasource.Sample) ([]datasource.Sample, error) {
	n := len(dst)
	dst, err := d.memDriver.Read(ctx, plan, dst)
	if d.reads++; err == nil && d.reads%2 == 0 {
		slices.Reverse(dst[n:])
	}
	return dst, err
}

// TestADriverThatBreaksTheOrderFails runs polltest.Run on a driver whose
// Reads of one plan give the tags in different orders, in a child process
// (a failing Run fails its test): the child must fail, naming the order.
// The table relies on polltest for this; no reader repairs it.
func TestADriverThatBreaksTheOrderFails(t *testing.T) {
	if os.Getenv("POLLTEST_REORDERING_CHILD") == "1" {
		peer := &memPeer{up: true, regs: map[string]datasource.Value{"a": datasource.Float(1), "b": datasource.Float(2)}}
		polltest.Run(t, polltest.Target{
			New: func() poll.Driver { return &reorderingDriver{memDriver: memDriver{peer: peer}} },
			Tags: []*datasource.Tag{
				{ID: 0, Name: "A", Address: "a", Type: datasource.TypeFloat32},
				{ID: 1, Name: "B", Address: "b", Type: datasource.TypeFloat32},
			},
		})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestADriverThatBreaksTheOrderFails$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "POLLTEST_REORDERING_CHILD=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("polltest.Run passed a driver that reorders its samples (err %v):\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("Read must keep the order of a plan")) {
		t.Fatalf("polltest.Run failed the reordering driver, but not for its order:\n%s", out)
	}
}
