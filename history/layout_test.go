package history

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// TestTagsStartedTogetherDoNotSealTogether: tags whose first chunks start
// in the same second seal them at staggered points, so the tail log never
// holds a full chunk of every tag at once; later chunks take the full
// bounds. Without the stagger all 200 tags sealed in the same Append.
func TestTagsStartedTogetherDoNotSealTogether(t *testing.T) {
	const tags, bound = 200, 64
	s, _ := openTest(t, Options{ChunkSamples: bound})
	batch := make([]Sample, tags)
	maxPerSecond := uint64(0)
	for i := range 3 * bound {
		for k := range batch {
			batch[k] = Sample{Tag: fmt.Sprintf("t%03d", k), Time: t0.Add(time.Duration(i) * time.Second), Value: float64(k)} // flat: only ChunkSamples seals
		}
		before := s.Stats().Sealed
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		maxPerSecond = max(maxPerSecond, s.Stats().Sealed-before)
	}
	if maxPerSecond > tags/8 {
		t.Fatalf("%d of %d tags sealed a chunk in the same second, want at most %d", maxPerSecond, tags, tags/8)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	for k := range tags {
		name := fmt.Sprintf("t%03d", k)
		got := stored(t, s, name)
		if len(got) != 3*bound {
			t.Fatalf("%s: %d samples stored, want %d", name, len(got), 3*bound)
		}
	}
	// After the first, every chunk takes the full bound: in three bounds'
	// time each tag sealed its staggered first chunk and one or two full
	// ones (a tag staggered to 1/8 of the bound every time would seal 24).
	if got := s.Stats().Sealed; got < 2*tags || got > 3*tags {
		t.Fatalf("%d chunks sealed, want 2 or 3 per tag (%d..%d)", got, 2*tags, 3*tags)
	}
}

// TestCloseCutsTheFileToItsPages: Close leaves no growth step past the
// last page (the file is the high-water mark of its pages), and the file
// grows again when it is opened and written.
func TestCloseCutsTheFileToItsPages(t *testing.T) {
	s, path := openTest(t, Options{ChunkSamples: 100})
	appendSeconds(t, s, 50, 0, 600)
	for round := range 2 {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		db, err := bbolt.Open(path, 0o644, &bbolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var end int64
		_ = db.View(func(tx *bbolt.Tx) error { end = tx.Size(); return nil })
		_ = db.Close()
		if fi.Size() != end {
			t.Fatalf("round %d: the file is %d bytes after Close, its pages end at %d", round, fi.Size(), end)
		}
		s, err = Open(path, Options{Logger: quiet, NoSync: true, ChunkSamples: 100})
		if err != nil {
			t.Fatal(err)
		}
		appendSeconds(t, s, 50, 600*(round+1), 600*(round+2))
	}
	defer func() { _ = s.Close() }()
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, s, "t7"); len(got) != 1800 {
		t.Fatalf("%d samples of t7 after two reopens, want 1800", len(got))
	}
}

// TestTheFirstFlushFillsTheSeriesPages: a large plant's first flush writes
// every tag's name -> id record at once; in the map's random order bbolt's
// splits left the bucket half full (49 % at 100,000 tags), sorted they fill
// its pages.
func TestTheFirstFlushFillsTheSeriesPages(t *testing.T) {
	s, path := openTest(t, Options{})
	batch := make([]Sample, 20000)
	for k := range batch {
		batch[k] = Sample{Tag: fmt.Sprintf("Area%02d.Unit%03d.Signal", k%37, k), Time: t0, Value: 1}
	}
	if err := s.Append(batch); err != nil {
		t.Fatal(err)
	}
	viewClosed(t, s, path, func(tx *bbolt.Tx) {
		st := tx.Bucket(bucketSeries).Stats()
		if fill := float64(st.LeafInuse) / float64(st.LeafAlloc); st.KeyN != len(batch) || fill < 0.8 {
			t.Errorf("the series bucket holds %d names in %d leaf pages, %.0f %% full; want %d names, at least 80 %%", st.KeyN, st.LeafPageN, 100*fill, len(batch))
		}
	})
}

// viewClosed closes s and runs fn in a read transaction of its file at
// path, opened read-only with bbolt itself.
func viewClosed(t *testing.T, s *Store, path string, fn func(tx *bbolt.Tx)) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(path, 0o644, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	_ = db.View(func(tx *bbolt.Tx) error { fn(tx); return nil })
}
