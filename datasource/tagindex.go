package datasource

import (
	"slices"
	"strings"
)

// TagIndex finds the tags of a list by name. It is the list's positions
// sorted by name, searched by bisection: 4 bytes a tag, where a
// map[string]*Tag takes about 40, and a lookup compares about 17 names at
// 100,000 tags. It is for the lookups that are rare once a project runs (an
// operator's write, a command naming a tag); the loader's own linking, a
// lookup per reference, keeps a map while it runs.
//
// The zero TagIndex finds nothing. A TagIndex does not change and may be
// shared.
type TagIndex struct {
	tags []*Tag
	pos  []uint32 // positions in tags, by name (then by position)
}

// NewTagIndex indexes tags by name; tags is kept, not copied, and must not
// change. nil entries and tags without a name are skipped. Of two tags with the same name, Lookup
// finds the later, as a map filled in order would.
func NewTagIndex(tags []*Tag) TagIndex {
	pos := make([]uint32, 0, len(tags))
	for i, t := range tags {
		if t != nil && t.Name != "" {
			pos = append(pos, uint32(i))
		}
	}
	slices.SortFunc(pos, func(a, b uint32) int {
		if c := strings.Compare(tags[a].Name, tags[b].Name); c != 0 {
			return c
		}
		return int(a) - int(b)
	})
	return TagIndex{tags: tags, pos: pos}
}

// Lookup returns the tag named name.
func (x TagIndex) Lookup(name string) (*Tag, bool) {
	// the first position whose name is after name; the one before it, if
	// it has the name, is the last tag of that name
	i, _ := slices.BinarySearchFunc(x.pos, name, func(p uint32, name string) int {
		if x.tags[p].Name <= name {
			return -1
		}
		return 1
	})
	if i == 0 {
		return nil, false
	}
	if t := x.tags[x.pos[i-1]]; t.Name == name {
		return t, true
	}
	return nil, false
}
