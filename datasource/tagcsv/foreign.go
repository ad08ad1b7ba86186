package tagcsv

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
)

// fields reads the cells of another tool's CSV by column name.
type fields struct {
	idx map[string]int // lower-case header name -> index
	rec []string
}

func newFields(header []string) *fields {
	f := &fields{idx: make(map[string]int, len(header))}
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		if _, dup := f.idx[k]; !dup && k != "" {
			f.idx[k] = i
		}
	}
	return f
}

// has reports whether the header has column name.
func (f *fields) has(name string) bool {
	_, ok := f.idx[strings.ToLower(name)]
	return ok
}

// get returns the trimmed cell of column name in the current record, ""
// when the header or the record lacks it.
func (f *fields) get(name string) string {
	i, ok := f.idx[strings.ToLower(name)]
	if !ok || i >= len(f.rec) {
		return ""
	}
	return strings.TrimSpace(f.rec[i])
}

// notes gathers warnings that repeat over many rows into one line each.
type notes struct {
	order []string
	rows  map[string][]int
	cols  map[string]string
}

func (n *notes) add(row int, column, msg string) {
	if n.rows == nil {
		n.rows, n.cols = map[string][]int{}, map[string]string{}
	}
	k := column + "\x00" + msg
	if _, ok := n.rows[k]; !ok {
		n.order = append(n.order, k)
		n.cols[k] = column
	}
	n.rows[k] = append(n.rows[k], row)
}

// flush reports each warning once, at its first row, with how many rows
// it concerns.
func (n *notes) flush(warn func(row int, column, msg string)) {
	for _, k := range n.order {
		rows := n.rows[k]
		msg := k[strings.IndexByte(k, 0)+1:]
		if len(rows) > 1 {
			msg += fmt.Sprintf(" (and %d more rows)", len(rows)-1)
		}
		warn(rows[0], n.cols[k], msg)
	}
}

// vigilName turns another tool's tag name into a Vigil tag name: folder
// separators become dots and characters Vigil does not allow become _.
func vigilName(s string) string {
	s = strings.Trim(strings.ReplaceAll(s, "/", "."), ".")
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// scanClassByRate returns the scan class of dev with the given rate in ms.
func scanClassByRate(dev *datasource.Device, ms int64) (string, bool) {
	for _, sc := range dev.ScanClasses {
		if sc.Rate.Milliseconds() == ms && sc.Rate%1e6 == 0 {
			return sc.Name, true
		}
	}
	return "", false
}

// kepwareTypes maps KEPServerEX data types to Vigil types.
var kepwareTypes = map[string]string{
	"boolean": "bool", "short": "int16", "word": "uint16", "long": "int32", "dword": "uint32",
	"llong": "int64", "qword": "uint64", "float": "float32", "double": "float64", "string": "string",
}

// kepwareRows reads a KEPServerEX tag export (see docs/tags-csv.md for the
// mapping). dev is the device the tags are read from.
func kepwareRows(t *table, dev *datasource.Device, cr cellReader, errs *collector, warn func(int, string, string)) []*row {
	f := newFields(t.header)
	for _, c := range []string{"Tag Name", "Address", "Data Type"} {
		if !f.has(c) {
			errs.add(1, c, "required in a KEPServerEX tag list")
		}
	}
	if len(errs.errs) > 0 {
		return nil
	}
	var ns notes
	var rows []*row
	for ri, rec := range t.records {
		num := ri + 2
		if blank(rec) {
			continue
		}
		f.rec = rec
		w := &row{num: num}
		w.set(cName, vigilName(f.get("Tag Name")))
		if w.cells[cName] != f.get("Tag Name") {
			ns.add(num, "Tag Name", "renamed to fit Vigil's tag names (letters, digits, _, . and -)")
		}
		w.set(cDevice, dev.Name)
		addr := f.get("Address")
		kt := strings.ToLower(f.get("Data Type"))
		vt, ok := kepwareTypes[kt]
		if !ok {
			errs.add(num, "Data Type", fmt.Sprintf("%q has no Vigil type; use Boolean, Short, Word, Long, DWord, LLong, QWord, Float, Double or String", f.get("Data Type")))
			continue
		}
		w.set(cType, vt)
		w.set(cLength, "")
		if vt == "string" {
			// Modbus strings: 40001.20H is 20 characters from 40001, high byte first.
			base, spec, ok := strings.Cut(addr, ".")
			spec = strings.TrimRight(strings.ToUpper(spec), "HL")
			n, err := strconv.Atoi(spec)
			if !ok || err != nil || n <= 0 {
				errs.add(num, "Address", fmt.Sprintf("a String tag needs its length in the address, e.g. 40001.20H, got %q", addr))
				continue
			}
			addr = base
			w.set(cLength, strconv.Itoa((n+1)/2))
		}
		w.set(cAddress, addr)
		w.set(cDescription, f.get("Description"))
		w.set(cUnits, f.get("Eng Units"))
		switch strings.ToUpper(strings.ReplaceAll(f.get("Client Access"), " ", "")) {
		case "", "RO", "READONLY":
			w.set(cWritable, "")
		case "R/W", "RW", "READ/WRITE":
			w.set(cWritable, "true")
		default:
			errs.add(num, "Client Access", fmt.Sprintf("want RO or R/W, got %q", f.get("Client Access")))
		}
		if s := f.get("Scan Rate"); s != "" {
			ms, ok := cr.integer(s)
			if sc, found := scanClassByRate(dev, ms); ok && found {
				w.set(cScanClass, sc)
			} else if ok {
				ns.add(num, "Scan Rate", fmt.Sprintf("device %s has no scan class of %d ms; the tag keeps its scan class (new tags: the device's first)", dev.Name, ms))
			} else {
				errs.add(num, "Scan Rate", fmt.Sprintf("must be milliseconds, got %q", s))
			}
		}
		negate, _ := boolean(f.get("Negate Value"))
		numeric := vt != "bool" && vt != "string"
		for _, c := range []int{cRawLo, cRawHi, cEngLo, cEngHi} {
			w.set(c, "")
		}
		switch strings.ToLower(f.get("Scaling")) {
		case "", "none":
			if negate && numeric {
				w.set(cRawLo, "0")
				w.set(cRawHi, "1")
				w.set(cEngLo, "0")
				w.set(cEngHi, "-1")
			}
		case "linear":
			if !numeric {
				errs.add(num, "Scaling", "only numeric tags can be scaled")
				continue
			}
			cols := []string{"Raw Low", "Raw High", "Scaled Low", "Scaled High"}
			bad := false
			for i, c := range []int{cRawLo, cRawHi, cEngLo, cEngHi} {
				v, ok := cr.number(f.get(cols[i]))
				if !ok {
					errs.add(num, cols[i], fmt.Sprintf("must be a number for Linear scaling, got %q", f.get(cols[i])))
					bad = true
					continue
				}
				if negate && (c == cEngLo || c == cEngHi) && v != 0 {
					v = -v
				}
				w.set(c, strconv.FormatFloat(v, 'g', -1, 64))
			}
			if bad {
				continue
			}
		default:
			errs.add(num, "Scaling", fmt.Sprintf("%q scaling has no Vigil equivalent; Vigil scales linearly", f.get("Scaling")))
			continue
		}
		if negate && !numeric {
			errs.add(num, "Negate Value", "only numeric tags can be negated")
			continue
		}
		for _, c := range []string{"Clamp Low", "Clamp High"} {
			if on, _ := boolean(f.get(c)); on {
				ns.add(num, c, "Vigil does not clamp scaled values; the clamp is left out")
			}
		}
		rows = append(rows, w)
	}
	ns.flush(warn)
	return rows
}

// ignitionTypes maps Ignition 7.9 data types (the export's codes and names)
// to Vigil types; "" marks a type Vigil has no equivalent for.
var ignitionTypes = map[string]string{
	"0": "", "int1": "", "1": "int16", "int2": "int16", "2": "int32", "int4": "int32", "3": "int64", "int8": "int64",
	"4": "float32", "float4": "float32", "5": "float64", "float8": "float64", "6": "bool", "boolean": "bool",
	"7": "string", "string": "string", "8": "", "datetime": "", "9": "", "dataset": "",
}

// ignitionStringLength is the length given to Ignition string tags, which
// have none; Vigil needs one.
const ignitionStringLength = "64"

// ignitionRows reads an Ignition 7.9 tag export (see docs/tags-csv.md for
// the mapping and the assumptions). dev is the device the tags are read from.
func ignitionRows(t *table, dev *datasource.Device, cr cellReader, errs *collector, warn func(int, string, string)) []*row {
	f := newFields(t.header)
	for _, c := range []string{"Name", "OPCItemPath"} {
		if !f.has(c) {
			errs.add(1, c, "required in an Ignition tag list")
		}
	}
	if len(errs.errs) > 0 {
		return nil
	}
	var ns notes
	var rows []*row
	for ri, rec := range t.records {
		num := ri + 2
		if blank(rec) {
			continue
		}
		f.rec = rec
		switch tt := strings.ToLower(f.get("TagType")); tt {
		case "", "0", "opc":
		case "6", "folder":
			continue // folders carry no value; their path is in the tags' Path
		default:
			errs.add(num, "TagType", fmt.Sprintf("only OPC tags (0) are read from a device, this is %q", f.get("TagType")))
			continue
		}
		name := f.get("Name")
		path := f.get("Path")
		if i := strings.Index(path, "]"); strings.HasPrefix(path, "[") && i > 0 {
			path = path[i+1:] // the tag provider
		}
		path = strings.Trim(path, "/")
		if path == name || strings.HasSuffix(path, "/"+name) {
			path = strings.TrimSuffix(strings.TrimSuffix(path, name), "/")
		}
		full := name
		if path != "" {
			full = path + "/" + name
		}
		w := &row{num: num}
		w.set(cName, vigilName(full))
		if w.cells[cName] != strings.ReplaceAll(full, "/", ".") {
			ns.add(num, "Name", "renamed to fit Vigil's tag names (letters, digits, _, . and -)")
		}
		if f.has("Path") {
			w.set(cGroup, path)
		}
		w.set(cDevice, dev.Name)
		w.set(cAddress, f.get("OPCItemPath"))
		vt := ""
		if dt := strings.ToLower(f.get("DataType")); dt != "" {
			var ok bool
			vt, ok = ignitionTypes[dt]
			if !ok || vt == "" {
				errs.add(num, "DataType", fmt.Sprintf("%q has no Vigil type; use Int2, Int4, Int8, Float4, Float8, Boolean or String (1..7)", f.get("DataType")))
				continue
			}
			w.set(cType, vt)
			w.set(cLength, "")
			if vt == "string" {
				w.set(cLength, ignitionStringLength)
				ns.add(num, "DataType", "an Ignition string has no length; Vigil's length is set to "+ignitionStringLength+" characters")
			}
		}
		numeric := vt != "bool" && vt != "string"
		if f.has("AccessRights") {
			switch strings.ToLower(strings.NewReplacer(" ", "", "_", "", "/", "").Replace(f.get("AccessRights"))) {
			case "", "0", "readonly":
				w.set(cWritable, "")
			case "1", "readwrite":
				w.set(cWritable, "true")
			case "2", "custom":
				w.set(cWritable, "")
				ns.add(num, "AccessRights", "Custom access rights are imported as read-only; make the tag writable in Vigil if operators must write it")
			default:
				errs.add(num, "AccessRights", fmt.Sprintf("want 0 (Read only), 1 (Read/Write) or 2 (Custom), got %q", f.get("AccessRights")))
				continue
			}
		}
		if f.has("ScaleMode") {
			for _, c := range []int{cRawLo, cRawHi, cEngLo, cEngHi} {
				w.set(c, "")
			}
			switch strings.ToLower(f.get("ScaleMode")) {
			case "", "0", "off", "none":
			case "1", "linear":
				cols := []string{"RawLow", "RawHigh", "ScaledLow", "ScaledHigh"}
				bad := false
				for i, c := range []int{cRawLo, cRawHi, cEngLo, cEngHi} {
					v, ok := cr.number(f.get(cols[i]))
					if !ok {
						errs.add(num, cols[i], fmt.Sprintf("must be a number for Linear scaling, got %q", f.get(cols[i])))
						bad = true
						continue
					}
					w.set(c, strconv.FormatFloat(v, 'g', -1, 64))
				}
				if bad {
					continue
				}
			default:
				errs.add(num, "ScaleMode", fmt.Sprintf("%q scaling has no Vigil equivalent; Vigil scales linearly (ScaleMode 1)", f.get("ScaleMode")))
				continue
			}
		}
		if f.has("EngUnit") {
			w.set(cUnits, f.get("EngUnit"))
		}
		if lo, ok1 := cr.number(f.get("EngLow")); ok1 && numeric {
			if hi, ok2 := cr.number(f.get("EngHigh")); ok2 && lo < hi {
				w.set(cSpanLo, strconv.FormatFloat(lo, 'g', -1, 64))
				w.set(cSpanHi, strconv.FormatFloat(hi, 'g', -1, 64))
			}
		}
		if fs := f.get("FormatString"); fs != "" && numeric {
			d := 0
			if _, frac, ok := strings.Cut(fs, "."); ok {
				for _, c := range frac {
					if c == '0' || c == '#' {
						d++
					}
				}
			}
			w.set(cDecimals, strconv.Itoa(min(d, 10)))
		}
		if f.has("Documentation") || f.has("Tooltip") {
			desc := f.get("Documentation")
			if desc == "" {
				desc = f.get("Tooltip")
			}
			w.set(cDescription, desc)
		}
		if sc := f.get("ScanClass"); sc != "" {
			found := false
			for _, c := range dev.ScanClasses {
				if strings.EqualFold(c.Name, sc) {
					w.set(cScanClass, c.Name)
					found = true
					break
				}
			}
			if !found {
				ns.add(num, "ScanClass", fmt.Sprintf("device %s has no scan class %q; the tag keeps its scan class (new tags: the device's first)", dev.Name, sc))
			}
		}
		if h := f.get("HistoryEnabled"); h != "" {
			on, ok := boolean(h)
			if !ok {
				errs.add(num, "HistoryEnabled", fmt.Sprintf("want true or false, got %q", h))
				continue
			}
			w.set(cHistory, strconv.FormatBool(on))
			if db := f.get("HistoricalDeadband"); db != "" && numeric {
				v, ok := cr.number(db)
				switch {
				case !ok || v < 0:
					errs.add(num, "HistoricalDeadband", fmt.Sprintf("must be a number >= 0, got %q", db))
					continue
				case v == 0:
					w.set(cHistDeadband, "")
				default:
					w.set(cHistDeadband, strconv.FormatFloat(v, 'g', -1, 64))
				}
			}
		}
		rows = append(rows, w)
	}
	ns.flush(warn)
	return rows
}
