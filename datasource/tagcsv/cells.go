package tagcsv

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// cellReader reads cells. comma is true for files from a spreadsheet that
// writes decimal commas (the ones that separate cells with ';').
type cellReader struct {
	comma bool
}

// number parses a number cell: a decimal ("95", "-0.5", "1e3"), a YAML
// integer as a project file may hold it ("0x1F"), or with a decimal comma
// ("0,5") in a ';'-separated file.
func (cr cellReader) number(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if cr.comma && strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) &&
		!strings.ContainsAny(s, "xXpP_") && !strings.EqualFold(strings.TrimLeft(s, "+-"), "inf") {
		return f, true
	}
	if i, err := strconv.ParseInt(s, 0, 64); err == nil && !strings.Contains(s, "_") {
		return float64(i), true
	}
	return 0, false
}

// integer parses an integer cell; "2.0" (a spreadsheet's idea of 2) is 2.
func (cr cellReader) integer(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, true
	}
	f, ok := cr.number(s)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// boolean parses true/false in any case, or 1/0.
func boolean(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// enum returns the canonical spelling of word among words (any case).
func enum(words []string, s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, w := range words {
		if strings.EqualFold(w, s) {
			return w, true
		}
	}
	return "", false
}

// same reports whether two cells of column c say the same: equal text, or
// equal values (95 and 95.0, TRUE and true, 60s and 1m).
func (cr cellReader) same(c int, a, b string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" {
		return false
	}
	switch columns[c].kind {
	case kName:
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	case kNumber, kInteger:
		x, ok1 := cr.number(a)
		y, ok2 := cr.number(b)
		return ok1 && ok2 && x == y
	case kBool:
		x, ok1 := boolean(a)
		y, ok2 := boolean(b)
		return ok1 && ok2 && x == y
	case kDuration:
		x, err1 := time.ParseDuration(strings.TrimSpace(a))
		y, err2 := time.ParseDuration(strings.TrimSpace(b))
		return err1 == nil && err2 == nil && x == y
	case kEnum:
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	case kStates:
		x, err1 := parseStates(a)
		y, err2 := parseStates(b)
		return err1 == nil && err2 == nil && sameStates(x, y)
	case kAlarms:
		x, err1 := alarmsText(a)
		y, err2 := alarmsText(b)
		return err1 == nil && err2 == nil && x == y
	case kCalc:
		x, err1 := parseCalc(a)
		y, err2 := parseCalc(b)
		if err1 != nil || err2 != nil {
			return false
		}
		tx, _ := flowText(x)
		ty, _ := flowText(y)
		return tx == ty
	}
	return false
}

// parseCalc reads a calc cell: an expression, or, starting with {, a YAML
// flow mapping such as {counter: Meter1.Energy, reset: daily}. The project
// loader checks what it says.
func parseCalc(s string) (*yaml.Node, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") {
		return scalar("!!str", s), nil
	}
	m, err := flowCell(s, yaml.MappingNode, "an expression or a YAML mapping such as {counter: Meter1.Energy, reset: daily}")
	if err != nil {
		return nil, err
	}
	setFlow(m)
	return m, nil
}

var plainDecimal = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// valueNode checks cell s (not empty) of column c and returns the YAML value
// to write, or a message saying what is wrong.
func (cr cellReader) valueNode(c int, s string) (*yaml.Node, string) {
	col := columns[c]
	switch col.kind {
	case kText:
		return scalar("!!str", s), ""
	case kName:
		return scalar("!!str", strings.TrimSpace(s)), ""
	case kNumber:
		f, ok := cr.number(s)
		if !ok {
			return nil, fmt.Sprintf("must be a number, got %q", s)
		}
		return numberNode(f, s, cr.comma), ""
	case kInteger:
		i, ok := cr.integer(s)
		if !ok {
			return nil, fmt.Sprintf("must be an integer, got %q", s)
		}
		return scalar("!!int", strconv.FormatInt(i, 10)), ""
	case kBool:
		b, ok := boolean(s)
		if !ok {
			return nil, fmt.Sprintf("must be true or false, got %q", s)
		}
		return scalar("!!bool", strconv.FormatBool(b)), ""
	case kDuration:
		d := strings.TrimSpace(s)
		v, err := time.ParseDuration(d)
		if err != nil {
			return nil, fmt.Sprintf("must be a duration such as 250ms, 5s or 10m, got %q", s)
		}
		if v < 0 {
			return nil, fmt.Sprintf("must be >= 0, got %s", d)
		}
		return scalar("!!str", d), ""
	case kEnum:
		w, ok := enum(col.words, s)
		if !ok {
			return nil, fmt.Sprintf("must be one of %s, got %q", strings.Join(col.words, ", "), s)
		}
		return scalar("!!str", w), ""
	case kStates:
		st, err := parseStates(s)
		if err != nil {
			return nil, err.Error()
		}
		m := flowMap()
		for _, p := range st {
			m.Content = append(m.Content, scalar("!!int", strconv.FormatInt(p.key, 10)), scalar("!!str", p.text))
		}
		return m, ""
	case kCalc:
		n, err := parseCalc(s)
		if err != nil {
			return nil, err.Error()
		}
		return n, ""
	}
	return nil, "cannot be written" // kAlarms has its own path
}

// numberNode writes a number as the cell had it when that is plain YAML,
// else in Go's shortest form.
func numberNode(f float64, s string, comma bool) *yaml.Node {
	s = strings.TrimSpace(s)
	if comma {
		s = strings.Replace(s, ",", ".", 1)
	}
	if !plainDecimal.MatchString(s) {
		s = strconv.FormatFloat(f, 'g', -1, 64)
	}
	s = strings.TrimPrefix(s, "+")
	if strings.ContainsAny(s, ".eE") {
		return scalar("!!float", s)
	}
	return scalar("!!int", s)
}

// statePair is one state text of a tag.
type statePair struct {
	key  int64
	text string
}

// parseStates reads "0=STOPPED;1=RUNNING" or a YAML flow mapping
// "{0: STOPPED, 1: RUNNING}".
func parseStates(s string) ([]statePair, error) {
	s = strings.TrimSpace(s)
	var out []statePair
	seen := map[int64]bool{}
	add := func(k int64, text string) error {
		if seen[k] {
			return fmt.Errorf("state %d is given twice", k)
		}
		if text == "" {
			return fmt.Errorf("state %d has no text", k)
		}
		seen[k] = true
		out = append(out, statePair{k, text})
		return nil
	}
	if strings.HasPrefix(s, "{") {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode || hasAnchors(&n) {
			return nil, fmt.Errorf("must be 0=TEXT;1=TEXT or a YAML mapping {0: TEXT, 1: TEXT}, got %q", s)
		}
		m := n.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			ki, err := strconv.ParseInt(k.Value, 0, 64)
			if k.Kind != yaml.ScalarNode || err != nil {
				return nil, fmt.Errorf("state %q: the value must be an integer", k.Value)
			}
			if v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("state %d: the text must be plain text", ki)
			}
			if err := add(ki, v.Value); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	for _, part := range strings.Split(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, text, ok := strings.Cut(part, "=")
		ki, err := strconv.ParseInt(strings.TrimSpace(k), 0, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("%q: want VALUE=TEXT, e.g. 0=STOPPED;1=RUNNING", strings.TrimSpace(part))
		}
		if err := add(ki, strings.TrimSpace(text)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sameStates compares state lists as sets.
func sameStates(a, b []statePair) bool {
	if len(a) != len(b) {
		return false
	}
	m := make(map[int64]string, len(a))
	for _, p := range a {
		m[p.key] = p.text
	}
	for _, p := range b {
		if t, ok := m[p.key]; !ok || t != p.text {
			return false
		}
	}
	return true
}

// statesCell renders a tag's states mapping: the short form when every
// key is a plain integer and no text needs quoting, else YAML flow text.
func statesCell(m *yaml.Node) (string, error) {
	if m.Kind != yaml.MappingNode {
		return "", fmt.Errorf("states: must be a mapping")
	}
	var parts []string
	short := true
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), resolve(m.Content[i+1])
		if k == nil || v == nil || k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			return "", fmt.Errorf("states: must map values to texts")
		}
		ki, err := strconv.ParseInt(k.Value, 10, 64)
		t := v.Value
		if err != nil || strconv.FormatInt(ki, 10) != k.Value || t == "" || t != strings.TrimSpace(t) ||
			strings.ContainsAny(t, ";=\n") || isNull(v) {
			short = false
			break
		}
		parts = append(parts, k.Value+"="+t)
	}
	if short {
		return strings.Join(parts, ";"), nil
	}
	return flowText(m)
}

// alarmsText parses an alarms cell and renders it canonically, for
// comparison.
func alarmsText(s string) (string, error) {
	seq, err := parseAlarms(s)
	if err != nil {
		return "", err
	}
	return flowText(seq)
}

// parseAlarms reads an alarms cell: a YAML flow list of alarm mappings.
func parseAlarms(s string) (*yaml.Node, error) {
	seq, err := flowCell(s, yaml.SequenceNode, "a YAML list of alarms such as [{kind: deviation, limit: 5, setpoint: SP}]")
	if err != nil {
		return nil, err
	}
	for i, a := range seq.Content {
		if a.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("alarm %d: must be a mapping such as {kind: hi, limit: 90}", i+1)
		}
		k, ok := scalarText(mapGet(a, "kind"))
		if !ok || k == "" {
			return nil, fmt.Errorf("alarm %d: needs a kind", i+1)
		}
	}
	return seq, nil
}

// flowCell reads a cell holding one YAML value of kind k (a flow list or
// mapping); want says what it must be, for the message.
func flowCell(s string, k yaml.Kind, want string) (*yaml.Node, error) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil {
		return nil, fmt.Errorf("must be %s: %s", want, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(n.Content) != 1 || n.Content[0].Kind != k {
		return nil, fmt.Errorf("must be %s", want)
	}
	if hasAnchors(&n) {
		return nil, fmt.Errorf("anchors and aliases (&name, *name) are not allowed in a cell; write the values out")
	}
	return n.Content[0], nil
}

// hasAnchors reports whether n holds an anchor or an alias. A cell is one
// compact value; an alias in it could also multiply it without bound.
func hasAnchors(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return true
	}
	for _, c := range n.Content {
		if hasAnchors(c) {
			return true
		}
	}
	return false
}
