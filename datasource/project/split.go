package project

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Decoding YAML into nodes is most of the time of loading a large project
// (100,000 tags: about two thirds of `vigil check`), and the YAML library
// is single-threaded. A large file's tag list is therefore cut at its item
// boundaries and the pieces are decoded in parallel, then put back into the
// tree with their line numbers shifted. This is only a faster path to the
// same tree: whenever a piece does not decode on its own (an alias to an
// anchor in another piece, a quoted string spanning a cut, any YAML error)
// or the text is not laid out as expected, the caller decodes the whole file
// at once, so results and error messages never depend on the cut.

// splitMinSize is the smallest file worth cutting; smaller files are
// decoded whole, as they always were. splitMinItems is the fewest tags in
// one piece. (Variables so that a test can cut a small file.)
var (
	splitMinSize  = 1 << 20
	splitMinItems = 2000
)

var errNoSplit = errors.New("project: tag list not cut")

// tagsRegion is the tag list of a file: the byte range of its items, and the
// byte offset and line number of each item's first line.
type tagsRegion struct {
	start, end int   // bytes of the items: data[start:end]
	items      []int // byte offset of each item's "- " line
	lines      []int // its line number, from 1
}

// findTags finds the block sequence of the top-level key "tags:", whose
// items start with "- " at one indent. It reports false for any other
// layout (a flow list, an anchor on the list, a key after it on the same
// line).
func findTags(data []byte) (tagsRegion, bool) {
	var r tagsRegion
	line, off := 1, 0
	inTags, indent := false, -1
	for off < len(data) {
		eol := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if eol >= 0 {
			next = off + eol + 1
		}
		text := bytes.TrimRight(data[off:next], "\r\n")
		trimmed := bytes.TrimLeft(text, " ")
		ind := len(text) - len(trimmed)
		blank := len(trimmed) == 0 || trimmed[0] == '#'
		switch {
		case !inTags:
			if bytes.HasPrefix(text, []byte("tags:")) {
				if r.start != 0 {
					return r, false // given twice: the whole decode reports it
				}
				rest := bytes.TrimLeft(text[len("tags:"):], " ")
				if len(rest) > 0 && rest[0] != '#' {
					return r, false
				}
				inTags, r.start = true, next
			}
		case blank:
		case bytes.Contains(trimmed, []byte("\t")):
			return r, false
		case indent < 0:
			if !isItem(trimmed) {
				return r, false
			}
			indent = ind
			r.items, r.lines = append(r.items, off), append(r.lines, line)
		case ind == indent && isItem(trimmed):
			r.items, r.lines = append(r.items, off), append(r.lines, line)
		case ind > indent:
		default: // back at the top level (or a stray indent): the list ends
			r.end, inTags = off, false
			if ind != 0 || bytes.HasPrefix(trimmed, []byte("-")) {
				return r, false
			}
		}
		line, off = line+1, next
	}
	if inTags {
		r.end = len(data)
	}
	return r, len(r.items) > 0
}

// isItem reports whether a line (without its indent) starts a list item.
func isItem(s []byte) bool { return len(s) == 1 && s[0] == '-' || bytes.HasPrefix(s, []byte("- ")) }

// decodeSplit decodes data with its tag list cut into pieces decoded in
// parallel. It returns errNoSplit, or any error, when the caller should
// decode data whole instead.
func decodeSplit(data []byte) (*yaml.Node, error) {
	pieces := runtime.GOMAXPROCS(0)
	if len(data) < splitMinSize || pieces < 2 {
		return nil, errNoSplit
	}
	r, ok := findTags(data)
	if !ok || len(r.items) < 2*splitMinItems {
		return nil, errNoSplit
	}
	pieces = min(pieces, len(r.items)/splitMinItems)
	// The rest of the file, with the items blanked out line for line so
	// that every line number stays where it was.
	head := make([]byte, 0, len(data)-(r.end-r.start)+bytes.Count(data[r.start:r.end], []byte("\n")))
	head = append(head, data[:r.start]...)
	head = append(head, bytes.Repeat([]byte("\n"), bytes.Count(data[r.start:r.end], []byte("\n")))...)
	head = append(head, data[r.end:]...)

	type result struct {
		items []*yaml.Node
		err   error
	}
	results := make([]result, pieces+1)
	var wg sync.WaitGroup
	for i := range pieces {
		from, to := i*len(r.items)/pieces, (i+1)*len(r.items)/pieces
		endOff := r.end
		if to < len(r.items) {
			endOff = r.items[to]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq, err := decodeDoc(data[r.items[from]:endOff])
			if err == nil && (seq.Kind != yaml.SequenceNode || len(seq.Content) != to-from) {
				err = errNoSplit
			}
			if err == nil {
				shift(seq, r.lines[from]-1)
				results[i].items = seq.Content
			}
			results[i].err = err
		}()
	}
	root, err := decodeDoc(head)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	var items []*yaml.Node
	for _, res := range results[:pieces] {
		if res.err != nil {
			return nil, res.err
		}
		items = append(items, res.items...)
	}
	if root.Kind != yaml.MappingNode {
		return nil, errNoSplit
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "tags" {
			v := root.Content[i+1]
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!null" || v.Anchor != "" {
				return nil, errNoSplit
			}
			root.Content[i+1] = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items,
				Line: items[0].Line, Column: items[0].Column - 2}
			return root, nil
		}
	}
	return nil, errNoSplit
}

// decodeDoc decodes data holding exactly one YAML document and returns its
// top node.
func decodeDoc(data []byte) (n *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil { // outside code: a bad file, not a crash
			n, err = nil, errNoSplit
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, next yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, errNoSplit // a second document, or an error after the first
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errNoSplit
	}
	return doc.Content[0], nil
}

// shift adds lines to the line number of n and every node under it.
func shift(n *yaml.Node, lines int) {
	n.Line += lines
	for _, c := range n.Content {
		shift(c, lines)
	}
}
