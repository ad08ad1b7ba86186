package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/drivers"
	"github.com/vigil-hmi/vigil/datasource/project"
)

// DemoName is how the embedded demo project is named in messages and on the
// command line (`vigil check demo`).
const DemoName = "demo"

// usersPath is the users file of the project at path; the embedded demo
// has none and runs in single-operator mode.
func usersPath(path string) string {
	if path == DemoName {
		return ""
	}
	return access.UsersPath(path)
}

// loadProject loads a project file, or the embedded demo for DemoName, and
// checks every tag address with its driver (no I/O). Its error lists every
// problem, one "file:line: field: message" per line.
func loadProject(path string) (*project.Project, error) {
	// Loading makes a lot of short-lived garbage (the YAML node tree, about
	// 4 KB per tag); collecting it less often while loading saves a fifth
	// of the CPU time of a 100,000-tag project, for a peak no higher than a
	// few more collections would leave resident anyway.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	var (
		p   *project.Project
		err error
	)
	if path == DemoName {
		p, err = project.ParsePartial(assets.DemoFile, assets.Demo)
	} else {
		p, err = project.LoadPartial(path)
	}
	if p == nil {
		return nil, err
	}
	// The drivers check the addresses of a project with errors too, so
	// that a tag's address error shows with its other errors, not after
	// they are fixed.
	var loadErrs project.Errors
	errors.As(err, &loadErrs)
	addrErrs := checkPartial(p, loadErrs)
	if err == nil && addrErrs == nil {
		return p, nil
	}
	return nil, mergeByLine(err, addrErrs)
}

// driverInputs are the tag fields a driver's check reads besides the
// address: when the loader refused one of them, the tag holds a default
// there, and what the driver says about it would be noise.
var driverInputs = []string{"type", "length", "word_order", "scaling"}

// spurious reports whether err, a driver's verdict on a tag of a project
// with loader errors loadErrs, follows from one of those: an error about a
// field the loader refused, or about anything but the address of a tag
// whose driver inputs the loader refused; or a device's error where the
// loader already found the device's settings wrong.
func spurious(err error, loadErrs project.Errors) bool {
	if len(loadErrs) == 0 {
		return false
	}
	var te *datasource.TagError
	if errors.As(err, &te) && te.Tag != nil {
		for _, le := range loadErrs {
			rest, ok := strings.CutPrefix(le.Field, "tags["+te.Tag.Name+"].")
			if !ok {
				continue
			}
			if rest == te.Field || (te.Field != "address" && slices.Contains(driverInputs, rest)) {
				return true
			}
		}
		return false
	}
	var de *deviceError
	if errors.As(err, &de) {
		for _, le := range loadErrs {
			if strings.HasPrefix(le.Field, "devices["+de.device+"]") {
				return true
			}
		}
	}
	return false
}

// deviceError is a driver's refusal of a device's settings.
type deviceError struct {
	device string
	err    error
}

func (e *deviceError) Error() string { return e.err.Error() }
func (e *deviceError) Unwrap() error { return e.err }

// mergeByLine joins the loader's errors and the drivers' into one list in
// file order, each line "file:line: ...". Errors without a line come last.
func mergeByLine(errs ...error) error {
	type item struct {
		line int
		err  error
	}
	var items []item
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case project.Errors:
			for _, pe := range e {
				items = append(items, item{pe.Pos.Line, pe})
			}
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		default:
			items = append(items, item{lineOf(err), err})
		}
	}
	for _, err := range errs {
		walk(err)
	}
	slices.SortStableFunc(items, func(a, b item) int {
		switch {
		case a.line == b.line:
			return 0
		case a.line == 0:
			return 1
		case b.line == 0:
			return -1
		}
		return a.line - b.line
	})
	out := make([]error, len(items))
	for i, it := range items {
		out[i] = it.err
	}
	return errors.Join(out...)
}

// lineOf returns the project-file line an error is reported at, 0 if none.
func lineOf(err error) int {
	var te *datasource.TagError
	if errors.As(err, &te) && te.Tag != nil {
		if te.Field == "address" && te.Tag.AddressLine != 0 {
			return int(te.Tag.AddressLine)
		}
		return te.Tag.Pos.Line
	}
	return 0
}

// checkAddresses asks each device's driver to plan the device's tags, which
// validates addresses and types without connecting.
func checkAddresses(p *project.Project) error { return checkPartial(p, nil) }

// checkPartial is checkAddresses for a project compiled with loader errors
// (loadErrs): it leaves out what follows from those (spurious).
func checkPartial(p *project.Project, loadErrs project.Errors) error {
	factories := drivers.Factories(drivers.Options{Clock: clockwork.NewFakeClock()})
	var errs []error
	for _, dev := range p.Devices {
		newDriver, ok := factories[dev.Driver]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: devices[%s].driver: driver %q is not available in this build", dev.Pos, dev.Name, dev.Driver))
			continue
		}
		drv, err := newDriver(dev)
		if err != nil {
			if err := (&deviceError{dev.Name, fmt.Errorf("%s: devices[%s]: %w", dev.Pos, dev.Name, err)}); !spurious(err, loadErrs) {
				errs = append(errs, err)
			}
			continue
		}
		var tags []*datasource.Tag
		for _, t := range p.TagsOf(dev.Name) {
			if !t.System {
				tags = append(tags, t)
			}
		}
		if _, err := drv.Prepare(tags); err != nil {
			errs = append(errs, refusals(err, loadErrs)...)
		}
		_ = drv.Close() // never connected; Close only releases what New made
	}
	return errors.Join(errs...)
}

// refusals flattens a Prepare error into its refusals, leaving out the
// spurious ones.
func refusals(err error, loadErrs project.Errors) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, refusals(e, loadErrs)...)
		}
		return out
	}
	if spurious(err, loadErrs) {
		return nil
	}
	return []error{err}
}

// printErrors writes each line of a (joined) error on its own line.
func printErrors(w io.Writer, err error) {
	fmt.Fprintln(w, err)
}

func cmdCheck(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "check", "check FILE",
		"Validate a project file (or \"demo\" for the embedded demo): its YAML, every field and\n"+
			"every tag address. Prints every error as file:line: field: message and exits 1 if any.")
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	p, err := loadProject(pos[0])
	if err != nil {
		printErrors(env.Stderr, err)
		return ExitFailure
	}
	alarms, tags := 0, 0
	for _, t := range p.Tags {
		if !t.System {
			tags++
		}
		alarms += len(t.Alarms)
	}
	fmt.Fprintf(env.Stdout, "%s: ok: project %q, %s, %s, %s\n", pos[0], p.Name, counted(len(p.Devices), "device"), counted(tags, "tag"), counted(alarms, "alarm"))
	if r := p.Retention; r.Samples == 0 && r.MaxSize == 0 {
		// Not an error (a laptop's trial run needs none), but a station
		// without it fills its disk: said before it is deployed.
		fmt.Fprintf(env.Stdout, "%s: note: no retention section: the history file keeps every sample and grows until the disk is full (docs/project-file.md#retention)\n", pos[0])
	}
	return ExitOK
}

// counted is "1 device", "2 devices".
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
