package tagcsv

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project"
)

// Mode says what an import does with the project's tags that the CSV does
// not list.
type Mode uint8

const (
	// Merge keeps them: the CSV adds tags and changes the ones it names.
	Merge Mode = iota
	// Replace removes them: afterwards the project has exactly the CSV's
	// tags (the ones it had keep their place in the file).
	Replace
)

// Format is the kind of tag list a CSV holds.
type Format uint8

const (
	FormatAuto     Format = iota // from the header row
	FormatVigil                  // Vigil's own columns (Header)
	FormatKepware                // a KEPServerEX tag export
	FormatIgnition               // an Ignition 7.9 tag export
)

var formatNames = [...]string{"auto", "vigil", "kepware", "ignition"}

// String returns "auto", "vigil", "kepware" or "ignition".
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "format?"
}

// ParseFormat returns the Format named s (as String prints it).
func ParseFormat(s string) (Format, bool) {
	for i, n := range formatNames {
		if strings.EqualFold(n, s) {
			return Format(i), true
		}
	}
	return FormatAuto, false
}

// Options tune an import.
type Options struct {
	Mode   Mode
	Format Format
	// Device is the device the tags of a Kepware or Ignition list are read
	// from (required for those). For a Vigil CSV it is the device of new
	// tags whose device cell is empty.
	Device string
}

// Change is one tag an import changes, with the columns that changed.
type Change struct {
	Tag     string
	Columns []string
}

// Result is what an import would do, and the project file it would write.
type Result struct {
	Data      []byte           // the new project file; the input itself when nothing changes
	Project   *project.Project // Data compiled; nil when nothing changes
	Format    Format           // the format read
	Added     []string         // new tags, in CSV order
	Changed   []Change         // changed tags, in CSV order
	Removed   []string         // removed tags (Replace), in file order
	Unchanged int              // tags the CSV lists as the file has them
	Warnings  []string         // "tags.csv:ROW: column: message": values left out of a migrated tag
}

// Modified reports whether the import changes the project file.
func (r *Result) Modified() bool { return len(r.Added)+len(r.Changed)+len(r.Removed) > 0 }

var tagNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Import reads a tag CSV (csvFile names it in messages) and returns the
// project file data (named projectFile) updated to match it. Nothing is
// written: give Result.Data to WriteFile. The updated file must pass
// project.Parse; with Options.Device the original must too.
//
// When a row is bad the error is a RowErrors listing every bad row. When
// the updated file would not compile, the error is a RowErrors too: a
// problem of a tag the CSV lists names its row, any other problem the line of
// the file the import would write.
func Import(projectFile string, data []byte, csvFile string, csvData io.Reader, opts Options) (*Result, error) {
	t, err := readTable(csvFile, csvData)
	if err != nil {
		return nil, err
	}
	format := opts.Format
	if format == FormatAuto {
		format = detect(t.header)
	}
	var dev *datasource.Device
	if opts.Device != "" {
		// The device's scan classes are needed as compiled; a project
		// without a device to import to must be fixed first anyway.
		proj, err := project.Parse(projectFile, data)
		if err != nil {
			return nil, fmt.Errorf("%s: the project file has errors; fix them first:\n%w", projectFile, err)
		}
		var ok bool
		if dev, ok = proj.Device(opts.Device); !ok {
			names := make([]string, len(proj.Devices))
			for i, d := range proj.Devices {
				names[i] = d.Name
			}
			return nil, fmt.Errorf("device %q is not in %s (it has: %s)", opts.Device, projectFile, strings.Join(names, ", "))
		}
	} else if format != FormatVigil {
		return nil, fmt.Errorf("%s: a %s tag list does not say which Vigil device the tags are read from; name it (--device NAME)", csvFile, format)
	}
	errs := &collector{file: csvFile}
	cr := cellReader{comma: t.comma == ';'}
	res := &Result{Format: format}
	warn := func(row int, column, msg string) {
		res.Warnings = append(res.Warnings, (&RowError{File: csvFile, Row: row, Column: column, Msg: msg}).Error())
	}
	var rows []*row
	switch format {
	case FormatKepware:
		rows = kepwareRows(t, dev, cr, errs, warn)
	case FormatIgnition:
		rows = ignitionRows(t, dev, cr, errs, warn)
	default:
		rows = vigilRows(t, errs)
	}
	d, err := decodeDoc(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", projectFile, err)
	}
	im := &importer{
		ed: &editor{root: d.root}, d: d, opts: opts, res: res,
		rowOf: make(map[string]int, len(rows)),
	}
	im.ap = &applier{ed: im.ed, cr: cr, errs: errs}
	im.run(rows)
	if err := errs.result(); err != nil {
		return nil, err
	}
	if !res.Modified() {
		res.Data = data
		return res, nil
	}
	var out []byte
	spliced := false
	if !im.ed.detached {
		out, spliced, err = splice(data, d, im.state, im.added)
	}
	if err == nil && !spliced {
		out, err = encodeAll(d, im.state, im.added)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: writing the tags: %w", projectFile, err)
	}
	p2, err := project.Parse(projectFile, out)
	if err != nil {
		return nil, mapProjectErrors(err, csvFile, projectFile, im.rowOf)
	}
	if !spliced {
		err = im.verify(out)
	} else if got, want := len(p2.Tags)-len(p2.Devices), len(im.state)-len(res.Removed)+len(im.added); got != want {
		err = fmt.Errorf("internal error: the new project file has %d tags, want %d; nothing was written", got, want)
	}
	if err != nil {
		return nil, err
	}
	res.Data, res.Project = out, p2
	return res, nil
}

// importer holds the state of one import.
type importer struct {
	ed     *editor
	ap     *applier
	d      *doc
	opts   Options
	res    *Result
	state  []uint8        // per tag of the file
	added  []*yaml.Node   // new tags
	rowOf  map[string]int // tag name -> CSV row
	expect []expectation  // what the written file must say
}

// expectation is a changed or added tag as edited.
type expectation struct {
	name string
	node *yaml.Node
}

// run applies the rows to the document.
func (im *importer) run(rows []*row) {
	errs := im.ap.errs
	var items []*yaml.Node
	if im.d.tags != nil {
		items = im.d.tags.Content
	}
	im.state = make([]uint8, len(items))
	byName := make(map[string]int, len(items))
	for i, it := range items {
		if name, ok := scalarText(mapGet(resolve(it), "name")); ok {
			byName[name] = i
		}
	}
	listed := make([]bool, len(items))
	for _, w := range rows {
		name := strings.TrimSpace(w.cells[cName])
		switch {
		case name == "":
			errs.add(w.num, "name", "required: every row is one tag")
			continue
		case !tagNameRE.MatchString(name) || strings.HasPrefix(name, "_"):
			errs.add(w.num, "name", fmt.Sprintf("%q may only contain letters, digits, _, . and - and may not start with _", name))
			continue
		}
		if first, dup := im.rowOf[name]; dup {
			errs.add(w.num, "name", fmt.Sprintf("tag %q is also in row %d", name, first))
			continue
		}
		im.rowOf[name] = w.num
		if i, ok := byName[name]; ok {
			listed[i] = true
			cur, err := tagRow(items[i])
			if err != nil {
				errs.add(w.num, "name", fmt.Sprintf("tag %q of the project cannot be edited from a CSV: %v", name, err))
				continue
			}
			t := im.ed.own(&items[i])
			if ch := im.ap.apply(t, &cur, w); ch != nil {
				im.state[i] = stChanged
				im.res.Changed = append(im.res.Changed, Change{Tag: name, Columns: ch})
				im.expectOf(name, t)
			} else {
				im.res.Unchanged++
			}
			continue
		}
		if strings.TrimSpace(w.cells[cDevice]) == "" && im.opts.Device != "" {
			w.set(cDevice, im.opts.Device)
		}
		t := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{scalar("!!str", "name"), scalar("!!str", name)}}
		var cur [numCols]string
		cur[cName] = name
		before := len(errs.errs)
		im.ap.apply(t, &cur, w)
		if len(errs.errs) == before && !errs.full {
			im.added = append(im.added, t)
			im.res.Added = append(im.res.Added, name)
			im.expectOf(name, t)
		}
	}
	if im.opts.Mode == Replace {
		for i, it := range items {
			if !listed[i] {
				im.state[i] = stRemoved
				im.ed.release(it)
				name, _ := scalarText(mapGet(resolve(it), "name"))
				im.res.Removed = append(im.res.Removed, name)
			}
		}
	}
}

// expectOf records that tag t, as edited, must be in the written file.
func (im *importer) expectOf(name string, t *yaml.Node) {
	im.expect = append(im.expect, expectation{name: name, node: t})
}

// verify reads the written file back and checks that every changed and
// added tag says what the import set, so that a fault in keeping the other
// tags' bytes can never write a different project than the one checked.
func (im *importer) verify(out []byte) error {
	d, err := decodeDoc(out)
	if err != nil {
		return fmt.Errorf("internal error: the new project file does not decode: %w; nothing was written", err)
	}
	got := make(map[string]*yaml.Node)
	if d.tags != nil {
		for _, it := range d.tags.Content {
			if name, ok := scalarText(mapGet(resolve(it), "name")); ok {
				got[name] = it
			}
		}
	}
	for _, e := range im.expect {
		want, err := tagRow(e.node)
		if err != nil {
			return fmt.Errorf("internal error: tag %q as edited: %w; nothing was written", e.name, err)
		}
		it, ok := got[e.name]
		if !ok {
			return fmt.Errorf("internal error: tag %q is missing from the new project file; nothing was written", e.name)
		}
		cells, err := tagRow(it)
		if err != nil {
			return fmt.Errorf("internal error: tag %q in the new project file: %w; nothing was written", e.name, err)
		}
		for c := range cells {
			if !im.ap.cr.same(c, cells[c], want[c]) {
				return fmt.Errorf("internal error: tag %q column %s reads back %q, not %q; nothing was written", e.name, columns[c].name, cells[c], want[c])
			}
		}
	}
	return nil
}

// mapProjectErrors turns the problems of the updated project file into row
// errors: a problem of a listed tag names its CSV row.
func mapProjectErrors(err error, csvFile, projectFile string, rowOf map[string]int) error {
	var pe project.Errors
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: after the import: %w", projectFile, err)
	}
	var csvErrs, fileErrs RowErrors
	for _, e := range pe {
		if name, ok := tagOfField(e.Field); ok {
			if r, ok := rowOf[name]; ok {
				csvErrs = append(csvErrs, &RowError{File: csvFile, Row: r, Column: e.Field, Msg: e.Msg})
				continue
			}
		}
		fileErrs = append(fileErrs, &RowError{File: projectFile, Row: e.Pos.Line, Column: e.Field, Msg: e.Msg + " (in the project file the import would write)"})
	}
	sort.SliceStable(csvErrs, func(i, j int) bool { return csvErrs[i].Row < csvErrs[j].Row })
	return append(csvErrs, fileErrs...)
}

// tagOfField returns NAME of a field path "tags[NAME]...".
func tagOfField(field string) (string, bool) {
	rest, ok := strings.CutPrefix(field, "tags[")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "]")
	return name, ok
}

// detect tells the format from the header row.
func detect(header []string) Format {
	has := func(name string) bool {
		for _, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), name) {
				return true
			}
		}
		return false
	}
	switch {
	case has("Tag Name") && has("Address"):
		return FormatKepware
	case has("OPCItemPath") || has("Name") && (has("TagType") || has("DataType")):
		return FormatIgnition
	}
	return FormatVigil
}

// vigilRows reads the rows of a Vigil tag CSV. Its header may hold any of
// the columns, in any order; a column it leaves out keeps the file's value.
func vigilRows(t *table, errs *collector) []*row {
	idx := make([]int, len(t.header))
	var has uint64
	for i, h := range t.header {
		idx[i] = -1
		if strings.TrimSpace(h) == "" {
			continue
		}
		c, ok := columnIndex(h)
		switch {
		case !ok:
			errs.add(1, strings.TrimSpace(h), "unknown column; the columns are listed in docs/tags-csv.md")
		case has&(1<<uint(c)) != 0:
			errs.add(1, columns[c].name, "the column is given twice")
		default:
			has |= 1 << uint(c)
			idx[i] = c
		}
	}
	if has&(1<<cName) == 0 {
		errs.add(1, "name", "required: the header has no name column")
	}
	for _, g := range groups {
		n := 0
		for _, c := range g {
			if has&(1<<uint(c)) != 0 {
				n++
			}
		}
		if n > 0 && n < len(g) {
			names := make([]string, len(g))
			for i, c := range g {
				names[i] = columns[c].name
			}
			errs.add(1, columns[g[0]].name, "give all of the columns "+strings.Join(names, ", ")+" or none")
		}
	}
	if len(errs.errs) > 0 {
		return nil
	}
	rows := make([]*row, 0, len(t.records))
	for ri, rec := range t.records {
		num := ri + 2
		if blank(rec) {
			continue
		}
		if len(rec) > len(t.header) {
			errs.add(num, "", fmt.Sprintf("the row has %d cells, the header %d", len(rec), len(t.header)))
			continue
		}
		w := &row{num: num, has: has}
		for i, v := range rec {
			if idx[i] >= 0 {
				w.cells[idx[i]] = v
			} else if strings.TrimSpace(v) != "" {
				errs.add(num, fmt.Sprintf("column %d", i+1), "a value under a column without a name")
			}
		}
		rows = append(rows, w)
	}
	return rows
}
