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
	Now     func() time.Time // the clock of the journal's "last 24 h" and of status messages; nil: time.Now
	// Do runs the results of background reads (KPIs, journal search,
	// export) on the UI goroutine; default fyne.Do. Tests pass a queue
	// they drain.
	Do func(func())
}

// How long an action's result stays in the status line: long enough to
// read, short enough that "acknowledged 1 alarm" does not describe an
// alarm list that has changed since. Refusals stay longer (they are also
// shown in a dialog).
const (
	StatusFor  = 5 * time.Second
	RefusalFor = 15 * time.Second
)

// Summary is the alarm screen: the active alarms as a table with
// acknowledge and shelve, the shelved and out-of-service alarms as tables
// with their own actions, journal search and KPIs.
type Summary struct {
	eng      Engine
	deps     Deps
	OnSelect func(alarms.Alarm) // a row of the active table was tapped
	version  uint64
	started  bool

	all     []alarms.Alarm // engine snapshot
	active  *table         // after filter and sort
	shelved *table
	oos     *table
	prio    *widget.Select
	area    *widget.Entry
	text    *widget.Entry
	Status  *widget.Label // last action result or refusal, verbatim; clears after StatusFor
	until   time.Time     // when Status clears; zero: it is empty

	// lastReason is the shelve reason last typed, offered again.
	lastReason string
	shelveDlg  *shelveDialog // open shelve dialog, nil when none

	kpi *widget.Label

	jmu     sync.Mutex // guards jEvents
	jEvents []history.Event
	jLabel  *widget.Label
	jText   *widget.Entry

	// Background reads. The journal and the KPIs live in the history file:
	// they are read off the UI goroutine, under life, which Close ends.
	// cancel and kpiStop end the search and the KPI read in flight (a new
	// one replaces it); both are touched on the UI goroutine only.
	life    context.Context
	end     context.CancelFunc
	cancel  context.CancelFunc
	kpiStop context.CancelFunc
	wg      sync.WaitGroup

	obj fyne.CanvasObject
}

// Columns of the active table after the selection box and the priority;
// SortBy's index counts from the priority: 0 priority, 1 time, 2 tag,
// 3 alarm, 4 state.
var activeColumns = []column{
	{title: "Time", width: 84, text: func(a alarms.Alarm) string { return a.Since.Format("15:04:05") },
		cmp: func(x, y alarms.Alarm) int { return x.Since.Compare(y.Since) }, desc: true},
	{title: "Tag", width: 190, text: func(a alarms.Alarm) string { return TagText(a.Tag) },
		cmp: func(x, y alarms.Alarm) int { return strings.Compare(TagText(x.Tag), TagText(y.Tag)) }},
	{title: "Alarm", width: 140, text: NameText, cmp: func(x, y alarms.Alarm) int { return strings.Compare(NameText(x), NameText(y)) }},
	{title: "State", width: 150, text: func(a alarms.Alarm) string { return StateText(a.State) },
		cmp: func(x, y alarms.Alarm) int { return int(x.State) - int(y.State) }},
	{title: "Message", width: 420, text: func(a alarms.Alarm) string { return a.Message }},
}

// NewSummary builds the alarm summary screen.
func NewSummary(eng Engine, deps Deps) *Summary {
	s := &Summary{eng: eng, deps: deps, Status: widget.NewLabel("")}
	if s.deps.Do == nil {
		s.deps.Do = fyne.Do
	}
	s.life, s.end = context.WithCancel(context.Background())
	s.prio = widget.NewSelect([]string{"All", "1", "2", "3", "4"}, func(string) { s.refilter() })
	s.prio.SetSelected("All")
	s.area = widget.NewEntry()
	s.area.SetPlaceHolder("area")
	s.area.OnChanged = func(string) { s.refilter() }
	s.text = widget.NewEntry()
	s.text.SetPlaceHolder("text")
	s.text.OnChanged = func(string) { s.refilter() }
	s.active = newTable(activeColumns, func() string {
		if s.filtered() {
			return "No active alarm matches the filter."
		}
		return "No active alarms."
	})
	s.active.onTap = func(a alarms.Alarm) {
		if s.OnSelect != nil {
			s.OnSelect(a)
		}
	}
	filters := container.NewHBox(s.prio, fixedWidth(s.area, 140), fixedWidth(s.text, 220),
		widget.NewButton("Ack selected (F9)", s.AckSelected),
		widget.NewButton("Ack page (Shift+F9)", s.AckVisiblePage),
		widget.NewButton("Shelve…", s.shelveSelected))
	active := container.NewBorder(filters, nil, nil, nil, s.active.obj)

	s.shelved = newTable([]column{
		{title: "Tag", width: 190, text: func(a alarms.Alarm) string { return TagText(a.Tag) },
			cmp: func(x, y alarms.Alarm) int { return strings.Compare(TagText(x.Tag), TagText(y.Tag)) }},
		{title: "Alarm", width: 120, text: NameText},
		{title: "Until", width: 84, text: shelvedUntil, cmp: func(x, y alarms.Alarm) int { return x.ShelvedUntil.Compare(y.ShelvedUntil) }},
		{title: "By", width: 100, text: func(a alarms.Alarm) string { return a.ShelvedBy }},
		{title: "Reason", width: 360, text: func(a alarms.Alarm) string { return a.ShelveReason }},
	}, func() string { return "No shelved alarms." })
	shelved := container.NewBorder(container.NewHBox(widget.NewButton("Unshelve selected", s.unshelveSelected)), nil, nil, nil, s.shelved.obj)

	s.oos = newTable([]column{
		{title: "Tag", width: 190, text: func(a alarms.Alarm) string { return TagText(a.Tag) },
			cmp: func(x, y alarms.Alarm) int { return strings.Compare(TagText(x.Tag), TagText(y.Tag)) }},
		{title: "Alarm", width: 120, text: NameText},
		{title: "By", width: 100, text: func(a alarms.Alarm) string { return a.OOSBy }},
		{title: "Reason", width: 360, text: func(a alarms.Alarm) string { return a.OOSReason }},
	}, func() string { return "No alarms out of service." })
	oos := container.NewBorder(container.NewHBox(widget.NewButton("Return selected to service", s.returnSelected)), nil, nil, nil, s.oos.obj)

	s.kpi = widget.NewLabel("")
	s.jLabel, s.jText = widget.NewLabel(""), widget.NewEntry()
	s.jText.SetPlaceHolder("text to find in the journal")
	period := widget.NewSelect(journalPeriods(), nil)
	period.SetSelectedIndex(1) // last 24 h
	search := widget.NewButton("Search", func() {
		now := s.now()
		s.SearchJournal(now.Add(-journalPeriod[period.SelectedIndex()].d), now, s.jText.Text)
	})
	export := widget.NewButton("Export CSV…", s.exportJournal)
	journal := container.NewBorder(container.NewBorder(nil, nil, period, container.NewHBox(search, export), s.jText),
		nil, nil, nil, container.NewVScroll(s.jLabel))
	tabs := container.NewAppTabs(
		container.NewTabItem("Active", active),
		container.NewTabItem("Shelved", shelved),
		container.NewTabItem("Out of service", oos),
		container.NewTabItem("Journal", journal),
		container.NewTabItem("KPIs", container.NewBorder(widget.NewButton("Refresh", s.RefreshKPI), nil, nil, nil, s.kpi)),
	)
	s.obj = container.NewBorder(nil, s.Status, nil, nil, tabs)
	s.refilter()
	return s
}

// shelvedUntil is when a shelving ends, or "cleared" for a one-shot one.
func shelvedUntil(a alarms.Alarm) string {
	if a.OneShot {
		return "cleared"
	}
	return a.ShelvedUntil.Format("15:04:05")
}

// Object is the summary's canvas object.
func (s *Summary) Object() fyne.CanvasObject { return s.obj }

func (s *Summary) now() time.Time {
	if s.deps.Now != nil {
		return s.deps.Now()
	}
	return time.Now()
}

// Visible returns the active list as shown (filtered and sorted).
func (s *Summary) Visible() []alarms.Alarm { return slices.Clone(s.active.rows) }

// Select marks an alarm of the active list selected (as ticking its row
// does). An alarm the list does not show cannot be selected.
func (s *Summary) Select(id alarms.ID, on bool) {
	for _, a := range s.active.rows {
		if a.ID == id {
			if on {
				s.active.selected[id] = true
			} else {
				delete(s.active.selected, id)
			}
		}
	}
	s.active.t.Refresh()
}

// Selected returns the selected alarms of the active list.
func (s *Summary) Selected() []alarms.ID { return s.active.selectedIDs() }

// SelectShelved marks a shelved alarm selected on the Shelved tab.
func (s *Summary) SelectShelved(id alarms.ID, on bool) {
	for _, a := range s.shelved.rows {
		if a.ID == id {
			s.shelved.selected[id] = on
		}
	}
}

// SetFilter sets the priority ("All" or "1".."4"), area and text filters.
func (s *Summary) SetFilter(prio, area, text string) {
	s.prio.SetSelected(prio)
	s.area.SetText(area)
	s.text.SetText(text)
	s.refilter()
}

func (s *Summary) filtered() bool {
	return (s.prio.Selected != "" && s.prio.Selected != "All") || s.area.Text != "" || s.text.Text != ""
}

// ShelvedText and OutOfServiceText return the rows of those tabs, one
// line each: "Tank1.Level/HiHi until 08:10:00 by op1: sensor cleaning".
func (s *Summary) ShelvedText() string {
	var b strings.Builder
	for _, a := range s.shelved.rows {
		fmt.Fprintf(&b, "%s/%s until %s by %s: %s\n", TagText(a.Tag), NameText(a), shelvedUntil(a), a.ShelvedBy, a.ShelveReason)
	}
	return b.String()
}

// OutOfServiceText: see ShelvedText.
func (s *Summary) OutOfServiceText() string {
	var b strings.Builder
	for _, a := range s.oos.rows {
		fmt.Fprintf(&b, "%s/%s by %s: %s\n", TagText(a.Tag), NameText(a), a.OOSBy, a.OOSReason)
	}
	return b.String()
}

// KPIText returns the KPI tab's text.
func (s *Summary) KPIText() string { return s.kpi.Text }

// SortBy sorts the active list by column i: 0 priority, 1 time (newest
// first), 2 tag, 3 alarm, 4 state, as tapping that header does the first
// time.
func (s *Summary) SortBy(i int) {
	col := colPriority + i
	s.active.sortCol, s.active.desc = col, col >= fixedCols && s.active.cols[col-fixedCols].desc
	s.refilter()
}

// Update refreshes the tables when the engine changed, and clears a status
// message that has been shown long enough.
func (s *Summary) Update(now time.Time) {
	if !s.until.IsZero() && !now.IsZero() && !now.Before(s.until) {
		s.Status.SetText("")
		s.until = time.Time{}
	}
	v := s.eng.Version()
	if s.started && v == s.version {
		return
	}
	s.started, s.version = true, v
	s.all = s.eng.Active()
	var sh, oos []alarms.Alarm
	for _, a := range s.all {
		if a.Shelved {
			sh = append(sh, a)
		}
		if a.OutOfService {
			oos = append(oos, a)
		}
	}
	s.shelved.setRows(sh)
	s.oos.setRows(oos)
	s.refilter()
}

func (s *Summary) refilter() {
	if s.active == nil {
		return
	}
	var rows []alarms.Alarm
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
		if text != "" && !strings.Contains(strings.ToLower(a.Tag+" "+TagText(a.Tag)+" "+NameText(a)+" "+a.Message), text) {
			continue
		}
		rows = append(rows, a)
	}
	s.active.setRows(rows)
}

// report shows an action's result in the status line for StatusFor; a
// refusal verbatim, for RefusalFor, and in a dialog.
func (s *Summary) report(what string, err error) {
	if err == nil {
		s.Status.SetText(what)
		s.until = s.now().Add(StatusFor)
		return
	}
	s.Status.SetText(err.Error())
	s.until = s.now().Add(RefusalFor)
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

// AckSelected acknowledges the selected visible alarms (F9).
func (s *Summary) AckSelected() { s.ack(s.active.selectedIDs()) }

// AckVisiblePage acknowledges every alarm the filtered list shows (Shift+F9).
func (s *Summary) AckVisiblePage() {
	var ids []alarms.ID
	for _, a := range s.active.rows {
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
		s.report("nothing selected to acknowledge", nil)
		return
	}
	s.report("acknowledged "+count(len(ids)), s.eng.AckMany(s.user(), ids, ""))
	s.active.clearSelection()
	s.Update(time.Time{})
}

// count is "1 alarm", "3 alarms".
func count(n int) string {
	if n == 1 {
		return "1 alarm"
	}
	return fmt.Sprintf("%d alarms", n)
}

// Shelve shelves alarm id for d with reason; the engine refuses beyond the
// alarm's maximum or without a reason, and the refusal is shown verbatim.
func (s *Summary) Shelve(id alarms.ID, d time.Duration, reason string) error {
	_, err := s.shelveIDs([]alarms.ID{id}, d, reason)
	s.report("shelved 1 alarm for "+durationText(d), err)
	return err
}

// shelveIDs shelves ids, stopping at the first refusal, and says how many
// it shelved; the selection is cleared once any was (they have left the
// active list).
func (s *Summary) shelveIDs(ids []alarms.ID, d time.Duration, reason string) (int, error) {
	done := 0
	var err error
	for _, id := range ids {
		if err = s.eng.Shelve(s.user(), id, d, reason); err != nil {
			break
		}
		done++
	}
	if done > 0 {
		s.active.clearSelection()
	}
	s.Update(time.Time{})
	return done, err
}

// Unshelve returns a shelved alarm to the list.
func (s *Summary) Unshelve(id alarms.ID, reason string) error {
	err := s.eng.Unshelve(s.user(), id, reason)
	s.report("unshelved "+count(1), err)
	s.Update(time.Time{})
	return err
}

// SetOutOfService takes an alarm out of service (on) or back.
func (s *Summary) SetOutOfService(id alarms.ID, on bool, reason string) error {
	err := s.eng.SetOutOfService(s.user(), id, on, reason)
	what := "returned 1 alarm to service"
	if on {
		what = "took 1 alarm out of service"
	}
	s.report(what, err)
	s.Update(time.Time{})
	return err
}

// unshelveSelected is the Shelved tab's action: it acts only on what that
// tab shows and has selected.
func (s *Summary) unshelveSelected() {
	s.actOnSelected(s.shelved, "select the shelved alarm(s) to unshelve", "unshelved %s",
		func(id alarms.ID) error { return s.Unshelve(id, "unshelved by operator") })
}

// UnshelveSelected is the Shelved tab's Unshelve button.
func (s *Summary) UnshelveSelected() { s.unshelveSelected() }

// returnSelected is the Out of service tab's action.
func (s *Summary) returnSelected() {
	s.actOnSelected(s.oos, "select the alarm(s) to return to service", "returned %s to service",
		func(id alarms.ID) error { return s.SetOutOfService(id, false, "returned to service by operator") })
}

// actOnSelected runs act on tb's selected alarms, clearing the selection
// first, and stops at the first refusal (which act has reported).
func (s *Summary) actOnSelected(tb *table, none, done string, act func(alarms.ID) error) {
	ids := tb.selectedIDs()
	if len(ids) == 0 {
		s.report(none, nil)
		return
	}
	tb.clearSelection()
	for _, id := range ids {
		if act(id) != nil {
			return
		}
	}
	s.report(fmt.Sprintf(done, count(len(ids))), nil)
}

// RefreshKPI reads the engine's KPIs into the KPI tab. The engine flushes
// its journal and queries the history file for them, so the read runs in
// the background and the tab says so until the answer is posted back; the
// window never waits for the disk. A new refresh, or Close, cancels a read
// still in flight.
func (s *Summary) RefreshKPI() {
	if s.life.Err() != nil {
		return // closed
	}
	if s.kpiStop != nil {
		s.kpiStop()
	}
	ctx, cancel := context.WithCancel(s.life)
	s.kpiStop = cancel
	s.kpi.SetText(readingKPIs)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		k, err := s.eng.KPI(ctx)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			if ctx.Err() != nil {
				return // a newer refresh, or Close, came first
			}
			s.kpi.SetText(kpiText(k, err))
		})
	}()
}

// readingKPIs is the KPI tab's text while the KPIs are being read.
const readingKPIs = "reading the KPIs from the journal…"

// kpiText is the KPI tab's text for k, or err verbatim.
func kpiText(k alarms.KPI, err error) string {
	if err != nil {
		return err.Error()
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
	return b.String()
}

// SearchJournal searches the journal off the UI goroutine; the result is
// shown via fyne.Do. A new search cancels the previous one.
func (s *Summary) SearchJournal(from, to time.Time, text string) {
	if s.deps.Journal == nil || s.life.Err() != nil {
		return
	}
	if s.cancel != nil {
		s.cancel()
	}
	ctx, cancel := context.WithCancel(s.life)
	s.cancel = cancel
	s.jLabel.SetText("searching…")
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		evs, err := s.deps.Journal.Events(ctx, from, to, text, 1000)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			if ctx.Err() != nil {
				return // a newer search, or Close, came first
			}
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

// Close cancels the background reads (journal search, KPIs, export) and
// waits for them.
func (s *Summary) Close() {
	s.end()
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
		path := w.URI().Path()
		if s.life.Err() != nil {
			_ = w.Close() // closed meanwhile: nothing was written, nothing to report
			return
		}
		// The file is written in the background: a slow or network disk
		// must not hold up the window.
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			err := s.ExportJournalCSV(w)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			s.deps.Do(func() {
				s.report("journal exported to "+path, err)
				if err == nil {
					dialog.ShowInformation("Export", "Exported to "+path, s.deps.Window)
				}
			})
		}()
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
