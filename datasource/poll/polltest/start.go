package polltest

import (
	"context"
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// Start builds an engine from cfg and runs it until the test ends; the
// cleanup waits for Run to return, so goleak sees no engine goroutine. A
// nil cfg.Table is a new table of cfg.Tags.
func Start(tb testing.TB, cfg poll.Config) *poll.Engine {
	tb.Helper()
	if cfg.Table == nil {
		cfg.Table = datasource.NewTable(cfg.Tags)
	}
	eng, err := poll.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Error(err)
		}
	})
	return eng
}
