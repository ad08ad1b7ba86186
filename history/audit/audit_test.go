package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.etcd.io/bbolt"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/history"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The alarm engine can write its journal through a Chain.
var _ alarms.Journal = (*Chain)(nil)

var t0 = time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)

func openStore(t *testing.T, path string) *history.Store {
	t.Helper()
	s, err := history.Open(path, history.Options{NoSync: true, Clock: clockwork.NewFakeClockAt(t0)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeJournal writes n audit events through a chain into a new history
// file, one second apart, and closes it.
func writeJournal(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h.db")
	s := openStore(t, path)
	clk := clockwork.NewFakeClockAt(t0)
	c, err := NewChain(context.Background(), s, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	a := NewAuditor(c)
	tag := &datasource.Tag{Name: "Tank1.LevelSP", Units: "%"}
	for i := range n {
		clk.Advance(time.Second)
		res := poll.WriteResult{Old: datasource.Sample{Value: datasource.Float(float64(i))},
			Requested: datasource.Float(float64(i + 1)), ReadBack: datasource.Sample{Value: datasource.Float(float64(i + 1)), Time: clk.Now()}, Match: true}
		if err := a.write("alice", tag.Name, res, res.Requested.String(), ViaConsole, "shift plan", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// tamper runs fn on the events bucket of the closed history file.
func tamper(t *testing.T, path string, fn func(b *bbolt.Bucket) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bbolt.Tx) error { return fn(tx.Bucket([]byte("events"))) }); err != nil {
		t.Fatal(err)
	}
}

// keyOf finds the key of the event with seq.
func keyOf(b *bbolt.Bucket, seq uint64) []byte {
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if binary.BigEndian.Uint64(k[8:]) == seq {
			return append([]byte(nil), k...)
		}
	}
	return nil
}

func editEvent(b *bbolt.Bucket, seq uint64, fn func(e *history.Event)) error {
	k := keyOf(b, seq)
	var e history.Event
	if err := json.Unmarshal(b.Get(k)[1:], &e); err != nil {
		return err
	}
	fn(&e)
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return b.Put(k, append([]byte{1}, v...))
}

func verifyFile(t *testing.T, path string) Report {
	t.Helper()
	s, err := history.Open(path, history.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := Verify(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type found struct {
	kind ProblemKind
	seq  uint64
}

func TestVerifyFindsTampering(t *testing.T) {
	tests := []struct {
		name string
		do   func(b *bbolt.Bucket) error
		want []found
	}{
		{"an untouched journal verifies", func(*bbolt.Bucket) error { return nil }, nil},
		{"a changed new value is found at its seq", func(b *bbolt.Bucket) error {
			return editEvent(b, 4, func(e *history.Event) { e.Data["new"] = "99" })
		}, []found{{Edited, 4}}},
		{"a changed user with the hash recomputed is found through the next record's link", func(b *bbolt.Bucket) error {
			return editEvent(b, 3, func(e *history.Event) { e.User = "mallory"; e.Data[KeyHash] = Hash(*e) })
		}, []found{{Edited, 3}}},
		{"a deleted record is reported with its seq", func(b *bbolt.Bucket) error {
			return b.Delete(keyOf(b, 5))
		}, []found{{Deleted, 5}}},
		{"an edit and a deletion are both reported with their seqs", func(b *bbolt.Bucket) error {
			if err := editEvent(b, 2, func(e *history.Event) { e.Message = "nothing happened" }); err != nil {
				return err
			}
			return b.Delete(keyOf(b, 6))
		}, []found{{Edited, 2}, {Deleted, 6}}},
		{"two records swapped between their keys are reported out of order", func(b *bbolt.Bucket) error {
			k3, k4 := keyOf(b, 3), keyOf(b, 4)
			v3, v4 := bytes.Clone(b.Get(k3)), bytes.Clone(b.Get(k4))
			if err := b.Put(k3, v4); err != nil {
				return err
			}
			return b.Put(k4, v3)
		}, []found{{Reordered, 3}}},
		{"an event put in without the chain is reported inserted", func(b *bbolt.Bucket) error {
			k := keyOf(b, 7)
			// At record 7's time, with the next free seq.
			binary.BigEndian.PutUint64(k[8:], 9)
			v, _ := json.Marshal(history.Event{Seq: 9, Time: t0.Add(7 * time.Second), Kind: Kind, Name: "write", User: "mallory"})
			return b.Put(k, append([]byte{1}, v...))
		}, []found{{Inserted, 9}}},
		{"a record the store cannot decode stops verification at its seq", func(b *bbolt.Bucket) error {
			return b.Put(keyOf(b, 5), []byte{1, '{', 'x'})
		}, []found{{Unreadable, 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeJournal(t, 8)
			tamper(t, path, tt.do)
			r := verifyFile(t, path)
			var got []found
			for _, p := range r.Problems {
				got = append(got, found{p.Kind, p.Seq})
				if p.String() == "" {
					t.Error("empty problem text")
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems %v, want %v", r.Problems, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("problem %d: %v, want %v (all: %v)", i, r.Problems[i], tt.want[i], r.Problems)
				}
			}
			if r.OK() != (len(tt.want) == 0) {
				t.Errorf("OK() = %v with %d problems", r.OK(), len(r.Problems))
			}
		})
	}
}

func TestChainContinuesAfterReopenAndClockStepBack(t *testing.T) {
	path := writeJournal(t, 3)
	s := openStore(t, path)
	clk := clockwork.NewFakeClockAt(t0) // behind the last record's time
	c, err := NewChain(context.Background(), s, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Head(); n != 4 {
		t.Fatalf("chain resumed at %d, want 4 (the genesis record and 3)", n)
	}
	evs := []history.Event{{Kind: "alarm", Source: "Tank1.Level", Name: "HiHi", State: "UNACK_ALM"}}
	if err := c.AppendEvents(evs); err != nil {
		t.Fatal(err)
	}
	if evs[0].Data[KeyChain] != "5" || evs[0].Data[KeyClock] == "" || !evs[0].Time.Equal(t0.Add(3*time.Second)) {
		t.Errorf("appended %+v: want chain 5 at the previous record's time, with the clock's time kept", evs[0])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := verifyFile(t, path)
	if !r.OK() || r.Chained != 5 || r.Last.Chain != 5 || r.First.Chain != 1 || !r.Genesis {
		t.Errorf("report %+v", r)
	}
}

func TestVerifyReportsEventsWrittenAroundTheChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := openStore(t, path)
	defer s.Close()
	// Events from before auditing began are not checked.
	if err := s.AppendEvents([]history.Event{{Kind: "alarm", Time: t0}}); err != nil {
		t.Fatal(err)
	}
	c, err := NewChain(context.Background(), s, Options{Clock: clockwork.NewFakeClockAt(t0.Add(time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	if err := NewAuditor(c).Login("alice", nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendEvents([]history.Event{{Kind: "alarm", Time: t0.Add(2 * time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	r, err := Verify(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if r.PreChain != 1 || len(r.Problems) != 1 || r.Problems[0].Kind != Inserted || r.Problems[0].Seq != 4 {
		t.Errorf("report %+v", r)
	}
}

func TestAuditorRecordsOutcomes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := openStore(t, path)
	defer s.Close()
	c, err := NewChain(context.Background(), s, Options{Clock: clockwork.NewFakeClockAt(t0)})
	if err != nil {
		t.Fatal(err)
	}
	a := NewAuditor(c)
	tag := &datasource.Tag{Name: "Pump1.Speed"}
	mismatch := &poll.MismatchError{Device: "plc", Tag: tag, Requested: datasource.Float(50), ReadBack: datasource.Sample{Value: datasource.Float(40)}}
	steps := []struct {
		name  string
		do    func() error
		state string
	}{
		{"a write whose read-back differs is a mismatch", func() error {
			return a.write("bob", tag.Name, poll.WriteResult{Requested: datasource.Float(50), ReadBack: datasource.Sample{Value: datasource.Float(40), Time: t0}}, "50", ViaFaceplate, "test", mismatch)
		}, StateMismatch},
		{"a write outside the limits is refused", func() error {
			return a.write("bob", tag.Name, poll.WriteResult{}, "500", ViaFaceplate, "", &poll.LimitError{Tag: tag, Value: datasource.Float(500)})
		}, StateRefused},
		{"a refused acknowledge is refused", func() error {
			return a.AlarmAction("viewer1", alarms.ActionAck, "Pump1.Speed/Hi", "", errors.New("may not"))
		}, StateRefused},
		{"a shelve is ok", func() error { return a.AlarmAction("bob", alarms.ActionShelve, "Pump1.Speed/Hi", "sensor swap", nil) }, StateOK},
		{"a failed login is refused", func() error { return a.Login("eve", errors.New("wrong user name or password"), "unknown user") }, StateRefused},
		{"a login with an unknown name says so in the record", func() error {
			return a.Login("eve", &access.LoginError{User: "eve", UnknownUser: true}, "")
		}, StateRefused},
		{"a logout is ok", func() error { return a.Logout("bob", "idle") }, StateOK},
		{"a user change is ok", func() error { return a.UserChange("admin", ActUserAdd, "carol", "role operator") }, StateOK},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	evs, err := s.Events(context.Background(), t0.Add(-time.Hour), t0.Add(time.Hour), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[0].Name != ActGenesis {
		t.Fatalf("the chain does not begin with its genesis record: %+v", evs)
	}
	evs = evs[1:]
	if len(evs) != len(steps) {
		t.Fatalf("%d events, want %d", len(evs), len(steps))
	}
	for i, st := range steps {
		if evs[i].State != st.state || evs[i].Kind != Kind {
			t.Errorf("%s: state %q kind %q, want %q", st.name, evs[i].State, evs[i].Kind, st.state)
		}
	}
	if evs[5].Data["reason"] != "unknown user" {
		t.Errorf("failed login data %v", evs[5].Data)
	}
	if evs[0].Data["read_back"] != "40" || evs[0].Data["new"] != "50" {
		t.Errorf("write data %v", evs[0].Data)
	}
	if r, err := Verify(context.Background(), s); err != nil || !r.OK() {
		t.Errorf("verify: %+v %v", r, err)
	}

	var buf bytes.Buffer
	n, err := Export(context.Background(), &buf, s, t0.Add(-time.Hour), t0.Add(time.Hour), []string{Kind})
	if err != nil || n != len(steps)+1 {
		t.Fatalf("export %d rows, %v; want the genesis record and %d", n, err, len(steps))
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") || rows[5][8] != "sensor swap" || rows[5][6] != "bob" {
		t.Errorf("CSV rows %q", rows[:6])
	}
}

func TestExportDefusesFormulas(t *testing.T) {
	for in, want := range map[string]string{"=1+2": "'=1+2", "-12.5": "-12.5", "@x": "'@x", "plain": "plain", "": ""} {
		if got := defuse(in); got != want {
			t.Errorf("defuse(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVerifyFindsACutTailOnceTheChainContinues(t *testing.T) {
	path := writeJournal(t, 5)
	tamper(t, path, func(b *bbolt.Bucket) error { return b.Delete(keyOf(b, 5)) })
	s := openStore(t, path)
	c, err := NewChain(context.Background(), s, Options{Clock: clockwork.NewFakeClockAt(t0.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if err := NewAuditor(c).Logout("alice", "logout"); err != nil {
		t.Fatal(err)
	}
	r, err := Verify(context.Background(), s)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 1 || r.Problems[0].Kind != Deleted || r.Problems[0].Seq != 5 {
		t.Errorf("problems %v, want seq 5 deleted", r.Problems)
	}
}
