package tagcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource/project"
)

// ExportOptions tune an export.
type ExportOptions struct {
	// Comma separates the cells; 0 means ','. Use ';' for a spreadsheet
	// set to a European locale.
	Comma rune
	// BOM starts the file with a UTF-8 byte order mark, which makes Excel
	// read it as UTF-8.
	BOM bool
}

// Export writes the tags of the project file data (named file in messages)
// as CSV to w: the Header row, then one row per tag in file order. The
// project must be valid (project.Parse); its errors are returned otherwise.
// System tags are not exported: they are not in the file.
func Export(w io.Writer, file string, data []byte, opts ExportOptions) error {
	if _, err := project.Parse(file, data); err != nil {
		return fmt.Errorf("%s: the project file has errors; fix them first:\n%w", file, err)
	}
	d, err := decodeDoc(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var buf bytes.Buffer
	if opts.BOM {
		buf.WriteString("\uFEFF")
	}
	cw := csv.NewWriter(&buf)
	if opts.Comma != 0 {
		cw.Comma = opts.Comma
	}
	if err := cw.Write(Header()); err != nil {
		return err
	}
	if d.tags != nil {
		for _, item := range d.tags.Content {
			cells, err := tagRow(item)
			if err != nil {
				return fmt.Errorf("%s:%d: %w", file, resolve(item).Line, err)
			}
			if err := cw.Write(cells[:]); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// doc is a decoded project file.
type doc struct {
	root    *yaml.Node // the document node
	top     *yaml.Node // its mapping
	tagsIdx int        // index in top.Content of the tags key; -1 when absent
	tags    *yaml.Node // the tags list (resolved); nil when absent or null
}

// decodeDoc decodes a project file that project.Parse accepted.
func decodeDoc(data []byte) (*doc, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || resolve(root.Content[0]).Kind != yaml.MappingNode {
		return nil, errors.New("not a project file mapping")
	}
	d := &doc{root: &root, top: resolve(root.Content[0]), tagsIdx: -1}
	if i := mapIndex(d.top, "tags"); i >= 0 {
		d.tagsIdx = i
		if t := resolve(d.top.Content[i+1]); t != nil && t.Kind == yaml.SequenceNode {
			d.tags = t
		}
	}
	return d, nil
}

// tagRow returns the cells of one tag as the file says it: a field the file
// leaves out is an empty cell.
func tagRow(item *yaml.Node) (r [numCols]string, err error) {
	t := resolve(item)
	if t == nil || t.Kind != yaml.MappingNode {
		return r, errors.New("tag: not a mapping")
	}
	text := func(n *yaml.Node, what string) string {
		s, ok := scalarText(n)
		if !ok && err == nil {
			err = fmt.Errorf("%s: not a single value", what)
		}
		return s
	}
	r[cName] = text(mapGet(t, "name"), "name")
	for c, key := range simpleKeys {
		if v := mapGet(t, key); v != nil {
			r[c] = text(v, key)
		}
	}
	pair := func(n *yaml.Node, what string, lo, hi int) {
		if n == nil || isNull(n) {
			return
		}
		if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
			if err == nil {
				err = fmt.Errorf("%s: not a pair [low, high]", what)
			}
			return
		}
		r[lo], r[hi] = text(n.Content[0], what), text(n.Content[1], what)
	}
	if s := mapGet(t, "scaling"); s != nil && !isNull(s) {
		pair(mapGet(s, "raw"), "scaling.raw", cRawLo, cRawHi)
		pair(mapGet(s, "eng"), "scaling.eng", cEngLo, cEngHi)
	}
	pair(mapGet(t, "span"), "span", cSpanLo, cSpanHi)
	pair(mapGet(t, "limits"), "limits", cLimitsMin, cLimitsMax)
	if s := mapGet(t, "states"); s != nil && !isNull(s) {
		var e error
		if r[cStates], e = statesCell(s); e != nil && err == nil {
			err = e
		}
	}
	if h := mapGet(t, "history"); h != nil {
		if h.Kind == yaml.MappingNode {
			if v := mapGet(h, "enabled"); v != nil {
				r[cHistory] = text(v, "history.enabled")
			}
			if v := mapGet(h, "deadband"); v != nil {
				r[cHistDeadband] = text(v, "history.deadband")
			}
			if v := mapGet(h, "max_interval"); v != nil {
				r[cHistMaxInterval] = text(v, "history.max_interval")
			}
		} else {
			r[cHistory] = text(h, "history")
		}
	}
	if a := mapGet(t, "alarms"); a != nil && a.Kind == yaml.SequenceNode {
		var seen [len(limitKinds)]bool
		var other []*yaml.Node
		for _, al := range a.Content {
			k := columnarKind(al)
			if k < 0 || seen[k] {
				other = append(other, al)
				continue
			}
			seen[k] = true
			m := resolve(al)
			for f, key := range alarmFields {
				if v := mapGet(m, key); v != nil {
					r[alarmCol(k, f)] = text(v, "alarms."+key)
				}
			}
		}
		if len(other) > 0 {
			var e error
			if r[cAlarms], e = flowText(&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: other}); e != nil && err == nil {
				err = e
			}
		}
	}
	if c := mapGet(t, "calc"); c != nil && !isNull(c) {
		if resolve(c).Kind == yaml.MappingNode {
			var e error
			if r[cCalc], e = flowText(c); e != nil && err == nil {
				err = e
			}
		} else {
			r[cCalc] = text(c, "calc")
		}
	}
	return r, err
}

// columnarKind returns the index in limitKinds of an alarm the limit-alarm
// columns can express in full: a hihi, hi, lo or lolo alarm without a name
// (so with the default one, unique per tag) whose fields all have columns.
// It returns -1 for any other alarm.
func columnarKind(al *yaml.Node) int {
	m := resolve(al)
	if m == nil || m.Kind != yaml.MappingNode {
		return -1
	}
	k := -1
	for i := 0; i+1 < len(m.Content); i += 2 {
		key := resolve(m.Content[i])
		v := resolve(m.Content[i+1])
		if key == nil || v == nil || key.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			return -1
		}
		if key.Value == "kind" {
			for j, kn := range limitKinds {
				if v.Value == kn {
					k = j
				}
			}
			continue
		}
		if keyRank(alarmFields[:], key.Value) == len(alarmFields) {
			return -1
		}
	}
	return k
}
