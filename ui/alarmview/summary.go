package alarmview

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/history"
)

// Deps are what the summary needs besides the engine.
type Deps struct {
	User    func() string    // the logged-in operator
	Journal Journal          // nil hides journal search
	Window  fyne.Window      // parent of dialogs; nil shows refusals in the status only
	Now     func() time.Time // the clock for the journal's "last 24 h"; nil: time.Now
}

// Summary is the alarm screen: active list with ack/shelve, shelved and
// out-of-service lists, journal search and KPIs.
type Summary struct {
	eng      Engine
	deps     Deps
	OnSelect func(alarms.Alarm)
	version  uint64
	started  bool

	all      []alarms.Alarm // engine snapshot
	visible  []alarms.Alarm // active list after filter and sort
	selected map[alarms.ID]bool
	sortCol  int
	prio     *widget.Select
	area     *widget.Entry
	text     *widget.Entry
	list     *widget.List
	Status   *widget.Label // last action result or refusal, verbatim

	shelved, oos *widget.Label
	kpi          *widget.Label

	jmu     sync.Mutex // guards jEvents
	jEvents []history.Event
	jLabel  *widget.Label
	jText   *widget.Entry
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	obj fyne.CanvasObject
}

// columns of the active list; tapping a header button sorts by it.
var columns = []string{"Priority", "Time", "Tag", "Alarm", "State"}

// NewSummary builds the alarm summary screen.
func NewSummary(eng Engine, deps Deps) *Summary {
	s := &Summary{eng: eng, deps: deps, selected: map[alarms.ID]bool{}, Status: widget.NewLabel("")}
	s.prio = widget.NewSelect([]string{"All", "1", "2", "3", "4"}, func(string) { s.refilter() })
	s.prio.SetSelected("All")
	s.area = widget.NewEntry()
	s.area.SetPlaceHolder("area")
	s.area.OnChanged = func(string) { s.refilter() }
	s.text = widget.NewEntry()
	s.text.SetPlaceHolder("text")
	s.text.OnChanged = func(string) { s.refilter() }
	s.list = widget.NewList(func() int { return len(s.visible) },
		// A row: the priority's shape and colour (outlined once the
		// condition has cleared), then the selection box with the text, so
		// priority reads by shape and text as well as colour.
		func() fyne.CanvasObject {
			return container.NewHBox(container.NewCenter(container.NewStack(placeholder())), widget.NewCheck("", nil))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			a := s.visible[i]
			row := o.(*fyne.Container)
			ind := row.Objects[0].(*fyne.Container).Objects[0].(*fyne.Container)
			ind.Objects = []fyne.CanvasObject{shape(a.Priority, !a.Active)}
			ind.Refresh()
			c := row.Objects[1].(*widget.Check)
			c.OnChanged = nil
			c.SetText(rowText(a))
			c.SetChecked(s.selected[a.ID])
			c.OnChanged = func(on bool) { s.selected[a.ID] = on }
		})
	s.list.OnSelected = func(i widget.ListItemID) {
		if s.OnSelect != nil && i < len(s.visible) {
			s.OnSelect(s.visible[i])
		}
	}
	hdr := container.NewHBox()
	for i, c := range columns {
		hdr.Add(widget.NewButton(c, func() { s.SortBy(i) }))
	}
	filters := container.NewHBox(s.prio, fixedWidth(s.area, 140), fixedWidth(s.text, 220),
		widget.NewButton("Ack selected (F9)", s.AckSelected),
		widget.NewButton("Ack page (Shift+F9)", s.AckVisiblePage),
		widget.NewButton("Shelve…", s.shelveSelected),
		widget.NewButton("Unshelve", s.unshelveSelected))
	active := container.NewBorder(container.NewVBox(filters, hdr), s.Status, nil, nil, s.list)
	s.shelved, s.oos, s.kpi = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	s.jLabel, s.jText = widget.NewLabel(""), widget.NewEntry()
	s.jText.SetPlaceHolder("text to find in the journal")
	period := widget.NewSelect(journalPeriods(), nil)
	period.SetSelectedIndex(1) // last 24 h
	search := widget.NewButton("Search", func() {
		now := time.Now()
		if s.deps.Now != nil {
			now = s.deps.Now()
		}
		s.SearchJournal(now.Add(-journalPeriod[period.SelectedIndex()].d), now, s.jText.Text)
	})
	export := widget.NewButton("Export CSV…", s.exportJournal)
	journal := container.NewBorder(container.NewBorder(nil, nil, period, container.NewHBox(search, export), s.jText),
		nil, nil, nil, container.NewVScroll(s.jLabel))
	s.obj = container.NewAppTabs(
		container.NewTabItem("Active", active),
		container.NewTabItem("Shelved", container.NewVScroll(s.shelved)),
		container.NewTabItem("Out of service", container.NewVScroll(s.oos)),
		container.NewTabItem("Journal", journal),
		container.NewTabItem("KPIs", container.NewBorder(widget.NewButton("Refresh", s.RefreshKPI), nil, nil, nil, s.kpi)),
	)
	return s
}

// Object is the summary's canvas object.
func (s *Summary) Object() fyne.CanvasObject { return s.obj }

// Visible returns the active list as shown (filtered and sorted).
func (s *Summary) Visible() []alarms.Alarm { return slices.Clone(s.visible) }

// Select marks an alarm selected (as ticking its row does).
func (s *Summary) Select(id alarms.ID, on bool) { s.selected[id] = on; s.list.Refresh() }

// SetFilter sets the priority ("All" or "1".."4"), area and text filters.
func (s *Summary) SetFilter(prio, area, text string) {
	s.prio.SetSelected(prio)
	s.area.SetText(area)
	s.text.SetText(text)
	s.refilter()
}

// ShelvedText and OutOfServiceText return the text of those tabs.
func (s *Summary) ShelvedText() string      { return s.shelved.Text }
func (s *Summary) OutOfServiceText() string { return s.oos.Text }

// KPIText returns the KPI tab's text.
func (s *Summary) KPIText() string { return s.kpi.Text }

// SortBy sorts the active list by column i (see columns); tapping the same
// header again keeps the order (stable).
func (s *Summary) SortBy(i int) { s.sortCol = i; s.refilter() }

// Update refreshes the lists when the engine changed.
func (s *Summary) Update(now time.Time) {
	v := s.eng.Version()
	if s.started && v == s.version {
		return
	}
	s.started, s.version = true, v
	s.all = s.eng.Active()
	var sh, oos strings.Builder
	for _, a := range s.all {
		if a.Shelved {
			fmt.Fprintf(&sh, "%s/%s until %s by %s: %s\n", a.Tag, a.Name, a.ShelvedUntil.Format("15:04:05"), a.ShelvedBy, a.ShelveReason)
		}
		if a.OutOfService {
			fmt.Fprintf(&oos, "%s/%s by %s: %s\n", a.Tag, a.Name, a.OOSBy, a.OOSReason)
		}
	}
	s.shelved.SetText(sh.String())
	s.oos.SetText(oos.String())
	s.refilter()
}

func (s *Summary) refilter() {
	if s.list == nil {
		return
	}
	s.visible = s.visible[:0]
	area, text := strings.ToLower(s.area.Text), strings.ToLower(s.text.Text)
	for _, a := range s.all {
		if a.Shelved || a.OutOfService || a.Suppressed {
			continue
		}
		if p := s.prio.Selected; p != "" && p != "All" && fmt.Sprint(digit(a.Priority)) != p {
			continue
		}
		if area != "" && !strings.Contains(strings.ToLower(a.Group), area) {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(a.Tag+" "+a.Name+" "+a.Message), text) {
			continue
		}
		s.visible = append(s.visible, a)
	}
	switch s.sortCol {
	case 0:
		sortByImportance(s.visible)
	case 1:
		slices.SortStableFunc(s.visible, func(x, y alarms.Alarm) int { return y.Since.Compare(x.Since) })
	case 2:
		slices.SortStableFunc(s.visible, func(x, y alarms.Alarm) int { return strings.Compare(x.Tag, y.Tag) })
	case 3:
		slices.SortStableFunc(s.visible, func(x, y alarms.Alarm) int { return strings.Compare(x.Name, y.Name) })
	case 4:
		slices.SortStableFunc(s.visible, func(x, y alarms.Alarm) int { return int(x.State) - int(y.State) })
	}
	s.list.Refresh()
}

func rowText(a alarms.Alarm) string {
	return fmt.Sprintf("%d  %s  %s  %s  %s  %s", digit(a.Priority), a.Since.Format("15:04:05"), a.Tag, a.Name, a.State, a.Message)
}

// report shows an action's result: a refusal verbatim in the status and a dialog.
func (s *Summary) report(what string, err error) {
	if err == nil {
		s.Status.SetText(what)
		return
	}
	s.Status.SetText(err.Error())
	if s.deps.Window != nil {
		dialog.ShowError(err, s.deps.Window)
	}
}

func (s *Summary) user() string {
	if s.deps.User == nil {
		return ""
	}
	return s.deps.User()
}

func (s *Summary) selectedIDs() []alarms.ID {
	var ids []alarms.ID
	for _, a := range s.visible {
		if s.selected[a.ID] {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// AckSelected acknowledges the selected visible alarms (F9).
func (s *Summary) AckSelected() { s.ack(s.selectedIDs()) }

// AckVisiblePage acknowledges every alarm the filtered list shows (Shift+F9).
func (s *Summary) AckVisiblePage() {
	var ids []alarms.ID
	for _, a := range s.visible {
		if !a.Acked {
			ids = append(ids, a.ID)
		}
	}
	s.ack(ids)
}

// AckOne acknowledges one alarm.
func (s *Summary) AckOne(id alarms.ID) { s.ack([]alarms.ID{id}) }

func (s *Summary) ack(ids []alarms.ID) {
	if len(ids) == 0 {
		s.Status.SetText("nothing selected to acknowledge")
		return
	}
	s.report(fmt.Sprintf("acknowledged %d alarm(s)", len(ids)), s.eng.AckMany(s.user(), ids, ""))
	s.Update(time.Time{})
}

// Shelve shelves alarm id for d with reason; the engine refuses beyond the
// alarm's maximum or without a reason, and the refusal is shown verbatim.
func (s *Summary) Shelve(id alarms.ID, d time.Duration, reason string) error {
	err := s.eng.Shelve(s.user(), id, d, reason)
	s.report("shelved", err)
	s.Update(time.Time{})
	return err
}

// Unshelve returns a shelved alarm to the list.
func (s *Summary) Unshelve(id alarms.ID, reason string) error {
	err := s.eng.Unshelve(s.user(), id, reason)
	s.report("unshelved", err)
	s.Update(time.Time{})
	return err
}

// SetOutOfService takes an alarm out of service (on) or back.
func (s *Summary) SetOutOfService(id alarms.ID, on bool, reason string) error {
	err := s.eng.SetOutOfService(s.user(), id, on, reason)
	s.report("out of service changed", err)
	s.Update(time.Time{})
	return err
}

// shelveSelected asks for duration and reason, then shelves each selected alarm.
func (s *Summary) shelveSelected() {
	ids := s.selectedIDs()
	if len(ids) == 0 || s.deps.Window == nil {
		s.Status.SetText("select the alarm(s) to shelve")
		return
	}
	dur, reason := widget.NewEntry(), widget.NewEntry()
	dur.SetText("30m")
	dialog.ShowForm("Shelve", "Shelve", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Duration", dur), widget.NewFormItem("Reason", reason)}, func(ok bool) {
		if !ok {
			return
		}
		d, err := time.ParseDuration(dur.Text)
		if err != nil {
			s.report("", fmt.Errorf("duration %q: %w", dur.Text, err))
			return
		}
		for _, id := range ids {
			if s.Shelve(id, d, reason.Text) != nil {
				return
			}
		}
	}, s.deps.Window)
}

func (s *Summary) unshelveSelected() {
	for _, a := range s.all {
		if a.Shelved && s.selected[a.ID] {
			if s.Unshelve(a.ID, "operator") != nil {
				return
			}
		}
	}
}

// RefreshKPI reads the engine's KPIs into the KPI tab.
func (s *Summary) RefreshKPI() {
	k, err := s.eng.KPI(context.Background())
	if err != nil {
		s.kpi.SetText(err.Error())
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "events %d\nlast 10 min %d\nlast hour %d\nflood %v\nstanding %d\n", k.Events, k.Last10Min, k.LastHour, k.Flood, k.Standing)
	for _, c := range k.Chattering {
		fmt.Fprintf(&b, "chattering %s %d\n", c.Alarm, c.Count)
	}
	for _, c := range k.Top {
		fmt.Fprintf(&b, "top %s %d\n", c.Alarm, c.Count)
	}
	for _, st := range k.Stale {
		fmt.Fprintf(&b, "stale %s since %s\n", st.Alarm, st.Since.Format(time.DateTime))
	}
	s.kpi.SetText(b.String())
}

// SearchJournal searches the journal off the UI goroutine; the result is
// shown via fyne.Do. A new search cancels the previous one.
func (s *Summary) SearchJournal(from, to time.Time, text string) {
	if s.deps.Journal == nil {
		return
	}
	if s.cancel != nil {
		s.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.jLabel.SetText("searching…")
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		evs, err := s.deps.Journal.Events(ctx, from, to, text, 1000)
		if ctx.Err() != nil {
			return
		}
		fyne.Do(func() {
			if err != nil {
				s.jLabel.SetText(err.Error())
				return
			}
			s.jmu.Lock()
			s.jEvents = evs
			s.jmu.Unlock()
			var b strings.Builder
			for _, e := range evs {
				fmt.Fprintf(&b, "%s %s %s %s %s %s\n", e.Time.Format(time.DateTime), e.Source, e.Name, e.State, e.User, e.Message)
			}
			s.jLabel.SetText(b.String())
		})
	}()
}

// JournalText returns the journal tab's result text.
func (s *Summary) JournalText() string { return s.jLabel.Text }

// Close cancels a running journal search and waits for it.
func (s *Summary) Close() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
}

// journalPeriod are the journal search's time ranges, back from now.
var journalPeriod = []struct {
	label string
	d     time.Duration
}{{"last hour", time.Hour}, {"last 24 h", 24 * time.Hour}, {"last 7 days", 7 * 24 * time.Hour}, {"last 30 days", 30 * 24 * time.Hour}}

func journalPeriods() []string {
	var out []string
	for _, p := range journalPeriod {
		out = append(out, p.label)
	}
	return out
}

// exportJournal asks for a file and writes the last search's results to it.
func (s *Summary) exportJournal() {
	if s.deps.Window == nil {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		name := w.URI().Name()
		err = s.ExportJournalCSV(w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		s.report("journal exported to "+name, err)
	}, s.deps.Window)
	d.SetFileName("alarm-journal.csv")
	d.Show()
}

// ExportJournalCSV writes the last journal search's results as CSV.
func (s *Summary) ExportJournalCSV(w io.Writer) error {
	s.jmu.Lock()
	evs := slices.Clone(s.jEvents)
	s.jmu.Unlock()
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"time", "kind", "source", "name", "state", "user", "message"}); err != nil {
		return fmt.Errorf("journal csv: %w", err)
	}
	for _, e := range evs {
		if err := cw.Write([]string{e.Time.UTC().Format(time.RFC3339Nano), e.Kind, e.Source, e.Name, e.State, e.User, e.Message}); err != nil {
			return fmt.Errorf("journal csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// fixedWidth gives an entry a usable width in a row of buttons, where an
// HBox would shrink it to its placeholder's first letters.
func fixedWidth(e *widget.Entry, w float32) fyne.CanvasObject {
	return container.NewGridWrap(fyne.NewSize(w, e.MinSize().Height), e)
}
