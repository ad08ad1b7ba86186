package audit

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/sim/simtest"
)

const plant = `project: Guard
devices:
  - {name: plant, driver: sim}
tags:
  - {name: Tank1.LevelSP, group: Tanks, device: plant, address: tank1.level_sp, writable: true, limits: [0, 90]}
  - {name: Tank1.Drain, group: Tanks, device: plant, address: tank1.level_sp, writable: true, critical: true}
`

// TestGuardedWriteThroughARealEngine writes through a poll engine on the
// simulated plant as a viewer, an operator and with a critical tag, and
// checks what reached the device and what the audit trail says.
func TestGuardedWriteThroughARealEngine(t *testing.T) {
	pl := simtest.Start(t, plant)
	p, table, eng := pl.Project, pl.Table, pl.Engine

	store := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	defer store.Close()
	chain, err := NewChain(context.Background(), store, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := NewAuditor(chain)
	users := filepath.Join(t.TempDir(), "guard.users.yaml")
	dir := access.New(users, access.Options{Hash: access.HashParams{Memory: 64, Time: 1, Threads: 1}})
	for name, role := range map[string]access.Role{"vic": access.Viewer, "alice": access.Operator} {
		if err := dir.Add(name, role, nil, "correct horse"); err != nil {
			t.Fatal(err)
		}
	}
	login := func(name string) *access.Session {
		s, err := dir.Authenticate(name, "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	sp, drain := p.Tags[0], p.Tags[1]
	before := table.Get(sp.ID).Value

	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	_, err = a.GuardedWrite(wctx, login("vic"), eng, sp, datasource.Float(42), "", "try")
	if !errors.Is(err, access.ErrPermission) {
		t.Fatalf("viewer write: %v", err)
	}
	if got := table.Get(sp.ID).Value; got != before {
		t.Errorf("a refused write changed the value to %v", got)
	}
	alice := login("alice")
	if _, err := a.GuardedWrite(wctx, alice, eng, sp, datasource.Float(95), "", "too high"); !errors.Is(err, poll.ErrOutsideLimits) {
		t.Errorf("write above the limits: %v", err)
	}
	if _, err := a.GuardedWrite(wctx, alice, eng, drain, datasource.Float(10), "", "drain"); !errors.Is(err, access.ErrReauthRequired) {
		t.Errorf("critical write without signature: %v", err)
	}
	res, err := a.GuardedWrite(wctx, alice, eng, sp, datasource.Float(42), "", "new recipe")
	if err != nil || !res.Match {
		t.Fatalf("operator write: %+v %v", res, err)
	}
	if _, err := a.GuardedWrite(wctx, alice, eng, drain, datasource.Float(40), "correct horse", "drain, signed"); err != nil {
		t.Errorf("signed critical write: %v", err)
	}

	evs, err := store.Events(context.Background(), time.Time{}, time.Now().Add(time.Hour), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ user, state string }{{"vic", StateRefused}, {"alice", StateRefused}, {"alice", StateRefused}, {"alice", StateOK}, {"alice", StateOK}}
	if len(evs) != len(want) {
		t.Fatalf("%d audit events, want %d: %+v", len(evs), len(want), evs)
	}
	for i, w := range want {
		if evs[i].User != w.user || evs[i].State != w.state || evs[i].Name != ActWrite {
			t.Errorf("event %d: %s %s %s, want %s %s (%s)", i, evs[i].User, evs[i].Name, evs[i].State, w.user, w.state, evs[i].Message)
		}
	}
	if d := evs[3].Data; d["new"] != "42" || d["read_back"] != "42" || d["match"] != "true" || d["reason"] != "new recipe" {
		t.Errorf("write record %v", d)
	}
	if r, err := Verify(context.Background(), store); err != nil || !r.OK() {
		t.Errorf("verify %+v %v", r, err)
	}

}
