package opcua

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

// BrowseNode is one node of the address space as Browse found it.
type BrowseNode struct {
	Depth      int    // 0 for the start node
	Path       string // browse names below the start node joined by ".", e.g. "Tank1.Level"
	NodeID     string // "ns=2;s=Tank1.Level"
	BrowseName string
	NodeClass  string // "Object", "Variable", "Method", ...
	// Variables only:
	DataType string              // built-in type name ("Double"), else the DataType NodeID
	Array    bool                // the value is an array
	Access   string              // "r", "w", "rw", "" (no value access) or "?" (not reported)
	Type     datasource.DataType // the project-file type to read it as
}

// MaxBrowseNodes bounds what one Browse returns, so that a huge address
// space does not exhaust memory; the tree is cut there.
const MaxBrowseNodes = 20000

// Browse walks the address space from root (a NodeID, "" for the Objects
// folder ns=0;i=85) down depth levels of hierarchical references, depth
// first, and returns the nodes in tree order. It needs a connected driver.
func (d *Driver) Browse(ctx context.Context, root string, depth int) ([]BrowseNode, error) {
	if root == "" {
		root = "i=85"
	}
	rid, err := parseAddress(root)
	if err != nil {
		return nil, fmt.Errorf("device %q: browse: start node: %w", d.dev.Name, err)
	}
	cn, err := d.current()
	if err != nil {
		return nil, err
	}
	b := &browser{d: d, cn: cn, seen: map[string]bool{}}
	start := BrowseNode{NodeID: rid.String()}
	if err := b.describe(ctx, rid, &start); err != nil {
		return nil, err
	}
	b.out = append(b.out, start)
	b.seen[rid.String()] = true
	if err := b.walk(ctx, rid, "", 1, depth); err != nil {
		return b.out, err
	}
	return b.out, nil
}

type browser struct {
	d    *Driver
	cn   *conn
	seen map[string]bool
	out  []BrowseNode
}

// describe reads a node's browse name and class, and its type and access
// when it is a variable.
func (b *browser) describe(ctx context.Context, nid *ua.NodeID, n *BrowseNode) error {
	res, err := b.read(ctx, nid, ua.AttributeIDBrowseName, ua.AttributeIDNodeClass)
	if err != nil {
		return err
	}
	if res[0].Status == ua.StatusBadNodeIDUnknown {
		return &StatusError{Device: b.d.dev.Name, Tag: "(browse)", NodeID: nid.String(), Op: "browse", Code: res[0].Status}
	}
	if q, ok := res[0].Value.Value().(*ua.QualifiedName); ok && q != nil {
		n.BrowseName = q.Name
	}
	if c, ok := res[1].Value.Value().(int32); ok {
		n.NodeClass = className(ua.NodeClass(c))
		if ua.NodeClass(c) == ua.NodeClassVariable {
			return b.variable(ctx, nid, n)
		}
	}
	return nil
}

func (b *browser) read(ctx context.Context, nid *ua.NodeID, attrs ...ua.AttributeID) ([]*ua.DataValue, error) {
	req := &ua.ReadRequest{}
	for _, a := range attrs {
		req.NodesToRead = append(req.NodesToRead, &ua.ReadValueID{NodeID: nid, AttributeID: a})
	}
	rctx, cancel := context.WithTimeout(ctx, b.d.timeout())
	defer cancel()
	res, err := b.cn.c.Read(rctx, req)
	if err == nil && len(res.Results) != len(attrs) {
		err = fmt.Errorf("server answered %d results for %d attributes", len(res.Results), len(attrs))
	}
	if err != nil {
		return nil, b.d.fail(b.cn, "browse: read "+nid.String(), err)
	}
	for _, r := range res.Results {
		if r.Value == nil {
			r.Value = ua.MustVariant(nil)
		}
	}
	return res.Results, nil
}

// variable fills in a variable's data type, array-ness and access.
func (b *browser) variable(ctx context.Context, nid *ua.NodeID, n *BrowseNode) error {
	res, err := b.read(ctx, nid, ua.AttributeIDDataType, ua.AttributeIDValueRank, ua.AttributeIDAccessLevel, ua.AttributeIDValue)
	if err != nil {
		return err
	}
	var typ ua.TypeID
	switch x := res[0].Value.Value().(type) {
	case *ua.NodeID:
		typ, n.DataType = builtinOf(x), x.String()
	case *ua.ExpandedNodeID:
		if x != nil && x.NodeID != nil {
			typ, n.DataType = builtinOf(x.NodeID), x.NodeID.String()
		}
	}
	if r, ok := res[1].Value.Value().(int32); ok && r >= 1 {
		n.Array = true
	}
	if v := res[3].Value; res[3].Status&0x80000000 == 0 && v.Type() != ua.TypeIDNull {
		if v.ArrayLength() > 0 || len(v.ArrayDimensions()) > 0 {
			n.Array = true
		}
		if typ == 0 { // an odd DataType: trust the value's own type
			typ = v.Type()
		}
	}
	if typ != 0 {
		n.DataType = typeName(typ)
	}
	if a, ok := res[2].Value.Value().(uint8); !ok {
		n.Access = "?" // the server did not say
	} else {
		if a&uint8(ua.AccessLevelTypeCurrentRead) != 0 {
			n.Access += "r"
		}
		if a&uint8(ua.AccessLevelTypeCurrentWrite) != 0 {
			n.Access += "w"
		}
	}
	n.Type = vigilType(typ, n.Array)
	return nil
}

func (b *browser) walk(ctx context.Context, parent *ua.NodeID, path string, level, depth int) error {
	if level > depth {
		return nil
	}
	refs, err := b.children(ctx, parent)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if len(b.out) >= MaxBrowseNodes {
			return fmt.Errorf("device %q: browse: stopped after %d nodes; start lower with --node", b.d.dev.Name, MaxBrowseNodes)
		}
		if r.NodeID == nil || r.NodeID.NodeID == nil || r.NodeID.ServerIndex != 0 {
			continue
		}
		nid := r.NodeID.NodeID
		if b.seen[nid.String()] {
			continue
		}
		b.seen[nid.String()] = true
		n := BrowseNode{Depth: level, NodeID: nid.String(), NodeClass: className(r.NodeClass)}
		if r.BrowseName != nil {
			n.BrowseName = r.BrowseName.Name
		}
		n.Path = n.BrowseName
		if path != "" {
			n.Path = path + "." + n.BrowseName
		}
		if r.NodeClass == ua.NodeClassVariable {
			if err := b.variable(ctx, nid, &n); err != nil {
				return err
			}
		}
		b.out = append(b.out, n)
		if err := b.walk(ctx, nid, n.Path, level+1, depth); err != nil {
			return err
		}
	}
	return nil
}

// children returns the forward hierarchical references of a node,
// following continuation points.
func (b *browser) children(ctx context.Context, nid *ua.NodeID) ([]*ua.ReferenceDescription, error) {
	req := &ua.BrowseRequest{
		View:                          &ua.ViewDescription{ViewID: ua.NewTwoByteNodeID(0)},
		RequestedMaxReferencesPerNode: 1000,
		NodesToBrowse: []*ua.BrowseDescription{{
			NodeID:          nid,
			BrowseDirection: ua.BrowseDirectionForward,
			ReferenceTypeID: ua.NewNumericNodeID(0, id.HierarchicalReferences),
			IncludeSubtypes: true, // also avoids a loop in gopcua's server for false
			ResultMask:      uint32(ua.BrowseResultMaskAll),
		}},
	}
	bctx, cancel := context.WithTimeout(ctx, b.d.timeout())
	defer cancel()
	res, err := b.cn.c.Browse(bctx, req)
	if err == nil && len(res.Results) != 1 {
		err = errors.New("server answered no browse result")
	}
	if err != nil {
		return nil, b.d.fail(b.cn, "browse "+nid.String(), err)
	}
	r := res.Results[0]
	if r.StatusCode&0x80000000 != 0 {
		return nil, nil // a node that cannot be browsed has no children to show
	}
	refs := r.References
	for cp := r.ContinuationPoint; len(cp) > 0; {
		next, err := b.cn.c.BrowseNext(bctx, &ua.BrowseNextRequest{ContinuationPoints: [][]byte{cp}})
		if err != nil || len(next.Results) != 1 {
			break // keep what was found
		}
		refs = append(refs, next.Results[0].References...)
		cp = next.Results[0].ContinuationPoint
	}
	return refs, nil
}

func className(c ua.NodeClass) string {
	return strings.TrimPrefix(c.String(), "NodeClass")
}

// WriteTree prints nodes as an indented tree: NodeID, browse name, class,
// and for variables data type and access.
func WriteTree(w io.Writer, nodes []BrowseNode) error {
	for _, n := range nodes {
		line := fmt.Sprintf("%s%s  %s  %s", strings.Repeat("  ", n.Depth), n.NodeID, n.BrowseName, n.NodeClass)
		if n.NodeClass == "Variable" {
			dt := n.DataType
			if n.Array {
				dt += "[]"
			}
			access := n.Access
			if access == "" {
				access = "-"
			}
			line += fmt.Sprintf("  %s  %s", dt, access)
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// tagEntry is one tag of the project file, as WriteYAML emits it.
type tagEntry struct {
	Name     string `yaml:"name"`
	Device   string `yaml:"device"`
	Address  string `yaml:"address"`
	Type     string `yaml:"type"`
	Writable bool   `yaml:"writable,omitempty"`
}

var nameInvalid = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// WriteYAML emits a project-file tags: section with one entry per variable
// of nodes, for device: name from the browse path, address the NodeID, type
// from the data type (arrays and non-numeric types as string), writable when
// the node's access level allows writing.
func WriteYAML(w io.Writer, device string, nodes []BrowseNode) error {
	var tags []tagEntry
	used := map[string]int{}
	for _, n := range nodes {
		if n.NodeClass != "Variable" {
			continue
		}
		name := strings.Trim(nameInvalid.ReplaceAllString(n.Path, "_"), ".")
		if name == "" {
			name = strings.Trim(nameInvalid.ReplaceAllString(n.NodeID, "_"), ".")
		}
		if strings.HasPrefix(name, "_") {
			name = "n" + name
		}
		if used[name]++; used[name] > 1 {
			name = fmt.Sprintf("%s_%d", name, used[name])
		}
		tags = append(tags, tagEntry{Name: name, Device: device, Address: n.NodeID, Type: n.Type.String(), Writable: strings.Contains(n.Access, "w")})
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(map[string][]tagEntry{"tags": tags}); err != nil {
		return err
	}
	return enc.Close()
}
