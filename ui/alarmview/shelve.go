package alarmview

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/ui/internal/duration"
)

// shelvePresets are the durations the shelve dialog offers (those within
// the alarms' maximum).
var shelvePresets = []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour}

// durationText is a duration as the operator reads it: "2 h", not "2h0m0s".
func durationText(d time.Duration) string { return duration.Format(d) }

// shelveDialog asks for a duration (bounded by the alarms' maximum) and a
// reason, checking both as they are typed: Shelve is enabled only when
// both are valid. A refusal by the engine is shown in the dialog, which
// stays open with what was typed.
type shelveDialog struct {
	s      *Summary
	ids    []alarms.ID
	max    time.Duration // the smallest maximum of the alarms; 0 unknown
	dur    *widget.SelectEntry
	reason *widget.Entry
	// durMsg, reasonMsg say what is wrong under each field; result shows
	// the engine's refusal. They always hold a line, so the dialog does
	// not change size as the operator types.
	durMsg, reasonMsg, result *widget.Label
	ok                        *widget.Button
	d                         dialog.Dialog
}

// shelveSelected opens the shelve dialog for the selected active alarms.
func (s *Summary) shelveSelected() {
	ids := s.active.selectedIDs()
	if len(ids) == 0 {
		s.report("select the alarm(s) to shelve", nil)
		return
	}
	if s.deps.Window == nil {
		s.report("cannot ask for a duration and reason here", nil)
		return
	}
	sd := &shelveDialog{s: s, ids: ids}
	for _, a := range s.active.rows {
		if s.active.selected[a.ID] && a.ShelveMax > 0 && (sd.max == 0 || a.ShelveMax < sd.max) {
			sd.max = a.ShelveMax
		}
	}
	var opts []string
	for _, p := range shelvePresets {
		if sd.max == 0 || p <= sd.max {
			opts = append(opts, durationText(p))
		}
	}
	if sd.max > 0 && (len(opts) == 0 || shelvePresets[len(opts)-1] != sd.max) {
		opts = append(opts, durationText(sd.max))
	}
	sd.dur = widget.NewSelectEntry(opts)
	sd.reason = widget.NewEntry()
	sd.reason.SetPlaceHolder("why, e.g. sensor being cleaned")
	sd.durMsg, sd.reasonMsg, sd.result = widget.NewLabel(" "), widget.NewLabel(" "), widget.NewLabel(" ")
	sd.result.Wrapping = fyne.TextWrapWord
	sd.ok = widget.NewButton("Shelve", sd.submit)
	sd.ok.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", sd.cancel)
	sd.dur.OnChanged = func(string) { sd.validate() }
	sd.reason.OnChanged = func(string) { sd.validate() }
	sd.reason.OnSubmitted = func(string) {
		if !sd.ok.Disabled() {
			sd.submit()
		}
	}
	limit := "no known maximum"
	if sd.max > 0 {
		limit = "at most " + durationText(sd.max)
	}
	form := widget.NewForm(
		widget.NewFormItem("Duration", container.NewVBox(sd.dur, sd.durMsg)),
		widget.NewFormItem("Reason", container.NewVBox(sd.reason, sd.reasonMsg)))
	title := widget.NewLabel("Shelve " + count(len(ids)) + " (" + limit + ")")
	body := container.NewVBox(title, form, sd.result, container.NewHBox(cancel, sd.ok))
	wrap := container.NewGridWrap(fyne.NewSize(460, body.MinSize().Height), body)
	sd.d = dialog.NewCustomWithoutButtons("Shelve", wrap, s.deps.Window)
	def := 30 * time.Minute
	if sd.max > 0 && sd.max < def {
		def = sd.max
	}
	sd.dur.SetText(durationText(def))
	sd.reason.SetText(s.lastReason)
	sd.validate()
	s.shelveDlg = sd
	sd.d.Show()
	s.deps.Window.Canvas().Focus(sd.reason)
}

// validate checks the fields as typed and enables Shelve when both are good.
func (sd *shelveDialog) validate() (time.Duration, bool) {
	good := true
	d, err := duration.Parse(sd.dur.Text)
	switch {
	case err != nil:
		sd.durMsg.SetText("type a duration such as 30 min or 2 h")
		good = false
	case d <= 0:
		sd.durMsg.SetText("must be longer than 0")
		good = false
	case sd.max > 0 && d > sd.max:
		sd.durMsg.SetText("too long: at most " + durationText(sd.max))
		good = false
	default:
		sd.durMsg.SetText("until " + sd.s.now().Add(d).Format("15:04"))
	}
	if sd.reason.Text == "" {
		sd.reasonMsg.SetText("a reason is required")
		good = false
	} else {
		sd.reasonMsg.SetText(" ")
	}
	if good {
		sd.ok.Enable()
	} else {
		sd.ok.Disable()
	}
	return d, good
}

// submit shelves; on a refusal the dialog stays open with the reason.
func (sd *shelveDialog) submit() {
	d, ok := sd.validate()
	if !ok {
		return
	}
	s := sd.s
	s.lastReason = sd.reason.Text
	done, err := s.shelveIDs(sd.ids, d, sd.reason.Text)
	sd.ids = sd.ids[done:]
	if err != nil {
		sd.result.SetText(err.Error())
		s.Status.SetText(err.Error())
		s.until = s.now().Add(RefusalFor)
		return
	}
	s.lastReason = ""
	s.report("shelved "+count(done)+" for "+durationText(d), nil)
	sd.close()
}

func (sd *shelveDialog) cancel() {
	sd.s.lastReason = sd.reason.Text // typed, not lost: offered next time
	sd.close()
}

func (sd *shelveDialog) close() {
	sd.d.Hide()
	if sd.s.shelveDlg == sd {
		sd.s.shelveDlg = nil
	}
}
