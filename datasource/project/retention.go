package project

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Retention is the retention section: how much history the station keeps.
// A zero field keeps that part forever (history.Retention).
type Retention struct {
	// Samples: samples older than this are removed (a chunk at a time).
	Samples time.Duration
	// MaxSize: the history file's used size is kept under this many bytes,
	// the oldest samples of all tags going first.
	MaxSize int64
	// Events: alarm journal and audit records older than this are removed
	// (the audit chain marks where, so that verify tells it from deletion).
	Events time.Duration
}

// The bounds of the retention fields: shorter ages or a smaller file than
// these are a typing slip (keep: 30 meaning 30 days, written as 30m), not a
// plant's intent, and would throw its history away within the hour.
const (
	minRetentionAge  = 24 * time.Hour
	minRetentionSize = 64 << 20
)

// retention reads the retention section.
func (p *parser) retention(n *yaml.Node) Retention {
	var r Retention
	if n == nil {
		return r
	}
	m := p.mapping(n, "retention", "samples", "max_size", "events")
	if m == nil {
		return r
	}
	if v := m.get("samples"); v != nil {
		r.Samples, _ = p.age(v, m.field("samples"))
	}
	if v := m.get("events"); v != nil {
		r.Events, _ = p.age(v, m.field("events"))
	}
	if v := m.get("max_size"); v != nil {
		r.MaxSize, _ = p.size(v, m.field("max_size"))
	}
	return r
}

// ageRE is a retention age: a number of days, weeks or years, or a Go
// duration of hours.
var ageRE = regexp.MustCompile(`^(\d+)\s*(d|w|y)$`)

// age reads a retention age: "400d", "8w", "10y" (365 days each) or a Go
// duration such as "720h"; at least a day.
func (p *parser) age(n *yaml.Node, field string) (time.Duration, bool) {
	s, ok := p.str(n, field)
	if !ok {
		return 0, false
	}
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if m := ageRE.FindStringSubmatch(s); m != nil {
		days := int64(1)
		switch m[2] {
		case "w":
			days = 7
		case "y":
			days = 365
		}
		k, perr := strconv.ParseInt(m[1], 10, 64)
		if perr != nil || k > math.MaxInt64/int64(24*time.Hour)/days {
			p.errorf(n, field, "%q is too long", s)
			return 0, false
		}
		d, err = time.Duration(k*days)*24*time.Hour, nil
	}
	if err != nil {
		p.errorf(n, field, "must be an age such as 90d, 8w, 10y or 720h, got %q", s)
		return 0, false
	}
	if d < minRetentionAge {
		p.errorf(n, field, "must be at least a day (1d), got %q: a shorter age would throw history away within hours", s)
		return 0, false
	}
	return d, true
}

// sizeRE is a file size: a number and a unit of bytes.
var sizeRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*([kKMGT]i?B|B)$`)

// sizeUnits are the units of a size, decimal and binary.
var sizeUnits = map[string]float64{
	"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KiB": 1 << 10, "kiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
}

// size reads a file size: "20GB", "500 MB", "1.5TiB"; at least 64 MiB.
func (p *parser) size(n *yaml.Node, field string) (int64, bool) {
	s, ok := p.str(n, field)
	if !ok {
		return 0, false
	}
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	unit, known := 0.0, false
	if m != nil {
		unit, known = sizeUnits[m[2]]
	}
	if !known {
		p.errorf(n, field, "must be a size such as 500MB, 20GB or 1TiB, got %q", s)
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	b := v * unit
	if err != nil || b >= math.MaxInt64 {
		p.errorf(n, field, "%q is too large", s)
		return 0, false
	}
	if b < minRetentionSize {
		p.errorf(n, field, "must be at least 64MiB, got %q: a smaller file holds minutes of a plant's history", s)
		return 0, false
	}
	return int64(b), true
}
