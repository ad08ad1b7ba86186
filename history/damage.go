package history

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vigil-hmi/vigil/history/internal/boltwalk"
)

// ErrDamaged is wrapped by every error that says the history file is
// damaged: cut short, pages overwritten or zeroed, empty, or not a history
// file at all. Callers branch on it (vigil run moves such a file aside).
var ErrDamaged = errors.New("history file is damaged")

// DamagedError says what is wrong with a damaged history file. It wraps
// ErrDamaged.
type DamagedError struct {
	Path     string
	Problems []string // what the page walk found, most telling first
}

// Error implements error.
func (e *DamagedError) Error() string {
	p := e.Problems
	more := ""
	if len(p) > 3 {
		more = fmt.Sprintf(" (and %d more problems)", len(p)-3)
		p = p[:3]
	}
	return fmt.Sprintf("history %s is damaged: %s%s; `vigil history salvage` copies what is still readable into a new file",
		e.Path, strings.Join(p, "; "), more)
}

// Unwrap makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Unwrap() error { return ErrDamaged }

// verifyFile walks the pages of the existing file at path before bbolt
// opens it: bbolt trusts every page it reads and panics (or faults on a
// mmap past the end of a truncated file) when one is wrong. It holds a
// shared lock during the walk, so no writer changes the file under it; a
// file locked by a writer for longer than lockTimeout gives ErrLocked. A
// missing file is fine (Open creates it) unless readOnly.
func verifyFile(path string, lockTimeout time.Duration, readOnly bool) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) && !readOnly {
		return nil
	}
	if err != nil {
		return fmt.Errorf("history %s: %w", path, err)
	}
	defer func() { _ = f.Close() }() // read only; closing drops the shared lock
	if err := lockShared(f, lockTimeout); err != nil {
		if errors.Is(err, errWouldBlock) {
			return fmt.Errorf("history %s: %w (waited %v for its lock)", path, ErrLocked, lockTimeout)
		}
		return fmt.Errorf("history %s: lock: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("history %s: %w", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("history %s: is a directory", path)
	}
	res, err := boltwalk.Walk(f, fi.Size(), nil)
	if errors.Is(err, boltwalk.ErrEmpty) || errors.Is(err, boltwalk.ErrNotBolt) {
		return &DamagedError{Path: path, Problems: []string{describeUnreadable(err, fi.Size())}}
	}
	if err != nil {
		return fmt.Errorf("history %s: read: %w", path, err)
	}
	if !res.OK() {
		return &DamagedError{Path: path, Problems: res.Problems}
	}
	return nil
}

func describeUnreadable(err error, size int64) string {
	if errors.Is(err, boltwalk.ErrEmpty) {
		return err.Error()
	}
	return fmt.Sprintf("%v (%d bytes)", err, size)
}

// catch turns a panic inside bbolt (an assertion on a page, or a fault
// reading a mapped page of a file cut short while open) into an error
// naming the file, so a damaged page never stops the process. It is
// deferred with the previous SetPanicOnFault setting:
//
//	defer s.catch(&err, debug.SetPanicOnFault(true))
func catch(path string, err *error, onFault bool) {
	debug.SetPanicOnFault(onFault)
	if r := recover(); r != nil {
		*err = &DamagedError{Path: path, Problems: []string{fmt.Sprint(r)}}
	}
}

func (s *Store) catch(err *error, onFault bool) {
	debug.SetPanicOnFault(onFault)
	if r := recover(); r != nil {
		*err = &DamagedError{Path: s.path, Problems: []string{fmt.Sprint(r)}}
		s.log.Error("history: damaged page", "file", s.path, "err", r)
	}
}
