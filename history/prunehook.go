package history

import (
	"context"
	"time"
)

// PrunedEvents describes the journal events retention is about to delete.
type PrunedEvents struct {
	Count  int       // how many
	Before time.Time // every one is older than this
	Last   Event     // the newest of them
}

// OnPruneEvents sets fn to be called before retention (EventMaxAge)
// deletes journal events, with what it will delete; nil removes it. The
// audit chain uses it to append a marker saying what was removed, so that
// a chain whose oldest records are gone can tell retention from deletion.
// When fn fails, nothing is deleted this time and Prune returns the error.
// fn runs on the Store's background goroutine (or Prune's caller) and may
// append events.
func (s *Store) OnPruneEvents(fn func(ctx context.Context, p PrunedEvents) error) {
	s.mu.Lock()
	s.pruneHook = fn
	s.mu.Unlock()
}
