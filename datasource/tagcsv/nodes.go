package tagcsv

import (
	"bytes"
	"strings"

	"go.yaml.in/yaml/v3"
)

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// mapIndex returns the index in m.Content of key's key node, or -1.
func mapIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := resolve(m.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			return i
		}
	}
	return -1
}

// mapGet returns the (resolved) value of key in mapping m, or nil.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	if i := mapIndex(m, key); i >= 0 {
		return resolve(m.Content[i+1])
	}
	return nil
}

// isNull reports whether n is a YAML null.
func isNull(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// scalarText returns the text of scalar n as written ("" for null), and
// false when n is not a scalar.
func scalarText(n *yaml.Node) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	if isNull(n) {
		return "", true
	}
	return n.Value, true
}

// scalar makes a scalar node with the given tag ("!!str", "!!int", ...).
// Strings that would read as something else are quoted by the encoder.
func scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

// flowMap makes an empty flow-style mapping.
func flowMap() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
}

// flowPair makes the flow list [a, b].
func flowPair(a, b *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Content: []*yaml.Node{a, b}}
}

// clone copies n deeply. Aliases inside stay aliases of the same anchors;
// the copy carries no anchor of its own.
func clone(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Anchor = ""
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, x := range n.Content {
			c.Content[i] = clone(x)
			if x.Anchor != "" {
				c.Content[i].Anchor = "" // an anchor may be defined once
			}
		}
	}
	return &c
}

// stripComments removes every comment in n (for the compact flow text of a
// cell, where a comment would end the line).
func stripComments(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		stripComments(c)
	}
}

// setFlow makes n and everything in it flow style.
func setFlow(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style |= yaml.FlowStyle
	}
	for _, c := range n.Content {
		setFlow(c)
	}
}

// flowText renders n on one line as YAML flow text, without comments. The
// encoder breaks long lines; in flow context a line break is a space, so the
// breaks are joined back.
func flowText(n *yaml.Node) (string, error) {
	c := derefAll(n)
	stripComments(c)
	setFlow(c)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	if err := enc.Encode(c); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	s := strings.TrimRight(b.String(), "\n")
	if strings.Contains(s, "\n") {
		lines := strings.Split(s, "\n")
		for i := range lines {
			if i > 0 {
				lines[i] = strings.TrimLeft(lines[i], " ")
			}
		}
		s = strings.Join(lines, " ")
	}
	return s, nil
}

// derefAll copies n with every alias replaced by a copy of what it names, so
// that the copy can be rendered on its own.
func derefAll(n *yaml.Node) *yaml.Node {
	n = resolve(n)
	if n == nil {
		return nil
	}
	c := *n
	c.Anchor = ""
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, x := range n.Content {
			c.Content[i] = derefAll(x)
		}
	}
	return &c
}

// keyRank returns the position of key in order (len(order) when absent).
func keyRank(order []string, key string) int {
	for i, k := range order {
		if k == key {
			return i
		}
	}
	return len(order)
}
