package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/modbus/modbusserve"
	"github.com/vigil-hmi/vigil/datasource/opcua/opcuaserve"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/datasource/sim"
	"github.com/vigil-hmi/vigil/history/audit"
)

// Loopback defaults of `vigil sim`: nothing is reachable from the network
// unless the engineer names another address.
const (
	defaultSimModbus = "127.0.0.1:5020"
	defaultSimOPCUA  = "127.0.0.1:4840"
)

// generateProject writes the project of `vigil sim --generate 100x1000`.
func generateProject(env Env, size string, alarms int, rate time.Duration) int {
	d, t, ok := strings.Cut(size, "x")
	devices, err1 := strconv.Atoi(d)
	tags, err2 := strconv.Atoi(t)
	if !ok || err1 != nil || err2 != nil {
		fmt.Fprintf(env.Stderr, "vigil sim: --generate %q: want DEVICESxTAGS, e.g. 100x1000\n", size)
		return ExitUsage
	}
	err := sim.WriteScaleProject(env.Stdout, sim.ScaleProject{Devices: devices, TagsPerDevice: tags, Alarms: alarms, Rate: rate})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil sim: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

func cmdSim(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "sim", "sim [FILE] [--modbus ADDR] [--opcua ADDR] [--for DURATION] [--history PATH | --no-history] [--log LEVEL]",
		"Serve a project's live tags (default: the embedded demo plant) as a Modbus TCP slave and an\n"+
			"OPC UA server, so Vigil, mbpoll or any OPC UA client can be tried against a real wire.\n"+
			"Both bind to loopback unless another address is given; \"off\" disables one.\n"+
			"Writes through either protocol go through the write path (limits, read-back, audit\n"+
			"trail in the history file, by default NAME-sim.db beside vigil run's); with --no-history\n"+
			"they are refused.")
	mbAddr := fs.String("modbus", defaultSimModbus, "Modbus TCP listen address, or off")
	uaAddr := fs.String("opcua", defaultSimOPCUA, "OPC UA listen address, or off")
	dur := fs.Duration("for", 0, "stop after this long (0: until interrupted)")
	gen := fs.String("generate", "", "write a generated project of DEVICESxTAGS simulated tags to stdout and exit (sizing, docs/sim.md)")
	genAlarms := fs.Int("alarms", 0, "with --generate: the number of hi alarms, spread over the number tags")
	genRate := fs.Duration("rate", time.Second, "with --generate: the scan rate")
	var hist historyFlags
	hist.register(fs)
	var logf logFlag
	logf.register(fs)
	pos, code, done := parse(fs, args)
	if done {
		return code
	}
	if *gen != "" {
		return generateProject(env, *gen, *genAlarms, *genRate)
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
	histPath, err := simHistory(hist, p)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil sim: %v\n", err)
		return ExitFailure
	}
	// Single-operator mode: the clients of a test wire are anonymous.
	rt, err := Start(ctx, p, RuntimeOptions{HistoryPath: histPath, Logger: log})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil sim: %v\n", err)
		return ExitFailure
	}
	if histPath != "" {
		fmt.Fprintf(env.Stderr, "vigil sim: history and the audit trail of writes in %s\n", histPath)
	}
	code = serveSim(ctx, env, rt, *mbAddr, *uaAddr)
	if err := rt.Stop(); err != nil && code == ExitOK {
		fmt.Fprintf(env.Stderr, "vigil sim: %v\n", err)
		code = ExitFailure
	}
	return code
}

// simHistory is the history file of `vigil sim`: --history, none with
// --no-history, else the project's default file with "-sim" added, so that
// a sim and a `vigil run` of the same project do not contend for one file.
func simHistory(h historyFlags, p *project.Project) (string, error) {
	if h.off || h.path != "" {
		return h.resolve(p)
	}
	def, err := defaultHistoryPath(p)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(def, ".db") + "-sim.db", nil
}

// serveSim serves rt's tags until ctx ends.
func serveSim(ctx context.Context, env Env, rt *Runtime, mbAddr, uaAddr string) int {
	if mbAddr != "off" && mbAddr != "" {
		m := modbusserve.NewMap(rt.Project.Tags)
		srv, err := modbusserve.Serve(mbAddr, m, newEngineSource(rt, audit.ViaModbus, "modbus-client"))
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
		srv, err := opcuaserve.New(rt.Project.Tags, newEngineSource(rt, audit.ViaOPCUA, "opcua-client"), opcuaserve.Options{Addr: uaAddr, Clock: rt.Clock})
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

// engineSource serves the runtime's table to one server of `vigil sim`
// and sends its clients' writes through the write path, so a write over
// Modbus or OPC UA meets the same permission, limits, read-back and audit
// trail as one from the GUI. Its clients are anonymous: they write as
// access.Remote user who (in single-operator mode, as the operator may).
type engineSource struct {
	rt  *Runtime
	who access.Remote
	via string // audit.ViaModbus or audit.ViaOPCUA
}

// newEngineSource returns the source of the server via ("Modbus", "OPC UA").
func newEngineSource(rt *Runtime, via, client string) engineSource {
	return engineSource{rt: rt, via: via, who: access.Remote{Dir: rt.Users, Name: client, Station: client}}
}

func (s engineSource) Get(id datasource.TagID) datasource.Sample { return s.rt.Table.Get(id) }

func (s engineSource) Write(ctx context.Context, id datasource.TagID, v datasource.Value) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	name := fmt.Sprintf("#%d", id) // no tag has it: the write path refuses and records it
	if int(id) < len(s.rt.Project.Tags) {
		name = s.rt.Project.Tags[id].Name
	}
	_, err := s.rt.Writes.Write(ctx, s.who, audit.Request{Tag: name, Value: v, Reason: "written by a " + s.via + " client of vigil sim", Via: s.via})
	return err
}
