package history_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/historytest"
)

// useAll runs every reading method of s; each must return, with an error
// or without, and never panic.
func useAll(t *testing.T, s *history.Store) []error {
	t.Helper()
	ctx := context.Background()
	from, to := historytest.Start, historytest.Start.Add(time.Hour)
	var errs []error
	_, err := s.Info(ctx)
	errs = append(errs, err)
	errs = append(errs, s.Check())
	for _, tag := range s.Tags() {
		_, err = s.Query(ctx, tag, from, to, 0)
		errs = append(errs, err)
		_, err = s.Query(ctx, tag, from, to, 100)
		errs = append(errs, err)
		_, err = s.ValueAt(ctx, tag, to)
		if errors.Is(err, history.ErrNoData) {
			err = nil
		}
		errs = append(errs, err)
		_, err = s.Aggregate(ctx, tag, from, to, 10)
		errs = append(errs, err)
	}
	_, err = s.Events(ctx, from, to, "", 0)
	errs = append(errs, err)
	if tags := s.Tags(); len(tags) > 0 {
		var buf bytes.Buffer
		errs = append(errs, s.Export(ctx, &buf, tags, time.Time{}, time.Time{}, history.ExportOptions{Long: true}))
	}
	return errs
}

func TestEveryDamagedFileGivesAnErrorNamingItAndNeverAPanic(t *testing.T) {
	cases := historytest.Damaged(t, t.TempDir())
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			s, err := history.Open(c.Path, history.Options{ReadOnly: true, Logger: discard})
			if err != nil {
				if !errors.Is(err, history.ErrDamaged) {
					t.Fatalf("open: %v, want an error wrapping ErrDamaged", err)
				}
				if !strings.Contains(err.Error(), c.Path) {
					t.Fatalf("open: %q does not name the file", err)
				}
				// Opening for writing refuses it too, and leaves it as it was.
				before, _ := os.ReadFile(c.Path)
				if _, err := history.Open(c.Path, history.Options{Logger: discard}); !errors.Is(err, history.ErrDamaged) {
					t.Fatalf("open for writing: %v, want ErrDamaged", err)
				}
				if after, _ := os.ReadFile(c.Path); !bytes.Equal(before, after) {
					t.Fatal("a refused open changed the file")
				}
				return
			}
			if c.InUse {
				t.Fatal("the damage is in a page the file uses, yet it opened")
			}
			// The damage was in a free page, or in chunk or event bytes
			// that their own checks catch: reading must not panic, and
			// what fails says which file.
			for _, err := range useAll(t, s) {
				if err != nil && !strings.Contains(err.Error(), c.Path) && !errors.As(err, new(*history.CheckError)) {
					t.Errorf("%q does not name the file", err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSpecificDamageIsDescribed(t *testing.T) {
	cases := historytest.Damaged(t, t.TempDir())
	want := map[string]string{
		"0 bytes":                        "empty (0 bytes)",
		"a text file":                    "not a bbolt file",
		"truncated to 1/2":               "cut short",
		"both meta pages zeroed":         "neither meta page is valid",
		"truncated to 100 bytes":         "cut short",
		"truncated after the meta pages": "cut short",
	}
	zeroed := false
	for _, c := range cases {
		w, ok := want[c.Name]
		if !ok && c.InUse && !zeroed && strings.HasSuffix(c.Name, " zeroed") && strings.HasPrefix(c.Name, "page ") {
			// The first page in use that was zeroed: its header says page 0.
			zeroed, ok, w = true, true, "identifies itself as page 0"
			want[c.Name] = w
		}
		if !ok {
			continue
		}
		delete(want, c.Name)
		_, err := history.Open(c.Path, history.Options{ReadOnly: true, Logger: discard})
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("%s: open gives %v, want it to say %q", c.Name, err, w)
		}
	}
	if len(want) > 0 {
		t.Fatalf("no cases %v", want)
	}
}

var discard = slog.New(slog.DiscardHandler)
