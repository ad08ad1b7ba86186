package audit

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/history"
)

func TestDisplayEditsAreRecordedWithWhoWhichAndWhat(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	defer s.Close()
	c, err := NewChain(context.Background(), s, Options{Clock: clockwork.NewFakeClockAt(t0)})
	if err != nil {
		t.Fatal(err)
	}
	a := NewAuditor(c)
	if err := a.DisplayEdit("erin", "tanks", "displays/tanks.yaml", "elements[0].at: [120, 140]", nil); err != nil {
		t.Fatal(err)
	}
	if err := a.DisplayEdit("olga", "tanks", "displays/tanks.yaml", "elements[0].at: [0, 0]", errors.New("olga may not edit displays")); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(context.Background(), t0.Add(-time.Hour), t0.Add(time.Hour), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	evs = slices.DeleteFunc(evs, func(e history.Event) bool { return e.Name != ActDisplayEdit }) // the chain's genesis record
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	ok, refused := evs[0], evs[1]
	if ok.Name != ActDisplayEdit || ok.State != StateOK || ok.User != "erin" || ok.Source != "tanks" ||
		ok.Data["file"] != "displays/tanks.yaml" || ok.Data["change"] != "elements[0].at: [120, 140]" {
		t.Errorf("edit recorded as %+v", ok)
	}
	if refused.State != StateRefused || refused.Data["error"] != "olga may not edit displays" {
		t.Errorf("refused edit recorded as %+v", refused)
	}
}
