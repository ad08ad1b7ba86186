package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus/modbusserve"
	"github.com/vigil-hmi/vigil/datasource/opcua/opcuaserve"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// Loopback defaults of `vigil sim`: nothing is reachable from the network
// unless the engineer names another address.
const (
	defaultSimModbus = "127.0.0.1:5020"
	defaultSimOPCUA  = "127.0.0.1:4840"
)

func cmdSim(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "sim", "sim [FILE] [--modbus ADDR] [--opcua ADDR] [--for DURATION]",
		"Serve a project's live tags (default: the embedded demo plant) as a Modbus TCP slave and an\n"+
			"OPC UA server, so Vigil, mbpoll or any OPC UA client can be tried against a real wire.\n"+
			"Both bind to loopback unless another address is given; \"off\" disables one.\n"+
			"Writes through either protocol go through the engine's write path (limits, read-back).")
	mbAddr := fs.String("modbus", defaultSimModbus, "Modbus TCP listen address, or off")
	uaAddr := fs.String("opcua", defaultSimOPCUA, "OPC UA listen address, or off")
	dur := fs.Duration("for", 0, "stop after this long (0: until interrupted)")
	var logf logFlag
	logf.register(fs)
	pos, code, done := parse(fs, args)
	if done {
		return code
	}
	if len(pos) > 1 {
		wantArgs(fs, pos, 1)
		return ExitUsage
	}
	path := DemoName
	if len(pos) == 1 {
		path = pos[0]
	}
	log, restore := runLogger(&env, logf)
	defer restore()
	p, err := loadProject(path)
	if err != nil {
		printErrors(env.Stderr, err)
		return ExitFailure
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	rt, err := Start(ctx, p, RuntimeOptions{Logger: log})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil sim: %v\n", err)
		return ExitFailure
	}
	code = serveSim(ctx, env, rt, *mbAddr, *uaAddr)
	if err := rt.Stop(); err != nil && code == ExitOK {
		fmt.Fprintf(env.Stderr, "vigil sim: %v\n", err)
		code = ExitFailure
	}
	return code
}

// serveSim serves rt's tags until ctx ends.
func serveSim(ctx context.Context, env Env, rt *Runtime, mbAddr, uaAddr string) int {
	src := engineSource{rt: rt}
	if mbAddr != "off" && mbAddr != "" {
		m := modbusserve.NewMap(rt.Project.Tags)
		srv, err := modbusserve.Serve(mbAddr, m, src)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil sim: modbus: %v\n", err)
			return ExitFailure
		}
		defer srv.Close()
		fmt.Fprintf(env.Stdout, "Modbus TCP slave on %s (unit any); register map:\n", srv.Addr())
		if err := m.Print(env.Stdout); err != nil {
			fmt.Fprintf(env.Stderr, "vigil sim: %v\n", err)
			return ExitFailure
		}
	}
	if uaAddr != "off" && uaAddr != "" {
		srv, err := opcuaserve.New(rt.Project.Tags, src, opcuaserve.Options{Addr: uaAddr, Clock: rt.Clock})
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil sim: opcua: %v\n", err)
			return ExitFailure
		}
		if err := srv.Start(ctx); err != nil {
			fmt.Fprintf(env.Stderr, "vigil sim: opcua: %v\n", err)
			return ExitFailure
		}
		defer srv.Close()
		fmt.Fprintf(env.Stdout, "OPC UA server on %s (security None); tags as ns=%d;s=<tag name>\n", srv.Endpoint(), srv.Namespace())
	}
	fmt.Fprintln(env.Stdout, "serving; Ctrl+C stops")
	<-ctx.Done()
	return ExitOK
}

// engineSource serves the runtime's table and sends writes through the
// engine's write path, so a write over Modbus or OPC UA meets the same
// limits and read-back as one from the GUI.
type engineSource struct{ rt *Runtime }

func (s engineSource) Get(id datasource.TagID) datasource.Sample { return s.rt.Table.Get(id) }

func (s engineSource) Write(ctx context.Context, id datasource.TagID, v datasource.Value) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := s.rt.Engine.Write(ctx, poll.WriteRequest{Tag: id, Value: v, User: "sim-client"})
	return err
}
