package setpoint

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestProposeAsksTheSameConfirmation(t *testing.T) {
	w := &fakeWriter{}
	f, _ := open(t, levelSP(), w)
	if !f.Propose(datasource.Float(80)) || f.confirm == nil {
		t.Fatal("Propose shows no confirmation")
	}
	if got, want := f.confirmQuestion.Text, "Tank1.LevelSP: 50.0 % → 80.0 %"; got != want {
		t.Errorf("confirmation = %q, want %q", got, want)
	}
	test.Tap(f.confirmCancel)
	f.wg.Wait()
	if n := len(w.requests()); n != 0 {
		t.Errorf("%d writes after Cancel", n)
	}
}

func TestProposeRefusesWithoutPermissionOrOutsideTheLimits(t *testing.T) {
	w := &fakeWriter{}
	f, _ := open(t, levelSP(), w)
	if f.Propose(datasource.Float(120)) || f.confirm != nil {
		t.Fatal("a value above the write limits was proposed")
	}
	if f.result.Text != "must be between 0 and 100 %; nothing was written" {
		t.Errorf("refusal says %q", f.result.Text)
	}
	test.NewTempApp(t)
	ro := New(levelSP(), Deps{Writer: w, CanWrite: false})
	defer ro.Close()
	if ro.Propose(datasource.Float(50)) || ro.confirm != nil {
		t.Fatal("a user without permission was asked to confirm")
	}
	if ro.result.Text != "you may not write Tank1.LevelSP; nothing was written" {
		t.Errorf("refusal says %q", ro.result.Text)
	}
}
