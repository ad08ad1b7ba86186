package sim

import (
	"math"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/project/yamlfield"
)

// Settings are the settings of a sim device's plant: the sim section of a
// device of driver sim in the project file (docs/project-file.md).
type Settings struct {
	Seed   int64
	Speed  float64 // simulated seconds per real second; 1 is real time (0 too)
	Faults []FaultSpec
}

// FaultSpec is a fault the plant injects on schedule, as the project file
// gives it: Tag is a tag name of the device (or a signal name).
type FaultSpec struct {
	Kind string        // "drop" (connection), "freeze" (value), "bad" (quality)
	Tag  string        // freeze and bad: the tag; empty for drop
	At   time.Duration // after start
	For  time.Duration // 0: until restart
	Pos  datasource.Pos
}

// Defaults of the sim section (docs/project-file.md).
const (
	DefaultSeed  = 1
	DefaultSpeed = 1
)

// SettingsOf returns the sim settings of dev, or the zero Settings (seed 0,
// real time, no faults) when it has none.
func SettingsOf(dev *datasource.Device) Settings {
	s, _ := dev.Settings.(Settings)
	return s
}

// CheckAddress checks the address of a sim device in the project file: it
// has none.
func CheckAddress(r *yamlfield.Reader, dev *yamlfield.Mapping, d *datasource.Device) {
	if d.Address != "" {
		r.Errorf(dev.Get("address"), dev.Field("address"), "must be empty for driver sim, got %q", d.Address)
	}
}

// DecodeSettings reads the sim section of device d (absent: all defaults)
// into d.Settings. A fault's tag is checked once the project's tags are
// known (yamlfield.Reader.AfterTags).
func DecodeSettings(r *yamlfield.Reader, dev *yamlfield.Mapping, d *datasource.Device) {
	s := Settings{Seed: DefaultSeed, Speed: DefaultSpeed}
	defer func() { d.Settings = s }()
	n := dev.Get("sim")
	if n == nil {
		return
	}
	m := r.Mapping(n, dev.Field("sim"), "seed", "speed", "faults")
	if m == nil {
		return
	}
	if v := m.Get("seed"); v != nil {
		s.Seed, _ = r.Integer(v, m.Field("seed"), math.MinInt64, math.MaxInt64)
	}
	if v := m.Get("speed"); v != nil {
		if sp, ok := r.Number(v, m.Field("speed")); ok {
			if sp <= 0 {
				r.Errorf(v, m.Field("speed"), "must be > 0, got %g", sp)
			} else {
				s.Speed = sp
			}
		}
	}
	field := m.Field("faults")
	for i, item := range r.Sequence(m.Get("faults"), field) {
		fm := r.Mapping(item, yamlfield.Index(field, i), "kind", "tag", "at", "for")
		if fm == nil {
			continue
		}
		f := FaultSpec{Pos: r.Pos(fm.Node)}
		if v := fm.Get("kind"); v != nil {
			f.Kind, _ = r.Enum(v, fm.Field("kind"), "drop", "freeze", "bad")
		} else {
			r.Errorf(fm.Node, fm.Field("kind"), "required: drop, freeze or bad")
		}
		if v := fm.Get("tag"); v != nil {
			f.Tag, _ = r.Str(v, fm.Field("tag"))
			if f.Kind == "drop" {
				r.Errorf(v, fm.Field("tag"), "not for kind drop: it drops the whole device")
			} else if f.Tag != "" {
				checkFaultTag(r, d.Name, f.Tag, func(format string, args ...any) { r.Errorf(v, fm.Field("tag"), format, args...) })
			}
		}
		if f.Tag == "" && (f.Kind == "freeze" || f.Kind == "bad") {
			r.Errorf(yamlfield.OrNode(fm.Get("tag"), fm.Node), fm.Field("tag"), "required for kind %s", f.Kind)
		}
		if v := fm.Get("at"); v != nil {
			f.At, _ = r.Duration(v, fm.Field("at"), false)
		}
		if v := fm.Get("for"); v != nil {
			f.For, _ = r.Duration(v, fm.Field("for"), false)
		}
		s.Faults = append(s.Faults, f)
	}
}

// checkFaultTag checks, once the project's tags are known, that a fault's
// tag is a tag of device (not a system tag).
func checkFaultTag(r *yamlfield.Reader, device, name string, errorf func(format string, args ...any)) {
	r.AfterTags(func(tags yamlfield.Tags) {
		t, ok := tags(name)
		switch {
		case !ok:
			errorf("unknown tag %q", name)
		case t.System:
			errorf("%q is a system tag; use kind drop to fail the connection", name)
		case t.Device != device:
			errorf("tag %q is on device %q, not on %q", name, t.Device, device)
		}
	})
}
