package tagcsv

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// row is one tag as a CSV row asks for it.
type row struct {
	num   int // the spreadsheet row, for messages
	cells [numCols]string
	has   uint64 // bit c: the CSV gives column c; a column it does not give keeps the file's value
}

// given reports whether the row gives column c.
func (r *row) given(c int) bool { return r.has&(1<<uint(c)) != 0 }

// set gives column c the value s.
func (r *row) set(c int, s string) {
	r.cells[c] = s
	r.has |= 1 << uint(c)
}

// applier edits tags to say what rows say.
type applier struct {
	ed   *editor
	cr   cellReader
	errs *collector
}

// historyKeys are the fields of the history mapping, in order.
var historyKeys = []string{"enabled", "deadband", "max_interval"}

// apply makes tag mapping t (owned) say what w says. cur are t's cells
// before. It returns the names of the columns that changed, or nil when
// nothing changed or the row is bad (its problems are collected; t is then
// left as it was).
func (a *applier) apply(t *yaml.Node, cur *[numCols]string, w *row) []string {
	var eff [numCols]string
	var diff [numCols]bool
	var changed []string
	for c := 0; c < numCols; c++ {
		eff[c] = cur[c]
		if w.given(c) {
			eff[c] = w.cells[c]
		}
		if c != cName && !a.cr.same(c, cur[c], eff[c]) {
			diff[c] = true
			changed = append(changed, columns[c].name)
		}
	}
	if changed == nil {
		return nil
	}
	if !a.check(w.num, &eff, &diff) {
		return nil
	}
	node := func(c int) *yaml.Node {
		n, msg := a.cr.valueNode(c, eff[c])
		if msg != "" { // a value the file already had in a form the cells do not use
			return scalar("", strings.TrimSpace(eff[c]))
		}
		return n
	}
	for c, key := range simpleKeys {
		switch {
		case !diff[c]:
		case eff[c] == "":
			a.ed.mapDel(t, key)
		default:
			a.ed.mapSet(t, key, node(c), tagKeyOrder)
		}
	}
	a.applyScaling(t, &eff, &diff, node)
	a.applyPair(t, "span", cSpanLo, cSpanHi, &eff, &diff, node)
	a.applyPair(t, "limits", cLimitsMin, cLimitsMax, &eff, &diff, node)
	if diff[cStates] {
		if eff[cStates] == "" {
			a.ed.mapDel(t, "states")
		} else {
			a.ed.mapSet(t, "states", node(cStates), tagKeyOrder)
		}
	}
	a.applyHistory(t, &eff, &diff, node)
	a.applyAlarms(t, &eff, &diff, node)
	if diff[cCalc] {
		if eff[cCalc] == "" {
			a.ed.mapDel(t, "calc")
		} else {
			a.ed.mapSet(t, "calc", node(cCalc), tagKeyOrder)
		}
	}
	return changed
}

// check validates the cells that change; false when the row is bad.
func (a *applier) check(num int, eff *[numCols]string, diff *[numCols]bool) bool {
	before := len(a.errs.errs)
	for c := 0; c < numCols; c++ {
		if !diff[c] || eff[c] == "" || columns[c].kind == kAlarms {
			continue
		}
		if _, msg := a.cr.valueNode(c, eff[c]); msg != "" {
			a.errs.add(num, columns[c].name, msg)
		}
	}
	for _, g := range groups {
		empty, changed := 0, false
		for _, c := range g {
			if eff[c] == "" {
				empty++
			}
			changed = changed || diff[c]
		}
		if changed && empty > 0 && empty < len(g) {
			names := make([]string, len(g))
			for i, c := range g {
				names[i] = columns[c].name
			}
			a.errs.add(num, columns[g[0]].name, "give all of "+strings.Join(names, ", ")+" or none")
		}
	}
	alarmsChanged := diff[cAlarms]
	for k := range limitKinds {
		limit := alarmCol(k, afLimit)
		for f := range alarmFields {
			c := alarmCol(k, f)
			alarmsChanged = alarmsChanged || diff[c]
			if diff[c] && f != afLimit && eff[c] != "" && eff[limit] == "" {
				a.errs.add(num, columns[c].name, "given without "+columns[limit].name+": a "+limitKinds[k]+" alarm needs its limit")
			}
		}
	}
	if alarmsChanged && eff[cAlarms] != "" {
		seq, err := parseAlarms(eff[cAlarms])
		if err != nil {
			a.errs.add(num, columns[cAlarms].name, err.Error())
		} else {
			for _, al := range seq.Content {
				kind, _ := scalarText(mapGet(al, "kind"))
				for k, kn := range limitKinds {
					if kind == kn && mapGet(al, "name") == nil && eff[alarmCol(k, afLimit)] != "" {
						a.errs.add(num, columns[cAlarms].name, fmt.Sprintf("an unnamed %s alarm is here and in the %s_* columns; give this one a name or use only the columns", kn, kn))
					}
				}
			}
		}
	}
	return len(a.errs.errs) == before && !a.errs.full
}

// applyScaling writes the scaling columns: {raw: [lo, hi], eng: [lo, hi]}.
func (a *applier) applyScaling(t *yaml.Node, eff *[numCols]string, diff *[numCols]bool, node func(int) *yaml.Node) {
	if !diff[cRawLo] && !diff[cRawHi] && !diff[cEngLo] && !diff[cEngHi] {
		return
	}
	if eff[cRawLo] == "" {
		a.ed.mapDel(t, "scaling")
		return
	}
	if i := mapIndex(t, "scaling"); i >= 0 {
		if s := resolve(t.Content[i+1]); s.Kind == yaml.MappingNode && isPair(mapGet(s, "raw")) && isPair(mapGet(s, "eng")) {
			s = a.ed.own(&t.Content[i+1])
			a.applyPair(s, "raw", cRawLo, cRawHi, eff, diff, node)
			a.applyPair(s, "eng", cEngLo, cEngHi, eff, diff, node)
			return
		}
	}
	m := flowMap()
	m.Content = append(m.Content, scalar("!!str", "raw"), flowPair(node(cRawLo), node(cRawHi)),
		scalar("!!str", "eng"), flowPair(node(cEngLo), node(cEngHi)))
	a.ed.mapSet(t, "scaling", m, tagKeyOrder)
}

// isPair reports whether n is a list of two scalars.
func isPair(n *yaml.Node) bool {
	if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		return false
	}
	for _, x := range n.Content {
		if r := resolve(x); r == nil || r.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

// applyPair writes key of mapping m as the pair [eff[lo], eff[hi]], changing
// only the numbers that changed when the pair is there already.
func (a *applier) applyPair(m *yaml.Node, key string, lo, hi int, eff *[numCols]string, diff *[numCols]bool, node func(int) *yaml.Node) {
	if !diff[lo] && !diff[hi] {
		return
	}
	if eff[lo] == "" {
		a.ed.mapDel(m, key)
		return
	}
	order := tagKeyOrder
	if key == "raw" || key == "eng" {
		order = []string{"raw", "eng"}
	}
	if i := mapIndex(m, key); i >= 0 && isPair(resolve(m.Content[i+1])) {
		p := a.ed.own(&m.Content[i+1])
		for j, c := range []int{lo, hi} {
			if diff[c] {
				old := p.Content[j]
				n := node(c)
				n.LineComment = old.LineComment
				a.ed.release(old)
				p.Content[j] = n
			}
		}
		return
	}
	a.ed.mapSet(m, key, flowPair(node(lo), node(hi)), order)
}

// applyHistory writes the history columns: `history: BOOL` when only the
// switch is given, else the mapping form.
func (a *applier) applyHistory(t *yaml.Node, eff *[numCols]string, diff *[numCols]bool, node func(int) *yaml.Node) {
	cols := []int{cHistory, cHistDeadband, cHistMaxInterval}
	if !diff[cHistory] && !diff[cHistDeadband] && !diff[cHistMaxInterval] {
		return
	}
	if i := mapIndex(t, "history"); i >= 0 && resolve(t.Content[i+1]).Kind == yaml.MappingNode {
		h := a.ed.own(&t.Content[i+1])
		for j, c := range cols {
			switch {
			case !diff[c]:
			case eff[c] == "":
				a.ed.mapDel(h, historyKeys[j])
			default:
				a.ed.mapSet(h, historyKeys[j], node(c), historyKeys)
			}
		}
		if len(h.Content) == 0 {
			a.ed.mapDel(t, "history")
		}
		return
	}
	switch {
	case eff[cHistDeadband] == "" && eff[cHistMaxInterval] == "" && eff[cHistory] == "":
		a.ed.mapDel(t, "history")
	case eff[cHistDeadband] == "" && eff[cHistMaxInterval] == "":
		a.ed.mapSet(t, "history", node(cHistory), tagKeyOrder)
	default:
		h := flowMap()
		for j, c := range cols {
			if eff[c] != "" {
				h.Content = append(h.Content, scalar("!!str", historyKeys[j]), node(c))
			}
		}
		a.ed.mapSet(t, "history", h, tagKeyOrder)
	}
}

// applyAlarms writes the alarms column, then the limit-alarm columns.
func (a *applier) applyAlarms(t *yaml.Node, eff *[numCols]string, diff *[numCols]bool, node func(int) *yaml.Node) {
	seq := func(create bool) *yaml.Node {
		i := mapIndex(t, "alarms")
		if i >= 0 && resolve(t.Content[i+1]).Kind == yaml.SequenceNode {
			return a.ed.own(&t.Content[i+1])
		}
		if !create {
			return nil
		}
		s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		a.ed.mapSet(t, "alarms", s, tagKeyOrder)
		return s
	}
	if diff[cAlarms] {
		var want []*yaml.Node
		if eff[cAlarms] != "" {
			p, _ := parseAlarms(eff[cAlarms]) // checked
			want = p.Content
		}
		if s := seq(len(want) > 0); s != nil {
			var seen [len(limitKinds)]bool
			var out []*yaml.Node
			j := 0
			for _, al := range s.Content {
				if k := columnarKind(al); k >= 0 && !seen[k] {
					seen[k] = true
					out = append(out, al)
					continue
				}
				if j >= len(want) {
					a.ed.release(al)
					continue
				}
				old, _ := flowText(al)
				now, _ := flowText(want[j])
				if old == now {
					out = append(out, al)
				} else {
					a.ed.release(al)
					setFlow(want[j])
					out = append(out, want[j])
				}
				j++
			}
			for ; j < len(want); j++ {
				setFlow(want[j])
				out = append(out, want[j])
			}
			s.Content = out
		}
	}
	for k, kn := range limitKinds {
		changed := false
		for f := range alarmFields {
			changed = changed || diff[alarmCol(k, f)]
		}
		if !changed {
			continue
		}
		s := seq(eff[alarmCol(k, afLimit)] != "")
		if s == nil {
			continue
		}
		idx := -1
		var seen [len(limitKinds)]bool
		for i, al := range s.Content {
			if ck := columnarKind(al); ck >= 0 && !seen[ck] {
				seen[ck] = true
				if ck == k {
					idx = i
					break
				}
			}
		}
		switch {
		case eff[alarmCol(k, afLimit)] == "":
			if idx >= 0 {
				a.ed.release(s.Content[idx])
				s.Content = append(s.Content[:idx], s.Content[idx+1:]...)
			}
		case idx >= 0:
			al := a.ed.own(&s.Content[idx])
			for f, key := range alarmFields {
				c := alarmCol(k, f)
				switch {
				case !diff[c]:
				case eff[c] == "":
					a.ed.mapDel(al, key)
				default:
					a.ed.mapSet(al, key, node(c), alarmKeyOrder)
				}
			}
		default:
			al := flowMap()
			al.Content = append(al.Content, scalar("!!str", "kind"), scalar("!!str", kn))
			for _, key := range alarmKeyOrder {
				if f := keyRank(alarmFields[:], key); f < len(alarmFields) && eff[alarmCol(k, f)] != "" {
					al.Content = append(al.Content, scalar("!!str", key), node(alarmCol(k, f)))
				}
			}
			pos := len(s.Content)
			for i, x := range s.Content {
				r := columnarKind(x)
				if r < 0 {
					r = len(limitKinds)
				}
				if r > k {
					pos = i
					break
				}
			}
			s.Content = append(s.Content, nil)
			copy(s.Content[pos+1:], s.Content[pos:])
			s.Content[pos] = al
		}
	}
	touched := diff[cAlarms]
	for c := cAlarmGroups; c < cAlarms; c++ {
		touched = touched || diff[c]
	}
	if i := mapIndex(t, "alarms"); i >= 0 && touched {
		if s := resolve(t.Content[i+1]); s.Kind == yaml.SequenceNode && len(s.Content) == 0 {
			a.ed.mapDel(t, "alarms")
		}
	}
}
