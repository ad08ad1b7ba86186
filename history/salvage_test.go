package history_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/historytest"
)

func TestSalvageOfASoundFileCopiesEverything(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "sound.db"), filepath.Join(dir, "copy.db")
	historytest.Sound(t, src)
	rep, err := history.Salvage(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Samples != 3*3600 || rep.Events != 50 || rep.Tags != 3 || len(rep.Problems) > 0 || rep.Scanned || rep.MissingEvents != 0 {
		t.Fatalf("salvage of a sound file: %+v", rep)
	}
	s, err := history.Open(dst, history.Options{Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	pts, err := s.Query(context.Background(), historytest.Tags[1], historytest.Start, historytest.Start.Add(3600e9), 0)
	if err != nil || len(pts) != 3600 || pts[99].Value != 2+1.0/3 {
		t.Fatalf("the copy has %d points (%v)", len(pts), err)
	}
	// The journal goes on numbering after the copied events.
	evs := []history.Event{{Kind: "alarm", Name: "after"}}
	if err := s.AppendEvents(evs); err != nil || evs[0].Seq != 51 {
		t.Fatalf("the next event gets seq %d (%v), want 51", evs[0].Seq, err)
	}
}

func TestSalvageOfEveryDamagedFileGivesASoundFile(t *testing.T) {
	dir := t.TempDir()
	lossy := 0
	for _, c := range historytest.Damaged(t, dir) {
		t.Run(c.Name, func(t *testing.T) {
			dst := c.Path + ".salvaged"
			rep, err := history.Salvage(c.Path, dst)
			if err != nil {
				t.Fatal(err)
			}
			s, err := history.Open(dst, history.Options{ReadOnly: true, Logger: discard})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			if err := s.Check(); err != nil {
				t.Fatal(err)
			}
			if rep.Samples > 3*3600 || rep.Events > 50 {
				t.Fatalf("salvage copied more than there was: %+v", rep)
			}
			if c.InUse && len(rep.Problems) == 0 {
				t.Fatalf("the report of a file damaged in use names no problem: %+v", rep)
			}
			if rep.Samples < 3*3600 || rep.Events < 50 {
				lossy++
			}
		})
	}
	if lossy == 0 {
		t.Fatal("no damaged file lost anything: the damage is not reaching the data")
	}
}
