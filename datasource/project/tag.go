package project

import (
	"math"
	"runtime"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

// Tag defaults (docs/project-file.md).
const (
	DefaultType     = datasource.TypeFloat32
	DefaultDecimals = -1
)

// DefaultSpanMin and DefaultSpanMax are the display range of a tag with no
// span, scaling or limits.
const (
	DefaultSpanMin = 0
	DefaultSpanMax = 100
)

// tagSrc is a tag being compiled with the nodes its cross-checks need.
type tagSrc struct {
	tag           *datasource.Tag
	path          string
	deviceNode    *yaml.Node
	scanClassNode *yaml.Node
	wordOrderNode *yaml.Node
	writableNode  *yaml.Node
	alarms        []alarmSrc
}

// tags reads the tags list; duplicates are reported and dropped.
func (p *parser) tags(n *yaml.Node) []*tagSrc {
	items := p.sequence(n, "tags")
	srcs := p.tagItems(items)
	var out []*tagSrc
	seen := make(map[string]int, len(items))
	for i, ts := range srcs {
		if ts == nil {
			continue
		}
		if name := ts.tag.Name; name != "" {
			if line, dup := seen[name]; dup {
				p.errorf(items[i], join(ts.path, "name"), "tag %q is defined twice (first at line %d)", name, line)
				continue
			}
			seen[name] = ts.tag.Pos.Line
		}
		out = append(out, ts)
	}
	return out
}

// tagItems reads every item of the tag list (nil for an item that is not a
// mapping). Each tag is read on its own, so a long list is read in parallel
// pieces, each piece's problems collected apart and added in list order.
func (p *parser) tagItems(items []*yaml.Node) []*tagSrc {
	out := make([]*tagSrc, len(items))
	pieces := min(runtime.GOMAXPROCS(0), len(items)/splitMinItems)
	if pieces < 2 {
		for i, item := range items {
			out[i] = p.tag(item, itemPath("tags", i, item, tagNameRE))
		}
		return out
	}
	workers := make([]*parser, pieces)
	var wg sync.WaitGroup
	for w := range workers {
		q := &parser{file: p.file, dir: p.dir, lookupEnv: p.lookupEnv, readFile: p.readFile}
		workers[w] = q
		from, to := w*len(items)/pieces, (w+1)*len(items)/pieces
		wg.Go(func() {
			for i := from; i < to; i++ {
				out[i] = q.tag(items[i], itemPath("tags", i, items[i], tagNameRE))
			}
		})
	}
	wg.Wait()
	for _, q := range workers {
		for _, e := range q.errs {
			if len(p.errs) >= maxErrors {
				p.truncated = true
				break
			}
			p.errs = append(p.errs, e)
		}
		p.truncated = p.truncated || q.truncated
	}
	return out
}

// tag reads one tag and checks what can be checked without the others.
func (p *parser) tag(n *yaml.Node, path string) *tagSrc {
	m := p.mapping(n, path, "name", "description", "group", "device", "address", "type", "word_order",
		"length", "scaling", "units", "decimals", "span", "states", "writable", "limits", "critical",
		"scan_class", "history", "alarms", "calc")
	if m == nil {
		return nil
	}
	t := &datasource.Tag{
		Type:     DefaultType,
		Decimals: DefaultDecimals,
		History:  datasource.HistorySettings{Enabled: true},
		Pos:      p.pos(m.node),
	}
	ts := &tagSrc{tag: t, path: path, deviceNode: m.get("device"), scanClassNode: m.get("scan_class"), wordOrderNode: m.get("word_order"), writableNode: m.get("writable")}
	if v := m.get("name"); v != nil {
		if name, ok := p.name(v, m.field("name"), tagNameRE, "letters, digits, _, . and -"); ok {
			if strings.HasPrefix(name, "_") {
				p.errorf(v, m.field("name"), "%q may not start with _ (reserved for system tags such as %s)", name, datasource.ConnectedTagName("plc"))
			} else {
				t.Name = name
			}
		}
	} else {
		p.errorf(m.node, m.field("name"), "required")
	}
	if v := m.get("description"); v != nil {
		t.Description, _ = p.str(v, m.field("description"))
	}
	if v := m.get("group"); v != nil {
		t.Group, _ = p.str(v, m.field("group"))
	}
	if m.has("calc") {
		p.tagCalc(m, t)
	} else if v := m.get("device"); v != nil && !isNull(v) {
		if dev, ok := p.str(v, m.field("device")); ok && dev == "" {
			p.errorf(v, m.field("device"), "must not be empty")
		} else {
			t.Device = dev
		}
	} else {
		p.errorf(orNode(v, m.node), m.field("device"), "required: the name of a device")
	}
	if v := m.get("address"); v != nil {
		t.Address, _ = p.str(v, m.field("address"))
		t.AddressLine = int32(min(v.Line, math.MaxInt32))
	}
	if t.Address == "" && t.Calc == nil {
		p.errorf(orNode(m.get("address"), m.node), m.field("address"), "required: where the device holds the value")
	}
	typeOK := true
	if v := m.get("type"); v != nil {
		var s string
		if s, typeOK = p.enum(v, m.field("type"), datasource.DataTypeNames()...); typeOK {
			t.Type, _ = datasource.ParseDataType(s)
		}
	}
	if v := m.get("word_order"); v != nil {
		if w, ok := p.enum(v, m.field("word_order"), "ABCD", "CDAB", "BADC", "DCBA"); ok {
			t.WordOrder, _ = datasource.ParseWordOrder(w)
		}
	}
	p.tagLength(m, t, typeOK)
	p.tagScaling(m, t, typeOK)
	if v := m.get("units"); v != nil {
		t.Units, _ = p.str(v, m.field("units"))
	}
	if v := m.get("decimals"); v != nil {
		if d, ok := p.integer(v, m.field("decimals"), 0, 10); ok {
			t.Decimals = int(d)
		}
	}
	p.tagStates(m, t, typeOK)
	p.tagWrite(m, t, typeOK)
	p.tagSpan(m, t)
	if v := m.get("scan_class"); v != nil {
		t.ScanClass, _ = p.str(v, m.field("scan_class"))
	}
	if v := m.get("history"); v != nil {
		p.history(v, m.field("history"), t, typeOK)
	}
	if v := m.get("alarms"); v != nil {
		ts.alarms = p.alarms(v, m.field("alarms"), t, typeOK)
	}
	return ts
}

// tagLength reads length: required (> 0) for strings, not allowed otherwise.
func (p *parser) tagLength(m *mapping, t *datasource.Tag, typeOK bool) {
	v := m.get("length")
	if v != nil {
		if l, ok := p.integer(v, m.field("length"), 1, 65535); ok {
			t.Length = int(l)
		}
	}
	switch {
	case !typeOK:
	case t.Type == datasource.TypeString && v == nil:
		p.errorf(orNode(m.get("type"), m.node), m.field("length"), "required for type string: the number of registers (or characters)")
	case t.Type != datasource.TypeString && v != nil:
		p.errorf(m.key("length"), m.field("length"), "only for type string, this tag is %s", t.Type)
	}
}

// tagScaling reads scaling: {raw: [lo, hi], eng: [lo, hi]} for numeric tags.
func (p *parser) tagScaling(m *mapping, t *datasource.Tag, typeOK bool) {
	v := m.get("scaling")
	if v == nil {
		return
	}
	field := m.field("scaling")
	if typeOK && !t.Type.Numeric() {
		p.errorf(m.key("scaling"), field, "only for numeric tags, this tag is %s", t.Type)
		return
	}
	sm := p.mapping(v, field, "raw", "eng")
	if sm == nil {
		return
	}
	var raw, eng [2]float64
	var rawOK, engOK bool
	for _, k := range []string{"raw", "eng"} {
		if !sm.has(k) {
			p.errorf(sm.node, sm.field(k), "required: [low, high]")
		}
	}
	if sm.has("raw") {
		if raw, rawOK = p.pair(sm.get("raw"), sm.field("raw")); rawOK && raw[0] == raw[1] {
			p.errorf(sm.get("raw"), sm.field("raw"), "low and high must differ, both are %g", raw[0])
			rawOK = false
		}
	}
	if sm.has("eng") {
		if eng, engOK = p.pair(sm.get("eng"), sm.field("eng")); engOK && eng[0] == eng[1] {
			p.errorf(sm.get("eng"), sm.field("eng"), "low and high must differ, both are %g", eng[0])
			engOK = false
		}
	}
	if rawOK && engOK {
		t.Scaling = datasource.Scaling{RawLo: raw[0], RawHi: raw[1], EngLo: eng[0], EngHi: eng[1]}
	}
}

// tagStates reads states: {0: STOPPED, 1: RUNNING} for bool and integer tags.
func (p *parser) tagStates(m *mapping, t *datasource.Tag, typeOK bool) {
	v := m.get("states")
	if v == nil {
		return
	}
	field := m.field("states")
	if typeOK && (t.Type == datasource.TypeString || t.Type == datasource.TypeFloat32 || t.Type == datasource.TypeFloat64) {
		p.errorf(m.key("states"), field, "only for bool and integer tags, this tag is %s", t.Type)
		return
	}
	r := resolve(v)
	if r == nil || r.Kind != yaml.MappingNode {
		p.errorf(v, field, "must be a mapping of value: text, e.g. {0: STOPPED, 1: RUNNING}")
		return
	}
	t.States = make(map[int64]string, len(r.Content)/2)
	for i := 0; i+1 < len(r.Content); i += 2 {
		k, val := r.Content[i], r.Content[i+1]
		key, ok := p.integer(k, field, math.MinInt64, math.MaxInt64)
		if !ok {
			continue
		}
		kf := field + "[" + resolve(k).Value + "]"
		if _, dup := t.States[key]; dup {
			p.errorf(k, kf, "state %d is given twice", key)
			continue
		}
		if typeOK && t.Type == datasource.TypeBool && key != 0 && key != 1 {
			p.errorf(k, kf, "a bool tag has only states 0 and 1")
			continue
		}
		text, ok := p.str(val, kf)
		if ok && text == "" {
			p.errorf(val, kf, "state text must not be empty")
			continue
		}
		t.States[key] = text
	}
}

// tagWrite reads writable, limits and critical; limits and critical mean
// nothing on a tag that cannot be written.
func (p *parser) tagWrite(m *mapping, t *datasource.Tag, typeOK bool) {
	if v := m.get("writable"); v != nil {
		t.Writable, _ = p.boolean(v, m.field("writable"))
	}
	for _, k := range []string{"limits", "critical"} {
		if m.has(k) && !t.Writable {
			p.errorf(m.key(k), m.field(k), "only with writable: true")
		}
	}
	if v := m.get("critical"); v != nil {
		t.Critical, _ = p.boolean(v, m.field("critical"))
	}
	v := m.get("limits")
	if v == nil {
		return
	}
	if typeOK && !t.Type.Numeric() {
		p.errorf(m.key("limits"), m.field("limits"), "only for numeric tags, this tag is %s", t.Type)
		return
	}
	lim, ok := p.pair(v, m.field("limits"))
	if !ok {
		return
	}
	if lim[0] > lim[1] {
		p.errorf(v, m.field("limits"), "min %g is above max %g", lim[0], lim[1])
		return
	}
	t.WriteLimits = &datasource.Range{Min: lim[0], Max: lim[1]}
}

// tagSpan reads span, defaulting to the scaled range, then the write
// limits, then DefaultSpan.
func (p *parser) tagSpan(m *mapping, t *datasource.Tag) {
	switch {
	case !t.Scaling.IsIdentity():
		t.Span = datasource.Range{Min: math.Min(t.Scaling.EngLo, t.Scaling.EngHi), Max: math.Max(t.Scaling.EngLo, t.Scaling.EngHi)}
	case t.WriteLimits != nil && t.WriteLimits.Min < t.WriteLimits.Max:
		t.Span = *t.WriteLimits
	default:
		t.Span = datasource.Range{Min: DefaultSpanMin, Max: DefaultSpanMax}
	}
	v := m.get("span")
	if v == nil {
		return
	}
	sp, ok := p.pair(v, m.field("span"))
	if !ok {
		return
	}
	if sp[0] >= sp[1] {
		p.errorf(v, m.field("span"), "low %g must be below high %g", sp[0], sp[1])
		return
	}
	t.Span = datasource.Range{Min: sp[0], Max: sp[1]}
}

// history reads history: false, true, or {enabled, deadband, max_interval,
// interpolation}.
func (p *parser) history(n *yaml.Node, field string, t *datasource.Tag, typeOK bool) {
	if r := resolve(n); r != nil && r.Kind == yaml.ScalarNode {
		t.History.Enabled, _ = p.boolean(n, field)
		return
	}
	m := p.mapping(n, field, "enabled", "deadband", "max_interval", "interpolation")
	if m == nil {
		return
	}
	if v := m.get("enabled"); v != nil {
		if e, ok := p.boolean(v, m.field("enabled")); ok {
			t.History.Enabled = e
		}
	}
	if v := m.get("deadband"); v != nil {
		if d, ok := p.nonNegative(v, m.field("deadband")); ok {
			if d > 0 && typeOK && !t.Type.Numeric() {
				p.errorf(v, m.field("deadband"), "only for numeric tags, this tag is %s", t.Type)
			} else {
				t.History.Deadband = d
			}
		}
	}
	if v := m.get("max_interval"); v != nil {
		t.History.MaxInterval, _ = p.duration(v, m.field("max_interval"), false)
	}
	if v := m.get("interpolation"); v != nil {
		switch s, _ := p.enum(v, m.field("interpolation"), "step", "linear"); s {
		case "step":
			t.History.Interpolation = datasource.InterpolationStep
		case "linear":
			t.History.Interpolation = datasource.InterpolationLinear
		}
	}
}
