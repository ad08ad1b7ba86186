package displays

import (
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// Levels of the ISA-101 display hierarchy.
const (
	LevelOverview   = 1 // plant overview: key values and alarm counts, no controls
	LevelUnit       = 2 // unit display: equipment, setpoints through faceplates
	LevelDetail     = 3 // detail of one piece of equipment
	LevelDiagnostic = 4 // diagnostics
)

// Defaults of a display (docs/displays.md).
var (
	DefaultSize  = Size{W: 1600, H: 900}
	DefaultLevel = LevelUnit
)

// DefaultWindow is the time window of a sparkline or trend that names none.
const DefaultWindow = time.Hour

// MaxPens is the most tags one trend element shows, as in the trend screen.
const MaxPens = 8

// Point is a place on a display's canvas, in display units.
type Point struct{ X, Y float64 }

// Size is an extent in display units.
type Size struct{ W, H float64 }

// Rect is an element's box on the canvas.
type Rect struct {
	Point
	Size
}

// Set is every display of a project, compiled. It never changes: a reload
// compiles a new Set.
type Set struct {
	// Displays in the order the project lists them (inline displays and
	// files in the order of the displays: section, displays in file order).
	Displays []*Display
	// Files are the display files read, as paths joined to the project
	// file's directory, for a watcher.
	Files []string

	byName map[string]*Display
	in     Input // what it was compiled from, for Check
}

// Display returns the display named name.
func (s *Set) Display(name string) (*Display, bool) {
	if s == nil {
		return nil, false
	}
	d, ok := s.byName[name]
	return d, ok
}

// Len returns how many displays the set holds (0 for a nil set).
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.Displays)
}

// Children returns the displays whose parent is name, in set order; ""
// gives the roots (displays without a parent).
func (s *Set) Children(name string) []*Display {
	if s == nil {
		return nil
	}
	var out []*Display
	for _, d := range s.Displays {
		if d.Parent == name {
			out = append(out, d)
		}
	}
	return out
}

// Display is one compiled display: a fixed canvas with its elements,
// instances of templates already expanded.
type Display struct {
	Name   string
	Title  string // Name when the file gives none
	Level  int    // 1..4, see LevelOverview..LevelDiagnostic
	Parent string // "" for a root of the navigation tree
	Size   Size
	Grid   float64 // snap grid of the editor, display units
	// Elements in drawing order: later elements are drawn over earlier ones.
	Elements []*Element
	Pos      datasource.Pos // the display's entry
	// Tags are the distinct tags the display shows, in first-use order: what
	// a refresh reads from the snapshot.
	Tags []*datasource.Tag
}

// Kind is the kind of an element.
type Kind uint8

// The element kinds. Pump, Motor, Fan and Compressor are rotating
// equipment with the same fields; Valve and Damper likewise; Pipe and Duct.
const (
	Tank Kind = iota
	Pump
	Motor
	Fan
	Compressor
	Valve
	Damper
	Pipe
	Duct
	Value
	Bar
	Text
	Button
	Setpoint
	Sparkline
	Trend
	Alarms
	Group
	Image
	numKinds
)

var kindNames = [numKinds]string{"tank", "pump", "motor", "fan", "compressor", "valve", "damper", "pipe", "duct",
	"value", "bar", "text", "button", "setpoint", "sparkline", "trend", "alarms", "group", "image"}

// String returns the kind as a display file writes it ("pump").
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "kind?"
}

// Rotating reports whether the kind is a pump, motor, fan or compressor.
func (k Kind) Rotating() bool { return k >= Pump && k <= Compressor }

// Element is one compiled element of a display. Which fields are set
// depends on Kind (docs/displays.md); tags are resolved.
type Element struct {
	Kind Kind
	Box  Rect    // position and size; for pipes the points' bounding box
	Line []Point // pipe and duct: the polyline, absolute
	// Tag is the element's main tag, whose faceplate a tap opens: a tank's
	// level, a pump's running, a valve's position (or open), a pipe's flow,
	// a value, bar, setpoint or sparkline's tag, a write button's tag, an
	// alarm indicator's tag. nil when the element has none.
	Tag    *datasource.Tag
	Fault  *datasource.Tag   // pumps and valves: a fault (an alarm condition)
	Manual *datasource.Tag   // pumps and valves: true when in manual
	Open   *datasource.Tag   // valves: open/closed feedback (Tag is then Position or Open)
	Tags   []*datasource.Tag // trend pens
	Label  string            // label, text, button text or group title
	Window time.Duration     // sparkline and trend
	// Goto is the display a button opens; "" for a write button.
	Goto string
	// Write is the value text a write button writes to Tag, checked
	// against the tag at load; the write path parses it again.
	Write    string
	Area     string // alarms: a tag group; "" with Tag nil and Scope "" means this display
	Scope    string // alarms: a display name whose tags are counted
	File     string // image: path joined to the project file's directory
	Vertical bool   // valves and dampers drawn on a vertical line
	// Pos is where the element is written; for an element of a template
	// that is the template's line, and Via is the instance's.
	Pos, Via datasource.Pos
	// Index is the element's index in its display's elements: list (the
	// instance's for elements it expands to).
	Index int
	// Origin is the at of the instance an element was expanded from (the
	// one value edit mode moves for all its elements); zero otherwise.
	Origin Point
}
