package guard

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/audit"
)

// The Trail writes every record it was given, in the order given, by the
// time Close returns, and a window's refusals go through it like through
// the Auditor.
func TestTheTrailWritesEveryRecordInOrderByClose(t *testing.T) {
	d := newDesk(t)
	var reported []error
	tr := NewTrail(d.audit, func(err error) { reported = append(reported, err) })
	_ = tr.Login("alice", nil, "")
	_ = tr.AlarmAction("vic", alarms.ActionAck, "Tank1.Level/Hi", "", errors.New("vic may not acknowledge"))
	_ = tr.DisplayEdit("alice", "Plant", "plant.yaml", "moved Pump1", nil)
	_ = tr.Logout("alice", "logged out")
	tr.Close()
	tr.Close() // twice is harmless
	// A record after Close is still written (on the caller's goroutine).
	_ = tr.Login("bob", nil, "")

	var got []string
	for _, e := range d.events(t) {
		got = append(got, e.User+" "+e.Name+" "+e.State)
	}
	want := []string{
		"alice " + audit.ActLogin + " " + audit.StateOK,
		"vic " + string(alarms.ActionAck) + " " + audit.StateRefused,
		"alice " + audit.ActDisplayEdit + " " + audit.StateOK,
		"alice " + audit.ActLogout + " " + audit.StateOK,
		"bob " + audit.ActLogin + " " + audit.StateOK,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("journal:\n%q\nwant\n%q", got, want)
	}
	if len(reported) != 0 {
		t.Fatalf("reported %v for records that were written", reported)
	}
	if r, err := audit.Verify(context.Background(), d.store); err != nil || !r.OK() {
		t.Fatalf("the journal's hash chain does not verify: %+v %v", r, err)
	}
}

// A record the journal cannot take is reported, not lost in silence.
func TestTheTrailReportsARecordItCouldNotWrite(t *testing.T) {
	store, err := history.Open(filepath.Join(t.TempDir(), "h.db"), history.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	chain, err := audit.NewChain(context.Background(), store, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	var reported []error
	tr := NewTrail(audit.NewAuditor(chain), func(err error) { reported = append(reported, err) })
	if err := tr.Login("alice", nil, ""); err != nil {
		t.Fatalf("Login returned %v: the Trail answers before it writes", err)
	}
	tr.Close()
	if len(reported) != 1 {
		t.Fatalf("reported %v, want the one failed record", reported)
	}
}
