package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
	"github.com/vigil-hmi/vigil/datasource/project"
)

// cmdProbe is `vigil probe modbus URL`: it reads a range of registers (or
// bits) from a Modbus device and prints them raw and decoded in every type
// and word order side by side, so a commissioning engineer can see which
// type, order and address the device really uses.
func cmdProbe(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "probe", "probe modbus tcp://HOST:PORT|rtu:///dev/ttyUSB0|rtuovertcp://HOST:PORT [--unit 1] [--address 40001] [--count 4]",
		"Read --count registers (or coils/discrete inputs) from --address and print each raw register\n"+
			"(hex, unsigned, signed, binary) and the decodings starting at each register in every data\n"+
			"type and word order side by side (ABCD CDAB BADC DCBA). Addresses are Modicon references\n"+
			"(40001 is the first holding register, one-based) or zero-based ones (hr:0); see docs/modbus.md.")
	unit := fs.Int("unit", 1, "unit (slave) ID, 0..247")
	address := fs.String("address", "40001", "first register or bit: 40001, 30001, 00001, 10001, hr:0, ir:0, co:0, di:0")
	count := fs.Int("count", 4, "number of registers (1..125) or bits (1..2000)")
	timeout := fs.Duration("timeout", time.Second, "request timeout")
	baud := fs.Int("baud", modbus.DefaultBaud, "rtu: baud rate")
	parity := fs.String("parity", "E", "rtu: parity N, E or O")
	dataBits := fs.Int("data-bits", 8, "rtu: data bits")
	stopBits := fs.Int("stop-bits", 1, "rtu: stop bits 1 or 2")
	pos, code, done := parseN(fs, args, 2)
	if done {
		return code
	}
	if pos[0] != "modbus" {
		fmt.Fprintf(env.Stderr, "vigil probe: unknown protocol %q (only modbus; for OPC UA use vigil browse)\n", pos[0])
		return ExitUsage
	}
	a, err := modbus.ParseAddress(*address)
	if err != nil || a.Bit != modbus.NoBit {
		if err == nil {
			err = errors.New("give the register, not a bit of it")
		}
		fmt.Fprintf(env.Stderr, "vigil probe: --address: %v\n", err)
		return ExitUsage
	}
	if *count < 1 || *count > a.Table.MaxQuantity() || int(a.Offset)+*count > 65536 {
		fmt.Fprintf(env.Stderr, "vigil probe: --count %d: one read of %ss takes 1..%d within offsets 0..65535\n", *count, a.Table, a.Table.MaxQuantity())
		return ExitUsage
	}
	if *unit < 0 || *unit > 247 {
		fmt.Fprintf(env.Stderr, "vigil probe: --unit %d: a unit ID is 0..247\n", *unit)
		return ExitUsage
	}
	dev := &datasource.Device{Name: "probe", Driver: "modbus", Address: pos[1], Timeout: *timeout,
		Settings: modbus.Settings{Unit: uint8(*unit), Baud: *baud, Parity: *parity, DataBits: *dataBits, StopBits: *stopBits}}
	d, err := modbus.New(dev)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil probe: %v\n", err)
		return ExitUsage
	}
	if err := d.Connect(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "vigil probe: %v\n", err)
		return ExitFailure
	}
	defer d.Close()
	data, err := d.ReadRange(ctx, a.Table, int(a.Offset), *count)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil probe: %v\n", err)
		return ExitFailure
	}
	if err := printProbe(env.Stdout, pos[1], *unit, a, *count, data); err != nil {
		fmt.Fprintf(env.Stderr, "vigil probe: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

// printProbe writes the raw dump and the decoding table: modbus.DecodeDump's
// table, the one the GUI's register inspector shows.
func printProbe(w io.Writer, url string, unit int, a modbus.Address, count int, data []byte) error {
	d, err := modbus.DecodeDump(a, count, data)
	if err != nil {
		return err
	}
	last := d.Last()
	fmt.Fprintf(w, "%s unit %d: %ss %s..%s (%s..%s, zero-based), %d read\n\n", url, unit, a.Table, a.Modicon(), last.Modicon(), a, last, count)
	row := func(tw io.Writer, cells []string) { fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t") }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row(tw, modbus.RawColumns(a.Table))
	for _, r := range d.Raw {
		row(tw, r)
	}
	if err := tw.Flush(); err != nil || a.Table.IsBits() {
		return err
	}
	fmt.Fprintf(w, "\nDecodings starting at each register (a type needing more registers than remain is left out):\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row(tw, modbus.DecodingColumns())
	for _, r := range d.Decodings {
		row(tw, r.Cells())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "\n%s\n", d.Strings())
	return err
}

// cmdPlan is `vigil plan FILE`: it prints the read requests the Modbus
// driver plans for every device and scan class of a project, and the total
// requests per cycle, without connecting to anything.
func cmdPlan(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "plan", "plan FILE",
		"Print the Modbus request plan of each device and scan class of a project file: function code,\n"+
			"start, count and the tags each read serves, and the requests per cycle. No device is contacted.")
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	p, err := project.Load(pos[0])
	if err != nil {
		printErrors(env.Stderr, err)
		return ExitFailure
	}
	errs := printPlan(env.Stdout, p)
	if errs != nil {
		printErrors(env.Stderr, errs)
		return ExitFailure
	}
	return ExitOK
}

// printPlan writes the plan of every Modbus device of p, one section per
// scan class (the engine plans and reads each scan class on its own), and
// returns the tag and device errors it met.
func printPlan(w io.Writer, p *project.Project) error {
	var errs []error
	total, tags := 0, 0
	var perSecond float64
	for _, dev := range p.Devices {
		if dev.Driver != "modbus" {
			fmt.Fprintf(w, "device %s: driver %s, no Modbus plan\n\n", dev.Name, dev.Driver)
			continue
		}
		d, err := modbus.New(dev)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: devices[%s]: %w", dev.Pos, dev.Name, err))
			continue
		}
		lim := d.Limits()
		fmt.Fprintf(w, "device %s: %s unit %d, max %d registers / %d bits per read, max gap %d\n",
			dev.Name, dev.Address, modbus.SettingsOf(dev).Unit, lim.MaxRegisters, lim.MaxBits, lim.MaxGap)
		byClass := map[string][]*datasource.Tag{}
		for _, t := range p.TagsOf(dev.Name) {
			if !t.System {
				byClass[t.ScanClass] = append(byClass[t.ScanClass], t)
			}
		}
		for _, sc := range dev.ScanClasses {
			ts := byClass[sc.Name]
			if len(ts) == 0 {
				continue
			}
			plan, err := d.PreparePlan(ts)
			if err != nil {
				errs = append(errs, err)
			}
			reqs := plan.Requests()
			fmt.Fprintf(w, "  scan class %s (%v): %d tags in %d requests per cycle\n", sc.Name, sc.Rate, len(ts), len(reqs))
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "    FC\tSTART\tCOUNT\tTAGS")
			for _, r := range reqs {
				start := modbus.Address{Table: r.Table, Offset: uint16(r.Start), Bit: modbus.NoBit}
				names := make([]string, len(r.Tags))
				for i, t := range r.Tags {
					names[i] = t.Name
				}
				fmt.Fprintf(tw, "    %d\t%s (%s)\t%d\t%s\n", r.Function, start.Modicon(), start, r.Count, strings.Join(names, " "))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			total += len(reqs)
			tags += len(ts)
			if sc.Rate > 0 {
				perSecond += float64(len(reqs)) / sc.Rate.Seconds()
			}
		}
		_ = d.Close() // never connected
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "total: %d requests per cycle for %d Modbus tags (%.1f requests/s at the scan rates)\n", total, tags, perSecond)
	return errors.Join(errs...)
}
