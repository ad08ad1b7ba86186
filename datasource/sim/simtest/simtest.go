// Package simtest runs a project on the simulated plant for tests of the
// packages above the engine (the write path, audit, faceplates): a real
// poll engine on the real clock, its table published, stopped when the test
// ends.
package simtest

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/datasource/sim"
)

// Plant is a running project on the simulated plant.
type Plant struct {
	Project *project.Project
	Table   *datasource.Table
	Engine  *poll.Engine
}

// Start parses yaml (a project whose devices use driver sim), runs its
// engine until the test ends, and returns once the first tag has a
// reading (or after 10 s).
func Start(tb testing.TB, yaml string) *Plant {
	tb.Helper()
	p, err := project.Parse("plant.yaml", []byte(yaml))
	if err != nil {
		tb.Fatal(err)
	}
	clk := clockwork.NewRealClock()
	pl := &Plant{Project: p, Table: datasource.NewTable(p.Tags)}
	pl.Engine, err = poll.New(poll.Config{Devices: p.Devices, Tags: p.Tags, Table: pl.Table,
		Drivers: map[string]poll.Factory{"sim": sim.Factory(clk)}, Clock: clk})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pl.Engine.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && pl.Table.Get(0).Time.IsZero(); time.Sleep(10 * time.Millisecond) {
	}
	return pl
}
