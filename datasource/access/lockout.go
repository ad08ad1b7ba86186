package access

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// LockoutPath returns the file beside a users file where its failed logins
// are counted: "plant.users.yaml" → "plant.users.logins.db".
//
// Why beside the users file and not in the history file's audit store: the
// lockout belongs to the users file (its policy and names are there), and
// every process that uses the users file must see the same count, whatever
// history file it has, with history off, and while another process (the
// GUI) holds the history file open, which bbolt allows one process at a
// time. The audit trail still records each failed login.
func LockoutPath(usersFile string) string {
	return strings.TrimSuffix(usersFile, filepath.Ext(usersFile)) + ".logins.db"
}

// lockoutTimeout bounds the wait for another process that has the lockout
// file open (for a few milliseconds per login).
const lockoutTimeout = 3 * time.Second

var failuresBucket = []byte("failures")

// failures counts a name's failed logins in a row.
type failures struct {
	count       int
	lockedUntil time.Time
}

// lockoutFile is the shared count of failed logins: a small bbolt file,
// opened for each login and closed at once, so that processes take turns
// (bbolt locks the file) and none holds it.
type lockoutFile struct{ path string }

// get returns name's failures; a missing file has none.
func (l lockoutFile) get(name string) (f failures, err error) {
	if _, err := os.Stat(l.path); errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	err = l.do(true, func(tx *bolt.Tx) error {
		if b := tx.Bucket(failuresBucket); b != nil {
			f, err = decodeFailures(b.Get([]byte(name)))
		}
		return err
	})
	return f, err
}

// update applies fn to name's failures and stores the result (deleting it
// when it is zero), in one transaction, and returns it.
func (l lockoutFile) update(name string, fn func(*failures)) (f failures, err error) {
	err = l.do(false, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(failuresBucket)
		if err != nil {
			return err
		}
		if f, err = decodeFailures(b.Get([]byte(name))); err != nil {
			f = failures{} // a damaged record starts again rather than lock the name forever
		}
		fn(&f)
		if f.count == 0 && f.lockedUntil.IsZero() {
			return b.Delete([]byte(name))
		}
		return b.Put([]byte(name), encodeFailures(f))
	})
	return f, err
}

// do runs fn in a transaction of the lockout file. A damaged file, on
// which bbolt may panic, is an error.
func (l lockoutFile) do(readOnly bool, fn func(*bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("lockout file %s is damaged (%v): delete it to reset the failed-login counts", l.path, r)
		}
	}()
	db, err := bolt.Open(l.path, 0o600, &bolt.Options{Timeout: lockoutTimeout, ReadOnly: readOnly})
	if err != nil {
		return fmt.Errorf("lockout file %s: %w", l.path, err)
	}
	if readOnly {
		err = db.View(fn)
	} else {
		err = db.Update(fn)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("lockout file %s: %w", l.path, err)
	}
	return nil
}

func encodeFailures(f failures) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(f.count))
	if !f.lockedUntil.IsZero() {
		binary.BigEndian.PutUint64(b[8:], uint64(f.lockedUntil.UnixNano()))
	}
	return b
}

func decodeFailures(b []byte) (failures, error) {
	switch len(b) {
	case 0:
		return failures{}, nil
	case 16:
	default:
		return failures{}, fmt.Errorf("a failed-login record of %d bytes, want 16", len(b))
	}
	f := failures{count: int(binary.BigEndian.Uint64(b) & (1<<31 - 1))}
	if ns := int64(binary.BigEndian.Uint64(b[8:])); ns != 0 {
		f.lockedUntil = time.Unix(0, ns)
	}
	return f, nil
}
