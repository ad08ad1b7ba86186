package guard

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/audit"
	"github.com/vigil-hmi/vigil/history/audit/audittest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// desk is the write path's test bench, with the faceplate's view of it.
type desk struct {
	*audittest.Bench
	tags  []*datasource.Tag // Tank1.LevelSP, Tank1.Drain (critical), Tank1.Level
	table *datasource.Table
	eng   *poll.Engine
	store *history.Store
	chain *audit.Chain
	audit *audit.Auditor
	dir   *access.Directory
}

func newDesk(t *testing.T) *desk {
	t.Helper()
	b := audittest.New(t)
	return &desk{Bench: b, tags: b.Tags, table: b.Table, eng: b.Engine, store: b.Store, chain: b.Chain, audit: b.Auditor, dir: b.Users}
}

func (d *desk) login(t *testing.T, name string) *access.Session { return d.Login(t, name) }

// drain is the bench's critical tag.
const drain = 3

func (d *desk) writer(s *access.Session, password string, asked *int) *Writer {
	return &Writer{Tags: d.tags, Session: func() *access.Session { return s }, Path: audit.NewWritePath(d.tags, d.table, d.eng, d.audit),
		Reauth: func(context.Context, *datasource.Tag) (string, error) {
			*asked++
			if password == "" {
				return "", errors.New("cancelled by the operator")
			}
			return password, nil
		}}
}

// events is the journal without the chain's genesis record.
func (d *desk) events(t *testing.T) []history.Event {
	t.Helper()
	evs, err := d.store.Events(context.Background(), time.Time{}, time.Now().Add(time.Hour), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) > 0 && evs[0].Name == audit.ActGenesis {
		evs = evs[1:]
	}
	return evs
}

func write(t *testing.T, w *Writer, tag datasource.TagID, v float64) (poll.WriteResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return w.Write(ctx, poll.WriteRequest{Tag: tag, Value: datasource.Float(v), User: "whoever the faceplate thinks"})
}

func TestAnOperatorsWriteReachesThePlantAndIsAuditedUnderTheirName(t *testing.T) {
	d := newDesk(t)
	asked := 0
	w := d.writer(d.login(t, "alice"), "", &asked)
	if !w.CanWrite(d.tags[0]) {
		t.Fatal("an operator may not write a writable setpoint")
	}
	res, err := write(t, w, 0, 42)
	if err != nil || !res.Match {
		t.Fatalf("write: %+v %v", res, err)
	}
	evs := d.events(t)
	if len(evs) != 1 || evs[0].User != "alice" || evs[0].State != audit.StateOK || evs[0].Data["reason"] != Reason {
		t.Fatalf("audit trail %+v, want alice's write", evs)
	}
	if asked != 0 {
		t.Fatal("a non-critical write asked for the password")
	}
}

func TestAViewerCannotWriteAndTheRefusalIsAudited(t *testing.T) {
	d := newDesk(t)
	asked := 0
	w := d.writer(d.login(t, "vic"), "", &asked)
	if w.CanWrite(d.tags[0]) {
		t.Fatal("a viewer is offered the setpoint entry")
	}
	before := d.table.Get(0).Value
	if _, err := write(t, w, 0, 42); !errors.Is(err, access.ErrPermission) {
		t.Fatalf("viewer write: %v, want a permission refusal", err)
	}
	if got := d.table.Get(0).Value; got != before {
		t.Fatalf("a refused write changed the setpoint to %v", got)
	}
	if evs := d.events(t); len(evs) != 1 || evs[0].State != audit.StateRefused {
		t.Fatalf("audit trail %+v, want one refusal", evs)
	}
}

func TestACriticalWriteAsksForThePasswordAndACancelWritesNothing(t *testing.T) {
	d := newDesk(t)
	asked := 0
	alice := d.login(t, "alice")
	if _, err := write(t, d.writer(alice, "", &asked), drain, 10); err == nil || asked != 1 {
		t.Fatalf("cancelled signature: err %v after %d prompts, want a refusal after one", err, asked)
	}
	if evs := d.events(t); len(evs) != 0 {
		t.Fatalf("a cancelled signature left audit records %+v", evs)
	}
	res, err := write(t, d.writer(alice, audittest.Password, &asked), drain, 40)
	if err != nil || !res.Match || asked != 2 {
		t.Fatalf("signed write: %+v %v (%d prompts)", res, err, asked)
	}
	if _, err := write(t, d.writer(alice, "wrong", &asked), drain, 41); !errors.Is(err, access.ErrBadCredentials) {
		t.Fatalf("wrongly signed write: %v, want bad credentials", err)
	}
}

func TestWithoutAuditTrailOrLoginNothingIsWritten(t *testing.T) {
	d := newDesk(t)
	asked := 0
	w := d.writer(d.login(t, "alice"), "", &asked)
	w.Path = audit.NewWritePath(d.tags, d.table, d.eng, nil)
	if w.CanWrite(d.tags[0]) {
		t.Fatal("the entry is offered with no audit trail")
	}
	if _, err := write(t, w, 0, 42); !errors.Is(err, ErrNoAudit) {
		t.Fatalf("write without audit: %v", err)
	}
	w = d.writer(nil, "", &asked)
	if _, err := write(t, w, 0, 42); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("write logged out: %v", err)
	}
	if _, err := write(t, w, 99, 42); err == nil {
		t.Fatal("a write to an unknown tag id succeeded")
	}
}

// TestTheFaceplateRunsTheSharedCases holds the faceplate's writer to the
// cases of every entry point of the write path.
func TestTheFaceplateRunsTheSharedCases(t *testing.T) {
	audittest.Run(t, audit.ViaFaceplate, func(t *testing.T, b *audittest.Bench, c audittest.Case) error {
		s := b.Login(t, c.User)
		w := &Writer{Tags: b.Tags, Session: func() *access.Session { return s }, Path: b.Path}
		id := datasource.TagID(len(b.Tags) + 3) // a tag the window does not know
		if tag := b.Tag(c.Tag); tag != nil {
			id = tag.ID
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := w.Write(ctx, poll.WriteRequest{Tag: id, Value: c.Value})
		return err
	})
}

// ackAuthorizer lets the users acknowledge (the wiring's adapter maps
// every action; this test acknowledges only).
type ackAuthorizer struct{ dir *access.Directory }

func (a ackAuthorizer) Authorize(user string, _ alarms.Action, tag *datasource.Tag) error {
	return a.dir.Authorize(user, access.PermAcknowledge, tag)
}

func TestARefusedAlarmActionIsAuditedAndAPermittedOneJournaled(t *testing.T) {
	d := newDesk(t)
	tags := []*datasource.Tag{{ID: 0, Name: "Tank1.Level", Type: datasource.TypeFloat64,
		Alarms: []datasource.AlarmDef{{Name: "Hi", Kind: datasource.AlarmHi, Limit: 80, Priority: datasource.PriorityHigh}}}}
	// One chain for the engine's journal and the auditor, as in the runtime.
	eng, err := alarms.New(tags, alarms.Options{Journal: d.chain, Authorizer: ackAuthorizer{d.dir}})
	if err != nil {
		t.Fatal(err)
	}
	eng.Process([]datasource.Sample{{Tag: 0, Value: datasource.Float(95), Time: time.Now()}})
	eng.Tick(time.Now())
	id, ok := eng.Lookup("Tank1.Level", "Hi")
	if !ok {
		t.Fatal("no alarm")
	}
	view := Alarms{Engine: eng, Auditor: d.audit}
	d.login(t, "vic")
	d.login(t, "alice")
	if err := view.Ack("vic", id, ""); !errors.Is(err, access.ErrPermission) {
		t.Fatalf("a viewer's acknowledge: %v, want a permission refusal", err)
	}
	if err := view.AckMany("vic", []alarms.ID{id}, ""); err == nil {
		t.Fatal("a viewer's acknowledge of a page passed")
	}
	if err := view.Ack("alice", id, "seen"); err != nil {
		t.Fatalf("an operator's acknowledge: %v", err)
	}
	if err := eng.Flush(); err != nil {
		t.Fatal(err)
	}
	var refused, acked int
	for _, e := range d.events(t) {
		switch {
		case e.User == "vic" && e.State == audit.StateRefused && e.Source == "Tank1.Level/Hi":
			refused++
		case e.User == "alice" && e.State != audit.StateRefused:
			acked++
		}
	}
	if refused != 2 || acked == 0 {
		t.Fatalf("journal has %d refusals by vic (want 2) and %d records of alice's acknowledge: %+v", refused, acked, d.events(t))
	}
	if r, err := audit.Verify(context.Background(), d.store); err != nil || !r.OK() {
		t.Fatalf("the journal's hash chain does not verify: %+v %v", r, err)
	}
}
