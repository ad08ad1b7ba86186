package history_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/historytest"
)

var (
	soundOnce  sync.Once
	soundBytes []byte
)

// FuzzOpen opens mutated history files: a sound file with patch written at
// off, then cut to cut bytes (0: not cut). Open must refuse it with an
// error or open it, and then every read must return; nothing may panic.
// Salvage must always give a file that passes Check. The seed corpus in
// testdata/fuzz/FuzzOpen hits the meta pages, the freelist, branch and
// leaf headers and element tables, and cuts.
func FuzzOpen(f *testing.F) {
	f.Add(uint32(0), []byte{}, uint32(0))
	f.Add(uint32(4096*3+8), []byte{0x01}, uint32(0))        // a leaf header flag
	f.Add(uint32(4096*3+16), []byte{0xff, 0xff}, uint32(0)) // an element's pos
	f.Add(uint32(0), []byte{}, uint32(60000))
	f.Fuzz(func(t *testing.T, off uint32, patch []byte, cut uint32) {
		soundOnce.Do(func() {
			p := filepath.Join(t.TempDir(), "sound.db")
			historytest.Sound(t, p)
			var err error
			if soundBytes, err = os.ReadFile(p); err != nil {
				t.Fatal(err)
			}
		})
		b := append([]byte(nil), soundBytes...)
		if len(patch) > 0 {
			copy(b[int(off)%len(b):], patch)
		}
		if cut > 0 {
			b = b[:int(cut)%(len(b)+1)]
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "fuzz.db")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if s, err := history.Open(path, history.Options{ReadOnly: true, Logger: discard}); err == nil {
			useAll(t, s)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := history.Salvage(path, filepath.Join(dir, "salvaged.db")); err != nil {
			t.Fatal(err)
		}
		s, err := history.Open(filepath.Join(dir, "salvaged.db"), history.Options{ReadOnly: true, Logger: discard})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = s.Close() }()
		if err := s.Check(); err != nil {
			t.Fatal(err)
		}
	})
}
