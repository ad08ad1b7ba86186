package cli

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
	"github.com/vigil-hmi/vigil/history/audit"
	"github.com/vigil-hmi/vigil/history/audit/audittest"
)

// benchRuntime is the part of a Runtime the write path's entry points use,
// over the shared test bench.
func benchRuntime(b *audittest.Bench) *Runtime {
	return &Runtime{Project: b.Project, Table: b.Table, Engine: b.Engine, Users: b.Users, Auditor: b.Auditor, Writes: b.Path}
}

func writeCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestEveryEntryPointRunsTheSameWritePath holds `vigil run --commands`, a
// Sparkplug DCMD from a viewing station and the Modbus and OPC UA servers
// of `vigil sim` to the cases of the one write path (the faceplate's
// writer runs them in ui/guard): the same refusals, each in the audit
// trail with the value before, the value asked and the reason.
func TestEveryEntryPointRunsTheSameWritePath(t *testing.T) {
	t.Run("console", func(t *testing.T) {
		audittest.Run(t, audit.ViaConsole, func(t *testing.T, b *audittest.Bench, c audittest.Case) error {
			con := &console{rt: benchRuntime(b), out: io.Discard, session: b.Login(t, c.User)}
			_, err := con.command(writeCtx(t), "write "+c.Tag+" "+c.Text+" shared case")
			return err
		})
	})
	t.Run("sparkplug DCMD", func(t *testing.T) {
		audittest.Run(t, audit.ViaStation, func(t *testing.T, b *audittest.Bench, c audittest.Case) error {
			tag := b.Tag(c.Tag) // nil for the unknown tag, as the edge node passes it
			_, err := stationWriter{rt: benchRuntime(b), node: "bench"}.Write(writeCtx(t),
				sparkplug.WriteCommand{Tag: tag, Name: c.Tag, Value: c.Value, User: c.User, Reason: "shared case"})
			return err
		})
	})
	for _, via := range []string{audit.ViaModbus, audit.ViaOPCUA} {
		t.Run("vigil sim "+via, func(t *testing.T) {
			audittest.Run(t, via, func(t *testing.T, b *audittest.Bench, c audittest.Case) error {
				id := datasource.TagID(len(b.Tags) + 3) // the servers map only known tags; the source must still refuse
				if tag := b.Tag(c.Tag); tag != nil {
					id = tag.ID
				}
				src := engineSource{rt: benchRuntime(b), via: via, who: access.Remote{Dir: b.Users, Name: c.User, Station: via + " client"}}
				return src.Write(writeCtx(t), id, c.Value)
			})
		})
	}
}
