package tagcsv

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The state of an existing tag after an import.
const (
	stKept uint8 = iota
	stChanged
	stRemoved
)

// The new project file is the original bytes with the regions of changed
// tags replaced by their rendering, removed tags cut out and new tags added
// after the last one (splice). Everything else, unchanged tags included,
// keeps its bytes. When the tag list cannot be spliced (a flow list, an
// alias), the whole document is encoded instead (encodeAll: comments are
// kept, blank lines are not).

// encodeAll encodes the whole edited document.
func encodeAll(d *doc, state []uint8, added []*yaml.Node) ([]byte, error) {
	var items []*yaml.Node
	if d.tags != nil {
		for i, it := range d.tags.Content {
			if state[i] != stRemoved {
				items = append(items, it)
			}
		}
	}
	items = append(items, added...)
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
	if d.tags != nil {
		d.tags.Content = items
	} else {
		ed := &editor{root: d.root}
		ed.mapSet(d.top, "tags", seq, []string{"project", "stale_factor", "devices", "tags", "users", "roles"})
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(d.root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// lines indexes the lines of a file.
type lines struct {
	data  []byte
	start []int // byte offset of each line; a final entry is len(data)
}

func newLines(data []byte) *lines {
	l := &lines{data: data, start: []int{0}}
	for i, c := range data {
		if c == '\n' && i+1 < len(data) {
			l.start = append(l.start, i+1)
		}
	}
	l.start = append(l.start, len(data))
	return l
}

// n returns the number of lines.
func (l *lines) n() int { return len(l.start) - 1 }

// text returns line i (0-based) without its line break.
func (l *lines) text(i int) string {
	return strings.TrimRight(string(l.data[l.start[i]:l.start[i+1]]), "\r\n")
}

// bytes returns lines [from, to) as they are.
func (l *lines) bytes(from, to int) []byte { return l.data[l.start[from]:l.start[to]] }

// indent returns the number of leading spaces of s.
func indent(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// isComment reports whether line s is only a comment.
func isComment(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "#") }

// splice renders by replacing line regions; ok is false when the file's
// tag list does not allow it. Every tag it renders is read back and checked
// against the edited tag.
func splice(data []byte, d *doc, state []uint8, added []*yaml.Node) (out []byte, ok bool, err error) {
	if d.tagsIdx >= 0 && (d.tags == nil || len(d.tags.Content) == 0) {
		return spliceEmpty(data, d, added)
	}
	if d.tags == nil || len(d.tags.Content) == 0 || d.tags.Style&yaml.FlowStyle != 0 ||
		d.top.Content[d.tagsIdx+1].Kind == yaml.AliasNode || bytes.Contains(data, []byte("\r")) && !bytes.Contains(data, []byte("\r\n")) {
		return nil, false, nil
	}
	ls := newLines(data)
	items := d.tags.Content
	dash := -1
	for _, it := range items {
		if it.Kind == yaml.AliasNode || it.Line < 1 || it.Line > ls.n() {
			return nil, false, nil
		}
		s := ls.text(it.Line - 1)
		in := indent(s)
		if in >= len(s) || s[in] != '-' || in+1 >= it.Column || (dash >= 0 && in != dash) {
			return nil, false, nil
		}
		dash = in
	}
	// Region i is [bound[i], bound[i+1]): the lines from the end of the
	// previous tag's content to the end of this tag's content. Comment
	// lines at the level of the dashes and blank lines between two tags
	// belong to the next one.
	n := len(items)
	bound := make([]int, n+1)
	bound[0] = d.top.Content[d.tagsIdx].Line // 0-based: the line after "tags:"
	for i := range items {
		var e int
		switch {
		case i+1 < n:
			e = items[i+1].Line - 1
		case d.tagsIdx+2 < len(d.top.Content):
			e = d.top.Content[d.tagsIdx+2].Line - 1
		default:
			e = ls.n()
		}
		first := items[i].Line - 1
		for e-1 > first {
			s := ls.text(e - 1)
			if strings.TrimSpace(s) == "" || isComment(s) && indent(s) <= dash {
				e--
				continue
			}
			break
		}
		if e <= bound[i] || e <= first {
			return nil, false, nil
		}
		bound[i+1] = e
	}
	crlf := bytes.Contains(data, []byte("\r\n"))
	var b bytes.Buffer
	b.Grow(len(data) + len(data)/8)
	b.Write(ls.bytes(0, bound[0]))
	for i, it := range items {
		switch state[i] {
		case stKept:
			b.Write(ls.bytes(bound[i], bound[i+1]))
		case stChanged:
			r, err := renderChanged(ls, it, bound[i], bound[i+1], dash, crlf)
			if err == nil {
				err = readBack([]*yaml.Node{it}, r)
			}
			if err != nil {
				return nil, false, err
			}
			b.Write(r)
		}
	}
	if len(added) > 0 && b.Len() > 0 && b.Bytes()[b.Len()-1] != '\n' {
		b.WriteString(eol("\n", crlf))
	}
	if err := writeAdded(&b, added, dash, crlf); err != nil {
		return nil, false, err
	}
	b.Write(ls.bytes(bound[n], ls.n()))
	return b.Bytes(), true, nil
}

// writeAdded renders the new tags, all in one go.
func writeAdded(b *bytes.Buffer, added []*yaml.Node, dash int, crlf bool) error {
	if len(added) == 0 {
		return nil
	}
	r, err := renderItems(added, dash, crlf)
	if err == nil {
		err = readBack(added, r)
	}
	if err != nil {
		return err
	}
	b.Write(r)
	return nil
}

// spliceEmpty adds tags to a file whose tag list is empty ("tags:",
// "tags: []"): that line becomes "tags:" and the tags follow it.
func spliceEmpty(data []byte, d *doc, added []*yaml.Node) ([]byte, bool, error) {
	ls := newLines(data)
	key := d.top.Content[d.tagsIdx]
	val := d.top.Content[d.tagsIdx+1]
	if key.Column != 1 || val.Line != key.Line || val.Kind == yaml.AliasNode || len(val.Content) > 0 {
		return nil, false, nil
	}
	line := ls.text(key.Line - 1)
	rest, c, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "tags:")), "#")
	switch strings.TrimSpace(rest) {
	case "", "[]", "~", "null":
	default:
		return nil, false, nil
	}
	crlf := bytes.Contains(data, []byte("\r\n"))
	var b bytes.Buffer
	b.Write(ls.bytes(0, key.Line-1))
	head := "tags:"
	if c != "" || strings.Contains(line, "#") {
		head += " #" + c
	}
	b.WriteString(eol(head+"\n", crlf))
	if err := writeAdded(&b, added, 2, crlf); err != nil {
		return nil, false, err
	}
	b.Write(ls.bytes(key.Line, ls.n()))
	return b.Bytes(), true, nil
}

// readBack decodes the rendering r of tags items and checks that it says
// what they say, so that a rendering fault can never write other tags than
// the ones the import built.
func readBack(items []*yaml.Node, r []byte) error {
	var n yaml.Node
	if err := yaml.Unmarshal(r, &n); err != nil {
		return fmt.Errorf("internal error: tags render as invalid YAML: %w", err)
	}
	if len(n.Content) != 1 || n.Content[0].Kind != yaml.SequenceNode || len(n.Content[0].Content) != len(items) {
		return fmt.Errorf("internal error: %d tags do not render as as many list items", len(items))
	}
	for i, it := range items {
		want, err := tagRow(it)
		if err != nil {
			return err
		}
		got, err := tagRow(n.Content[0].Content[i])
		if err != nil || got != want {
			return fmt.Errorf("internal error: tag %q does not read back as written", want[cName])
		}
	}
	return nil
}

// renderChanged renders a changed tag in place of lines [from, to): the
// lines before the tag's own first line stay as they are, and the whole-line
// comments of the tag are kept once each, where the YAML library attaches
// them (or above the tag when it attached them elsewhere).
func renderChanged(ls *lines, it *yaml.Node, from, to, dash int, crlf bool) ([]byte, error) {
	first := it.Line - 1
	var b bytes.Buffer
	b.Write(ls.bytes(from, first))
	want := map[string]int{}
	for i := first; i < to; i++ {
		if s := ls.text(i); isComment(s) {
			want[strings.TrimSpace(s)]++
		}
	}
	avail := make(map[string]int, len(want))
	for k, v := range want {
		avail[k] = v
	}
	r, err := renderItem(pruneComments(it, avail), dash, false)
	if err != nil {
		return nil, err
	}
	var body []string
	for _, s := range strings.SplitAfter(string(r), "\n") {
		if s == "" {
			continue
		}
		if isComment(s) {
			k := strings.TrimSpace(s)
			if want[k] == 0 {
				continue // a comment that is not in this tag's lines: it stays where it is
			}
			want[k]--
		}
		body = append(body, s)
	}
	for i := first; i < to; i++ { // comments the library put outside the tag
		if s := ls.text(i); isComment(s) && want[strings.TrimSpace(s)] > 0 {
			want[strings.TrimSpace(s)]--
			b.WriteString(eol(s+"\n", crlf))
		}
	}
	for _, s := range body {
		b.WriteString(eol(s, crlf))
	}
	return b.Bytes(), nil
}

// pruneComments returns a copy of n without the head and foot comments
// whose lines are not among avail (the comment lines of the tag's region,
// consumed as they are used): the YAML library sometimes attaches a comment
// above or below a tag to the tag, and that comment stays where it is.
// Anchors are kept: later tags may refer to them.
func pruneComments(n *yaml.Node, avail map[string]int) *yaml.Node {
	c := *n
	keep := func(block string) string {
		if block == "" {
			return ""
		}
		var used []string
		for _, l := range strings.Split(block, "\n") {
			if k := strings.TrimSpace(l); strings.HasPrefix(k, "#") {
				if avail[k] == 0 {
					for _, u := range used {
						avail[u]++
					}
					return ""
				}
				avail[k]--
				used = append(used, k)
			}
		}
		return block
	}
	c.HeadComment = keep(c.HeadComment)
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, x := range n.Content {
			if x.Kind == yaml.AliasNode {
				c.Content[i] = x
				continue
			}
			c.Content[i] = pruneComments(x, avail)
		}
	}
	c.FootComment = keep(c.FootComment)
	return &c
}

// renderItem renders one tag as a list item whose dash is at column dash.
func renderItem(it *yaml.Node, dash int, crlf bool) ([]byte, error) {
	return renderItems([]*yaml.Node{it}, dash, crlf)
}

// renderItems renders tags as list items whose dashes are at column dash.
func renderItems(items []*yaml.Node, dash int, crlf bool) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	pad := strings.Repeat(" ", dash)
	var out bytes.Buffer
	for _, s := range strings.SplitAfter(b.String(), "\n") {
		if s == "" {
			continue
		}
		if strings.TrimSpace(s) != "" {
			out.WriteString(pad)
		}
		out.WriteString(eol(s, crlf))
	}
	return out.Bytes(), nil
}

// eol gives line s the file's line break.
func eol(s string, crlf bool) string {
	if crlf && strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, "\r\n") {
		return s[:len(s)-1] + "\r\n"
	}
	return s
}
