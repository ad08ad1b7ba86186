package overview

import (
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/ui/sparkline"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// Deps are what the Overview needs from the shell.
type Deps struct {
	Theme *theme.HMI
	// OnOpen opens the faceplate of a tag; called when a row is tapped.
	OnOpen func(*datasource.Tag)
	// Alarms returns the active alarms snapshot; may be nil.
	Alarms func() []alarms.Alarm
	// OnLine, when set, is told of each sparkline made (its row first
	// shown), so the owner can fill it from history (Backfill); on the UI
	// goroutine, so it must not block.
	OnLine func(*datasource.Tag)
}

// sparkWindow is the time a row's sparkline shows.
const sparkWindow = time.Hour

// row is one line of the list: a group's title, or a tag.
type row struct {
	group string
	tag   *datasource.Tag
}

// Overview is the generated overview: the tag groups as one virtualized
// list.
type Overview struct {
	deps   Deps
	rows   []row
	sparks map[datasource.TagID]*sparkline.Line
	list   *widget.List
	// cells are the row widgets the list made (those on screen and a few
	// more); Update refreshes only them.
	cells []*cell
	// The last refresh's input, for rows bound between refreshes.
	snap    []datasource.Sample
	byTag   map[string]*alarms.Alarm
	flashOn bool
}

// New builds the Overview for a project's tags: groups by name, tags in
// file order within a group, system tags left out.
func New(tags []*datasource.Tag, deps Deps) *Overview {
	if deps.Theme == nil {
		deps.Theme = theme.New(false)
	}
	o := &Overview{deps: deps, sparks: map[datasource.TagID]*sparkline.Line{}, byTag: map[string]*alarms.Alarm{}}
	groups := map[string][]*datasource.Tag{}
	var names []string
	for _, t := range tags {
		if t.System {
			continue
		}
		g := t.Group
		if g == "" {
			g = "Ungrouped"
		}
		if _, ok := groups[g]; !ok {
			names = append(names, g)
		}
		groups[g] = append(groups[g], t)
	}
	sort.Strings(names)
	for _, g := range names {
		o.rows = append(o.rows, row{group: g})
		for _, t := range groups[g] {
			o.rows = append(o.rows, row{tag: t})
		}
	}
	o.list = widget.NewList(
		func() int { return len(o.rows) },
		func() fyne.CanvasObject {
			c := newCell(deps.Theme, deps.OnOpen)
			o.cells = append(o.cells, c)
			return c
		},
		func(id widget.ListItemID, obj fyne.CanvasObject) {
			c := obj.(*cell)
			r := o.rows[id]
			c.bind(r.group, r.tag, o.spark(r.tag))
			o.showCell(c)
		})
	return o
}

// spark returns a numeric tag's sparkline, made the first time its row is
// shown: a project of 10,000 tags keeps lines only for the rows the
// operator has looked at (3 KB each); a line starts when its row first
// appears, and Deps.OnLine has it filled from history then.
func (o *Overview) spark(t *datasource.Tag) *sparkline.Line {
	if t == nil || !t.Type.Numeric() || len(t.States) > 0 {
		return nil
	}
	l := o.sparks[t.ID]
	if l == nil {
		l = newSpark(t, o.deps.Theme)
		o.sparks[t.ID] = l
		if int(t.ID) < len(o.snap) && !o.snap[t.ID].Time.IsZero() {
			l.Add(o.snap[t.ID])
		}
		if o.deps.OnLine != nil {
			o.deps.OnLine(t)
		}
	}
	return l
}

// Backfill draws recorded samples (from history, oldest first per tag)
// into their tags' sparklines, those made so far; others are skipped.
// Unlike Feed, whose snapshot is indexed by TagID, the samples may be any
// tags' in any number. UI goroutine only.
func (o *Overview) Backfill(samples []datasource.Sample) {
	for _, s := range samples {
		if l := o.sparks[s.Tag]; l != nil {
			l.Add(s)
		}
	}
}

// newSpark is a tag's sparkline over its span, with its alarm limits.
func newSpark(t *datasource.Tag, th *theme.HMI) *sparkline.Line {
	l := sparkline.New(sparkWindow, th)
	if t.Span.Max > t.Span.Min {
		l.SetRange(t.Span.Min, t.Span.Max)
	}
	var ls []float64
	for _, d := range t.Alarms {
		switch d.Kind {
		case datasource.AlarmLoLo, datasource.AlarmLo, datasource.AlarmHi, datasource.AlarmHiHi:
			ls = append(ls, d.Limit)
		}
	}
	l.SetLimits(ls...)
	return l
}

// Content returns the screen's canvas object.
func (o *Overview) Content() fyne.CanvasObject { return o.list }

// Rows returns how many lines the list has: one per group and per tag.
func (o *Overview) Rows() int { return len(o.rows) }

// Feed keeps the sparklines' history from a table snapshot while the
// overview is hidden; Update does it too when shown. UI goroutine only.
func (o *Overview) Feed(snapshot []datasource.Sample) {
	for id, l := range o.sparks {
		if int(id) < len(snapshot) && !snapshot[id].Time.IsZero() {
			l.Add(snapshot[id])
		}
	}
}

// Update shows a table snapshot and the alarms; call on the UI goroutine.
// Only the rows on screen are redrawn.
func (o *Overview) Update(snapshot []datasource.Sample, now time.Time) {
	clear(o.byTag)
	if o.deps.Alarms != nil {
		as := o.deps.Alarms()
		for i := range as {
			a := &as[i]
			if a.Shelved || a.OutOfService || a.Suppressed || (!a.Active && a.Acked) {
				continue
			}
			if b := o.byTag[a.Tag]; b == nil || a.Priority > b.Priority || (a.Priority == b.Priority && !a.Acked && b.Acked) {
				o.byTag[a.Tag] = a
			}
		}
	}
	o.flashOn = (now.UnixMilli()/500)%2 == 0 // ~1 Hz
	o.snap = snapshot
	o.Feed(snapshot)
	for _, c := range o.cells {
		o.showCell(c)
	}
}

// showCell draws a bound row from the last snapshot.
func (o *Overview) showCell(c *cell) {
	if c.tag == nil {
		return
	}
	c.have = int(c.tag.ID) < len(o.snap)
	if c.have {
		c.sample = o.snap[c.tag.ID]
	}
	c.alarm = o.byTag[c.tag.Name]
	c.flashOn = o.flashOn
	c.show()
}
