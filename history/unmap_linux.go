//go:build linux

package history

import (
	"syscall"

	"go.etcd.io/bbolt"
)

// dropMapped takes the file's pages out of the process's resident set
// (madvise MADV_DONTNEED over bbolt's read-only shared memory map of the
// file). bbolt reads every page through that map, and a page read once
// stays counted in the process's RSS for as long as the kernel leaves it
// there: a 100,000-tag run's RSS grew by the file's index pages, which
// every flush reads and rewrites at new places (390 MB of the file counted
// after 35 minutes). The pages stay in the kernel's page cache, which is
// where they were anyway; the next read maps one again (a minor fault).
// The contents cannot change: the map is of the file, read-only.
//
// It runs inside a read transaction, which holds off bbolt's remapping of
// the file (a remap waits for every read transaction to end), so the
// address range is the map's for the whole call.
func dropMapped(db *bbolt.DB) error {
	return db.View(func(tx *bbolt.Tx) error {
		data, size := db.Info().Data, tx.Size()
		if data == 0 || size <= 0 {
			return nil
		}
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, data, uintptr(size), syscall.MADV_DONTNEED); e != 0 {
			return e
		}
		return nil
	})
}
