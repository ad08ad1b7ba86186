package audit

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.etcd.io/bbolt"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/history"
)

// writeRetained writes n audit records one minute apart through a chain on
// a store with event retention of maxAge, whose clock is returned; nothing
// is pruned yet. The store is closed by the test's end.
func writeRetained(t *testing.T, n int, maxAge time.Duration) (*history.Store, *clockwork.FakeClock) {
	t.Helper()
	clk := clockwork.NewFakeClockAt(t0)
	s, err := history.Open(filepath.Join(t.TempDir(), "h.db"), history.Options{NoSync: true, Clock: clk,
		Retention: history.Retention{EventMaxAge: maxAge, Every: 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := NewChain(context.Background(), s, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	a := NewAuditor(c)
	for i := range n {
		clk.Advance(time.Minute)
		res := poll.WriteResult{Requested: datasource.Float(float64(i))}
		if err := a.write("alice", "Tank1.LevelSP", res, res.Requested.String(), ViaConsole, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	return s, clk
}

func mustVerify(t *testing.T, s *history.Store) Report {
	t.Helper()
	r, err := Verify(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAChainBeginsWithItsGenesisRecord(t *testing.T) {
	s, _ := writeRetained(t, 3, 0)
	evs, err := s.Events(context.Background(), time.Time{}, t0.Add(time.Hour), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 || evs[0].Name != ActGenesis || evs[0].Data[KeyChain] != "1" || evs[0].Data[KeyPrev] != Genesis {
		t.Fatalf("journal %+v, want the genesis record as chain record 1", evs)
	}
	if r := mustVerify(t, s); !r.OK() || !r.Genesis || r.Legacy || r.Pruned != 0 {
		t.Errorf("report %+v", r)
	}
}

// TestDeletingTheOldestRecordsWithoutRetentionFailsVerify deletes the
// genesis record and the next two, as someone hiding what was done first
// would; the chain that is left is intact, but its start is unknown.
func TestDeletingTheOldestRecordsWithoutRetentionFailsVerify(t *testing.T) {
	path := writeJournal(t, 8)
	tamper(t, path, func(b *bbolt.Bucket) error {
		for seq := uint64(1); seq <= 3; seq++ {
			if err := b.Delete(keyOf(b, seq)); err != nil {
				return err
			}
		}
		return nil
	})
	r := verifyFile(t, path)
	if r.OK() || len(r.Problems) != 1 {
		t.Fatalf("report %+v, want one problem", r)
	}
	p := r.Problems[0]
	want := "no genesis: chain start unknown: the oldest record is chain record 4 (seq 4), and no retention marker says that chain records 1..3 were removed"
	if p.Kind != Deleted || p.Seq != 0 || p.Chain != 1 || !strings.Contains(p.Msg, want) {
		t.Errorf("problem %v, want %q", p, want)
	}
}

// TestRetentionMarksWhatItRemovesAndVerifyAcceptsIt prunes the oldest
// records by EventMaxAge: the marker lets the chain verify; deleting one
// more record by hand then fails.
func TestRetentionMarksWhatItRemovesAndVerifyAcceptsIt(t *testing.T) {
	s, clk := writeRetained(t, 8, 5*time.Minute)
	// Records at t0+1..8 min (the genesis with the first); now t0+8 min:
	// those before t0+3 min go, which are chain records 1..3.
	if err := s.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(context.Background(), time.Time{}, clk.Now().Add(time.Hour), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if evs[0].Data[KeyChain] != "4" {
		t.Fatalf("oldest record after retention: chain %s, want 4", evs[0].Data[KeyChain])
	}
	m := evs[len(evs)-1]
	if m.Name != ActRetention || m.Data[KeyRemovedChain] != "3" || m.Data["removed_count"] != "3" || m.Data[KeyRemovedHash] != evs[0].Data[KeyPrev] {
		t.Fatalf("the newest record is not the retention marker of chain records 1..3: %+v", m)
	}
	if r := mustVerify(t, s); !r.OK() || r.Pruned != 3 || r.Genesis || r.Legacy {
		t.Fatalf("after retention: %+v", r)
	}

	// Another, later retention removes the first marker's records too.
	clk.Advance(3 * time.Minute)
	if err := s.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := mustVerify(t, s); !r.OK() || r.Pruned != 6 {
		t.Fatalf("after a second retention: %+v", r)
	}
}

func TestDeletingBeyondWhatRetentionRemovedFailsVerify(t *testing.T) {
	s, _ := writeRetained(t, 8, 5*time.Minute)
	if err := s.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	tamper(t, path, func(b *bbolt.Bucket) error { return b.Delete(keyOf(b, 4)) }) // chain record 4, the oldest left
	r := verifyFile(t, path)
	if r.OK() || r.Problems[0].Kind != Deleted || !strings.Contains(r.Problems[0].Msg, "no genesis: chain start unknown") {
		t.Errorf("report %+v", r)
	}
}

// TestALegacyChainWithoutGenesisVerifiesUntilItsStartIsDeleted: a journal
// written before Vigil wrote genesis records starts with an ordinary
// record 1 linked to the zero hash, which pins its start as well; verify
// accepts it and says so, and fails once its oldest records are deleted.
func TestALegacyChainWithoutGenesisVerifiesUntilItsStartIsDeleted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := openStore(t, path)
	c, err := newChain(context.Background(), s, Options{Clock: clockwork.NewFakeClockAt(t0)})
	if err != nil {
		t.Fatal(err)
	}
	c.noGenesis = true
	a := NewAuditor(c)
	for _, u := range []string{"alice", "bob", "carol"} {
		if err := a.Login(u, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r := verifyFile(t, path); !r.OK() || !r.Legacy || r.Genesis {
		t.Fatalf("legacy chain: %+v", r)
	}
	tamper(t, path, func(b *bbolt.Bucket) error { return b.Delete(keyOf(b, 1)) })
	if r := verifyFile(t, path); r.OK() || !strings.Contains(r.Problems[0].Msg, "no genesis: chain start unknown") {
		t.Errorf("legacy chain without its record 1: %+v", r)
	}
}
