//go:build !linux

package history

import "go.etcd.io/bbolt"

// dropMapped does nothing here: on Linux it takes the file's pages out of
// the process's resident set (unmap_linux.go).
func dropMapped(*bbolt.DB) error { return nil }
