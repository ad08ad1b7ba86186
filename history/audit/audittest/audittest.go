// Package audittest is the write path's shared test: a simulated plant
// with a history file, an audit trail and two users (Bench), and the cases
// every entry point of the write path must handle alike (Cases), so that
// the faceplate, `vigil run --commands`, a Sparkplug DCMD and the servers
// of `vigil sim` are held to the same refusals and the same audit records.
package audittest

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/datasource/sim/simtest"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/audit"
)

// Project is the Bench's plant: a setpoint with limits, a read-only
// measurement, a bool with state names and a critical setpoint.
const Project = `project: Bench
devices:
  - {name: plant, driver: sim}
tags:
  - {name: Tank1.LevelSP, group: Tanks, device: plant, address: tank1.level_sp, units: "%", writable: true, limits: [0, 90]}
  - {name: Tank1.Level, group: Tanks, device: plant, address: tank1.level, units: "%"}
  - {name: Tank1.Auto, group: Tanks, device: plant, address: tank1.auto, type: bool, states: {0: MANUAL, 1: AUTO}, writable: true}
  - {name: Tank1.Drain, group: Tanks, device: plant, address: tank1.level_sp, writable: true, critical: true}
`

// Password is the password of the Bench's users.
const Password = "correct horse battery"

// Bench is a running simulated plant with a history file, its audit
// trail, a users file with "vic" (viewer) and "alice" (operator), and the
// write path over them.
type Bench struct {
	Project *project.Project
	Tags    []*datasource.Tag
	Table   *datasource.Table
	Engine  *poll.Engine
	Store   *history.Store
	Chain   *audit.Chain // the one chain of the journal: give it to an alarm engine as its Journal
	Auditor *audit.Auditor
	Users   *access.Directory
	Path    *audit.WritePath
}

// New starts a Bench that ends with the test.
func New(t *testing.T) *Bench {
	t.Helper()
	pl := simtest.Start(t, Project)
	b := &Bench{Project: pl.Project, Tags: pl.Project.Tags, Table: pl.Table, Engine: pl.Engine}
	var err error
	b.Store, err = history.Open(filepath.Join(t.TempDir(), "h.db"), history.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Store.Close() })
	b.Chain, err = audit.NewChain(context.Background(), b.Store, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.Auditor = audit.NewAuditor(b.Chain)
	b.Users = access.New(filepath.Join(t.TempDir(), "bench.users.yaml"), access.Options{Hash: access.HashParams{Memory: 64, Time: 1, Threads: 1}})
	for name, role := range map[string]access.Role{"vic": access.Viewer, "alice": access.Operator} {
		if err := b.Users.Add(name, role, nil, Password); err != nil {
			t.Fatal(err)
		}
	}
	b.Path = audit.NewWritePath(b.Tags, b.Table, b.Engine, b.Auditor)
	return b
}

// Login returns a session of user.
func (b *Bench) Login(t *testing.T, user string) *access.Session {
	t.Helper()
	s, err := b.Users.Authenticate(user, Password)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Tag returns the tag called name, or nil.
func (b *Bench) Tag(name string) *datasource.Tag {
	for _, t := range b.Tags {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Records returns the write records of the audit trail, oldest first.
func (b *Bench) Records(t *testing.T) []history.Event {
	t.Helper()
	evs, err := b.Store.Events(context.Background(), time.Time{}, time.Now().Add(time.Hour), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []history.Event
	for _, e := range evs {
		if e.Kind == audit.Kind && e.Name == audit.ActWrite {
			out = append(out, e)
		}
	}
	return out
}

// Case is one write that every entry point must handle alike.
type Case struct {
	Name  string
	User  string           // who asks: "vic" (viewer) or "alice" (operator)
	Tag   string           // the tag's name
	Text  string           // the value as an operator types it (console)
	Value datasource.Value // the value as a typed protocol sends it (faceplate, DCMD, Modbus, OPC UA)
	Want  error            // errors.Is target of the refusal; nil: written
}

// Cases are the write path's cases, refusals first and the write that
// succeeds last.
var Cases = []Case{
	{"a viewer's write is refused", "vic", "Tank1.LevelSP", "42", datasource.Float(42), access.ErrPermission},
	{"a value above the write limits is refused", "alice", "Tank1.LevelSP", "95", datasource.Float(95), poll.ErrOutsideLimits},
	{"NaN is refused", "alice", "Tank1.LevelSP", "NaN", datasource.Float(math.NaN()), poll.ErrBadValue},
	{"an unknown tag is refused", "alice", "Tank9.Nope", "1", datasource.Float(1), poll.ErrNotWritable},
	{"a read-only tag is refused", "alice", "Tank1.Level", "50", datasource.Float(50), poll.ErrNotWritable},
	{"2 for a bool is refused", "alice", "Tank1.Auto", "2", datasource.Int(2), poll.ErrBadValue},
	{"text that is not a number is refused", "alice", "Tank1.LevelSP", "4O", datasource.String("4O"), poll.ErrBadValue},
	{"a value within the limits is written and read back", "alice", "Tank1.LevelSP", "42", datasource.Float(42), nil},
}

// Entry runs c through one entry point of the write path and returns the
// error it reports (nil when it says the value was written). The error
// must match c.Want with errors.Is.
type Entry func(t *testing.T, b *Bench, c Case) error

// Run runs every case of Cases through entry on a new Bench and checks,
// for each, the outcome; that a refused value reached no device; and that
// exactly one audit record was added, by the case's user, from entry point
// via, with the value before (the table's), the value asked and, for a
// refusal, state "refused" and the reason.
func Run(t *testing.T, via string, entry Entry) {
	t.Helper()
	b := New(t)
	sp := b.Tag("Tank1.LevelSP")
	for _, c := range Cases {
		t.Run(c.Name, func(t *testing.T) {
			before := len(b.Records(t))
			oldSP := b.Table.Get(sp.ID)
			var old datasource.Sample
			if tag := b.Tag(c.Tag); tag != nil {
				old = b.Table.Get(tag.ID)
			}
			err := entry(t, b, c)
			switch {
			case c.Want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case c.Want != nil && !errors.Is(err, c.Want):
				t.Fatalf("got %v, want a refusal matching %q", err, c.Want)
			}
			if c.Want != nil {
				if got := b.Table.Get(sp.ID).Value; got != oldSP.Value {
					t.Errorf("a refused write changed Tank1.LevelSP from %v to %v", oldSP.Value, got)
				}
			}
			recs := b.Records(t)
			if len(recs) != before+1 {
				t.Fatalf("%d audit records added, want 1", len(recs)-before)
			}
			r := recs[len(recs)-1]
			d := r.Data
			if r.User != c.User {
				t.Errorf("record's user %q, want %q", r.User, c.User)
			}
			if d["via"] != via {
				t.Errorf("record's via %q, want %q", d["via"], via)
			}
			if d["new"] == "" {
				t.Errorf("record has no asked value: %v", d)
			}
			if tag := b.Tag(c.Tag); tag != nil && !tag.System {
				if d["old"] == "" || d["old_quality"] == "" {
					t.Errorf("record has no old value: %v", d)
				}
				if tag == sp && d["old"] != old.Value.String() {
					t.Errorf("record's old value %q, want %q", d["old"], old.Value)
				}
			}
			if c.Want == nil {
				if r.State != audit.StateOK || d["read_back"] == "" || d["match"] != "true" {
					t.Errorf("record of the write: state %s, data %v", r.State, d)
				}
				return
			}
			if r.State != audit.StateRefused || d["error"] == "" || r.Message == "" {
				t.Errorf("record of the refusal: state %s, message %q, data %v", r.State, r.Message, d)
			}
		})
	}
}
