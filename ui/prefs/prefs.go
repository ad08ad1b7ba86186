// Package prefs keeps the operator window's preferences (last screen per
// window, window sizes, palette, trend pens) in a JSON file of their own
// per project, so a second project never opens on the first one's screen
// (issue 16 item 9). Store implements fyne.Preferences, so the shell and
// its screens use it as they would Fyne's.
//
// Fyne's own store is one file per application, rewritten in place: a
// second Vigil process saving it while this one reloads it logged
// "Preferences load error: EOF". A Store writes a temporary file and
// renames it over the old one, so a reader sees either version whole.
package prefs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
)

// Store is a fyne.Preferences kept in one JSON file. Safe for concurrent use.
type Store struct {
	path string

	mu        sync.Mutex // guards values, listeners and err
	values    map[string]json.RawMessage
	listeners []func()
	err       error // the last save's error
}

var _ fyne.Preferences = (*Store)(nil)

// Open reads the store at path; a missing file is an empty store. A file
// that cannot be parsed is an error naming it (the caller may start empty
// and overwrite it at the next change).
func Open(path string) (*Store, error) {
	s := &Store{path: path, values: map[string]json.RawMessage{}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return s, fmt.Errorf("preferences %s: %w", path, err)
	case len(data) == 0:
		return s, nil
	}
	if err := json.Unmarshal(data, &s.values); err != nil {
		s.values = map[string]json.RawMessage{}
		return s, fmt.Errorf("preferences %s: %w", path, err)
	}
	return s, nil
}

// PathFor is the preferences file of the project loaded from projectFile
// under dir: its base name for a reader, and a hash of its absolute path so
// two projects of the same name in different folders keep apart.
func PathFor(dir, projectFile string) string {
	abs, err := filepath.Abs(projectFile)
	if err != nil {
		abs = projectFile // still a stable key
	}
	sum := sha256.Sum256([]byte(abs))
	base := strings.TrimSuffix(filepath.Base(projectFile), filepath.Ext(projectFile))
	return filepath.Join(dir, base+"-"+hex.EncodeToString(sum[:6])+".json")
}

// Path is the file the store saves to.
func (s *Store) Path() string { return s.path }

// Err returns the error of the last save, nil when it succeeded.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func get[T any](s *Store, key string, fallback T) T {
	s.mu.Lock()
	raw, ok := s.values[key]
	s.mu.Unlock()
	if !ok {
		return fallback
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return fallback // a value of another type: as if unset
	}
	return v
}

func set[T any](s *Store, key string, value T) {
	raw, err := json.Marshal(value)
	if err != nil {
		return // NaN or ±Inf: not storable; keep the previous value
	}
	s.mu.Lock()
	s.values[key] = raw
	s.saveLocked()
	ls := append([]func(){}, s.listeners...)
	s.mu.Unlock()
	for _, l := range ls {
		l()
	}
}

// saveLocked writes the values to a temporary file beside the store and
// renames it into place. s.mu is held.
func (s *Store) saveLocked() {
	s.err = func() error {
		data, err := json.MarshalIndent(s.values, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
			return err
		}
		f, err := os.CreateTemp(filepath.Dir(s.path), ".prefs-*")
		if err != nil {
			return err
		}
		_, werr := f.Write(append(data, '\n'))
		cerr := f.Close()
		if err := errors.Join(werr, cerr); err != nil {
			_ = os.Remove(f.Name()) // the half-written temporary file is of no use
			return err
		}
		return os.Rename(f.Name(), s.path)
	}()
	if s.err != nil {
		s.err = fmt.Errorf("preferences %s: %w", s.path, s.err)
	}
}

// Bool implements fyne.Preferences.
func (s *Store) Bool(key string) bool { return get(s, key, false) }

// BoolWithFallback implements fyne.Preferences.
func (s *Store) BoolWithFallback(key string, fallback bool) bool { return get(s, key, fallback) }

// SetBool implements fyne.Preferences.
func (s *Store) SetBool(key string, value bool) { set(s, key, value) }

// BoolList implements fyne.Preferences.
func (s *Store) BoolList(key string) []bool { return get[[]bool](s, key, nil) }

// BoolListWithFallback implements fyne.Preferences.
func (s *Store) BoolListWithFallback(key string, fallback []bool) []bool {
	return get(s, key, fallback)
}

// SetBoolList implements fyne.Preferences.
func (s *Store) SetBoolList(key string, value []bool) { set(s, key, value) }

// Float implements fyne.Preferences.
func (s *Store) Float(key string) float64 { return get(s, key, 0.0) }

// FloatWithFallback implements fyne.Preferences.
func (s *Store) FloatWithFallback(key string, fallback float64) float64 {
	return get(s, key, fallback)
}

// SetFloat implements fyne.Preferences.
func (s *Store) SetFloat(key string, value float64) { set(s, key, value) }

// FloatList implements fyne.Preferences.
func (s *Store) FloatList(key string) []float64 { return get[[]float64](s, key, nil) }

// FloatListWithFallback implements fyne.Preferences.
func (s *Store) FloatListWithFallback(key string, fallback []float64) []float64 {
	return get(s, key, fallback)
}

// SetFloatList implements fyne.Preferences.
func (s *Store) SetFloatList(key string, value []float64) { set(s, key, value) }

// Int implements fyne.Preferences.
func (s *Store) Int(key string) int { return get(s, key, 0) }

// IntWithFallback implements fyne.Preferences.
func (s *Store) IntWithFallback(key string, fallback int) int { return get(s, key, fallback) }

// SetInt implements fyne.Preferences.
func (s *Store) SetInt(key string, value int) { set(s, key, value) }

// IntList implements fyne.Preferences.
func (s *Store) IntList(key string) []int { return get[[]int](s, key, nil) }

// IntListWithFallback implements fyne.Preferences.
func (s *Store) IntListWithFallback(key string, fallback []int) []int { return get(s, key, fallback) }

// SetIntList implements fyne.Preferences.
func (s *Store) SetIntList(key string, value []int) { set(s, key, value) }

// String implements fyne.Preferences.
func (s *Store) String(key string) string { return get(s, key, "") }

// StringWithFallback implements fyne.Preferences.
func (s *Store) StringWithFallback(key, fallback string) string { return get(s, key, fallback) }

// SetString implements fyne.Preferences.
func (s *Store) SetString(key string, value string) { set(s, key, value) }

// StringList implements fyne.Preferences.
func (s *Store) StringList(key string) []string { return get[[]string](s, key, nil) }

// StringListWithFallback implements fyne.Preferences.
func (s *Store) StringListWithFallback(key string, fallback []string) []string {
	return get(s, key, fallback)
}

// SetStringList implements fyne.Preferences.
func (s *Store) SetStringList(key string, value []string) { set(s, key, value) }

// RemoveValue implements fyne.Preferences.
func (s *Store) RemoveValue(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.values[key]; ok {
		delete(s.values, key)
		s.saveLocked()
	}
}

// AddChangeListener implements fyne.Preferences: f runs after every change.
func (s *Store) AddChangeListener(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, f)
}

// ChangeListeners implements fyne.Preferences.
func (s *Store) ChangeListeners() []func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]func(){}, s.listeners...)
}
