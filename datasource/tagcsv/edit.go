package tagcsv

import "go.yaml.in/yaml/v3"

// editor changes a project's YAML node tree in place. It keeps anchors and
// aliases right: a node about to change, leave or be replaced that other
// parts of the file refer to with an alias is first copied into those
// aliases, so that no other tag changes with it and no alias is left without
// its anchor.
type editor struct {
	root     *yaml.Node // the document node
	detached bool       // an alias was turned into a copy: text outside the edited tags changed
}

// own returns the node in *slot ready to be changed in place: an alias is
// replaced by a copy of what it names, and the aliases of an anchored node
// are turned into copies first.
func (e *editor) own(slot **yaml.Node) *yaml.Node {
	n := *slot
	if n.Kind == yaml.AliasNode {
		c := clone(resolve(n))
		c.HeadComment, c.LineComment, c.FootComment = n.HeadComment, n.LineComment, n.FootComment
		*slot = c
		return c
	}
	if n.Anchor != "" {
		e.detach(n)
	}
	return n
}

// release prepares subtree n to leave the tree: aliases elsewhere of the
// anchors inside it become copies.
func (e *editor) release(n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Anchor != "" {
		e.detach(n)
	}
	for _, c := range n.Content {
		if c.Kind != yaml.AliasNode {
			e.release(c)
		}
	}
}

// detach turns every alias of target in the document into a copy of target.
func (e *editor) detach(target *yaml.Node) {
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for _, c := range n.Content {
			if c.Kind == yaml.AliasNode {
				if c.Alias == target {
					cp := clone(target)
					cp.HeadComment, cp.LineComment, cp.FootComment = c.HeadComment, c.LineComment, c.FootComment
					*c = *cp
					e.detached = true
				}
				continue
			}
			walk(c)
		}
	}
	walk(e.root)
}

// mapSet sets key of mapping m (owned) to val. An existing value is
// replaced where it stands, keeping its comments and its quoting style; a
// new key goes after the keys that precede it in order.
func (e *editor) mapSet(m *yaml.Node, key string, val *yaml.Node, order []string) {
	if i := mapIndex(m, key); i >= 0 {
		old := m.Content[i+1]
		val.HeadComment, val.LineComment, val.FootComment = old.HeadComment, old.LineComment, old.FootComment
		if r := resolve(old); r != nil && r.Kind == yaml.ScalarNode && val.Kind == yaml.ScalarNode &&
			r.ShortTag() == val.Tag && val.Style == 0 {
			val.Style = r.Style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)
		}
		e.release(old)
		m.Content[i+1] = val
		return
	}
	rank := keyRank(order, key)
	pos := 0
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := resolve(m.Content[i]); k != nil && keyRank(order, k.Value) < rank {
			pos = i + 2
		}
	}
	kn := scalar("!!str", key)
	m.Content = append(m.Content, nil, nil)
	copy(m.Content[pos+2:], m.Content[pos:])
	m.Content[pos], m.Content[pos+1] = kn, val
}

// mapDel removes key from mapping m (owned). A comment above the key moves
// to the next key, so a section comment is not lost with the field.
func (e *editor) mapDel(m *yaml.Node, key string) {
	i := mapIndex(m, key)
	if i < 0 {
		return
	}
	k, v := m.Content[i], m.Content[i+1]
	if k.HeadComment != "" {
		if i+2 < len(m.Content) {
			next := m.Content[i+2]
			next.HeadComment = joinComments(k.HeadComment, next.HeadComment)
		} else {
			m.FootComment = joinComments(k.HeadComment, m.FootComment)
		}
	}
	e.release(v)
	m.Content = append(m.Content[:i], m.Content[i+2:]...)
}

// joinComments joins two comment blocks.
func joinComments(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}
