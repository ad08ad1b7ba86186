//go:build unix

package history

import (
	"errors"
	"os"
	"syscall"
	"time"
)

var errWouldBlock = errors.New("file is locked")

// lockShared takes a shared flock on f, the lock bbolt's readers take, so a
// writer (which takes it exclusive) cannot change the file meanwhile. It
// retries until timeout. The lock goes with f's Close.
func lockShared(f *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if time.Now().After(deadline) {
			return errWouldBlock
		}
		time.Sleep(50 * time.Millisecond)
	}
}
