package cli

// The tags verbs: vigil tags export|import, the spreadsheet door to a
// project's tags (package datasource/tagcsv, docs/tags-csv.md).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/datasource/tagcsv"
)

// cmdTags is `vigil tags export|import`. It takes its writers directly so
// that it can be wired as func(ctx, env, args) { return cmdTags(ctx, args,
// env.Stdout, env.Stderr) }.
func cmdTags(ctx context.Context, env Env, args []string) int {
	stdout, stderr := env.Stdout, env.Stderr
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: vigil tags export FILE [--out tags.csv]")
		fmt.Fprintln(w, "       vigil tags import FILE tags.csv [--merge|--replace] [--dry-run] [--device NAME]")
		fmt.Fprintln(w, "\nExport a project's tags and alarms as CSV for a spreadsheet, and import such a CSV")
		fmt.Fprintln(w, "(or a KEPServerEX or Ignition tag export) back into the project file.")
		fmt.Fprintln(w, "Columns: docs/tags-csv.md. Each sub-command takes --help.")
	}
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	switch args[0] {
	case "export":
		return cmdTagsExport(ctx, env, args[1:])
	case "import":
		return cmdTagsImport(ctx, env, args[1:])
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return ExitOK
	}
	fmt.Fprintf(stderr, "vigil tags: unknown sub-command %q\n\n", args[0])
	usage(stderr)
	return ExitUsage
}

// readProjectFile reads a project file, or the embedded demo for DemoName.
func readProjectFile(path string) (name string, data []byte, err error) {
	if path == DemoName {
		return assets.DemoFile, assets.Demo, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close() // read-only: a close error cannot lose data
	data, err = io.ReadAll(io.LimitReader(f, project.MaxFileSize+1))
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", path, err)
	}
	return path, data, nil
}

func cmdTagsExport(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "tags export", "tags export FILE [--out tags.csv]",
		"Write every tag of the project FILE (or \"demo\") as CSV: a header row, then one row per tag\n"+
			"with one column per property and per limit-alarm field (docs/tags-csv.md). A property the\n"+
			"file leaves out is an empty cell. Without --out the CSV goes to standard output.")
	out := fs.String("out", "", "CSV file to write (replaced atomically); standard output when empty or -")
	semicolon := fs.Bool("semicolon", false, "separate cells with ';' (spreadsheets set to a European locale)")
	bom := fs.Bool("bom", false, "start the file with a UTF-8 byte order mark (Excel then reads it as UTF-8)")
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	name, data, err := readProjectFile(pos[0])
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil tags export: %v\n", err)
		return ExitFailure
	}
	opts := tagcsv.ExportOptions{BOM: *bom}
	if *semicolon {
		opts.Comma = ';'
	}
	var b bytes.Buffer
	if err := tagcsv.Export(&b, name, data, opts); err != nil {
		fmt.Fprintf(env.Stderr, "vigil tags export: %v\n", err)
		return ExitFailure
	}
	if *out == "" || *out == "-" {
		if _, err := env.Stdout.Write(b.Bytes()); err != nil {
			fmt.Fprintf(env.Stderr, "vigil tags export: %v\n", err)
			return ExitFailure
		}
		return ExitOK
	}
	if err := tagcsv.WriteFile(*out, b.Bytes()); err != nil {
		fmt.Fprintf(env.Stderr, "vigil tags export: %v\n", err)
		return ExitFailure
	}
	fmt.Fprintf(env.Stdout, "%s: %d tags written to %s\n", pos[0], bytes.Count(b.Bytes(), []byte("\n"))-1, *out)
	return ExitOK
}

func cmdTagsImport(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "tags import", "tags import FILE tags.csv [--merge|--replace] [--dry-run] [--device NAME]",
		"Update the tags of project FILE from a CSV: a Vigil export (docs/tags-csv.md), a KEPServerEX\n"+
			"tag export or an Ignition 7.9 tag export (those need --device). --merge (the default) adds and\n"+
			"changes the tags the CSV lists; --replace also removes the tags it does not list. Columns the\n"+
			"CSV lacks keep the file's values; tags that do not change keep their bytes and comments.\n"+
			"Nothing is written unless every row is valid and the new file passes vigil check; the file\n"+
			"is then replaced atomically. Bad rows are listed as tags.csv:ROW: column: message.")
	merge := fs.Bool("merge", false, "add and change the listed tags, keep the others (default)")
	replace := fs.Bool("replace", false, "make the project's tags exactly the CSV's: also remove the tags it does not list")
	dryRun := fs.Bool("dry-run", false, "print what would be added, changed and removed; write nothing")
	device := fs.String("device", "", "device the tags of a Kepware or Ignition list are read from; for a Vigil CSV, the device of new tags without one")
	format := fs.String("format", "auto", "CSV format: auto (from the header), vigil, kepware or ignition")
	pos, code, done := parseN(fs, args, 2)
	if done {
		return code
	}
	if *merge && *replace {
		fmt.Fprintln(env.Stderr, "vigil tags import: give --merge or --replace, not both")
		return ExitUsage
	}
	fmtVal, ok := tagcsv.ParseFormat(*format)
	if !ok {
		fmt.Fprintf(env.Stderr, "vigil tags import: --format %q: want auto, vigil, kepware or ignition\n", *format)
		return ExitUsage
	}
	if pos[0] == DemoName {
		fmt.Fprintln(env.Stderr, "vigil tags import: the embedded demo cannot be changed; write it to a file first: vigil init plant.yaml")
		return ExitUsage
	}
	_, data, err := readProjectFile(pos[0])
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil tags import: %v\n", err)
		return ExitFailure
	}
	csvFile, err := os.Open(pos[1])
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil tags import: %v\n", err)
		return ExitFailure
	}
	defer csvFile.Close() // read-only: a close error cannot lose data
	opts := tagcsv.Options{Format: fmtVal, Device: *device}
	if *replace {
		opts.Mode = tagcsv.Replace
	}
	res, err := tagcsv.Import(pos[0], data, pos[1], csvFile, opts)
	if err != nil {
		var rows tagcsv.RowErrors
		if errors.As(err, &rows) {
			fmt.Fprintf(env.Stderr, "%v\nvigil tags import: %d problem(s); %s was not changed\n", err, len(rows), pos[0])
		} else {
			fmt.Fprintf(env.Stderr, "vigil tags import: %v\n", err)
		}
		return ExitFailure
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	for _, name := range res.Added {
		fmt.Fprintf(env.Stdout, "add     %s\n", name)
	}
	for _, c := range res.Changed {
		fmt.Fprintf(env.Stdout, "change  %s: %s\n", c.Tag, strings.Join(c.Columns, ", "))
	}
	for _, name := range res.Removed {
		fmt.Fprintf(env.Stdout, "remove  %s\n", name)
	}
	summary := fmt.Sprintf("%s (%s) -> %s: %d added, %d changed, %d removed, %d unchanged",
		pos[1], res.Format, pos[0], len(res.Added), len(res.Changed), len(res.Removed), res.Unchanged)
	switch {
	case !res.Modified():
		fmt.Fprintf(env.Stdout, "%s; nothing to write\n", summary)
		return ExitOK
	case *dryRun:
		if err := checkAddresses(res.Project); err != nil {
			fmt.Fprintf(env.Stderr, "%v\nvigil tags import: the imported tags fail the driver check\n", err)
			return ExitFailure
		}
		fmt.Fprintf(env.Stdout, "%s; dry run, nothing written\n", summary)
		return ExitOK
	}
	// The driver check of vigil check: a Modbus address that does not
	// parse is refused now, not when the plant is started.
	if err := checkAddresses(res.Project); err != nil {
		fmt.Fprintf(env.Stderr, "%v\nvigil tags import: the imported tags fail the driver check; %s was not changed\n", err, pos[0])
		return ExitFailure
	}
	if err := tagcsv.WriteFile(pos[0], res.Data); err != nil {
		fmt.Fprintf(env.Stderr, "vigil tags import: %v\n", err)
		return ExitFailure
	}
	fmt.Fprintln(env.Stdout, summary)
	return ExitOK
}
