//go:build !unix

package history

import (
	"errors"
	"os"
	"time"
)

var errWouldBlock = errors.New("file is locked")

// lockShared does nothing where flock is missing: bbolt's own lock (taken
// right after the walk) still keeps two writers apart.
func lockShared(*os.File, time.Duration) error { return nil }
