package setpoint

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// confirmText is the question before a write, e.g.
// "Tank1.LevelSP: 50.0 % → 55.0 %".
func confirmText(tag *datasource.Tag, old, v datasource.Value) string {
	return tag.Name + ": " + formatValue(tag, old) + " → " + formatValue(tag, v)
}

// askConfirm shows the confirmation for writing v.
func (f *Faceplate) askConfirm(v datasource.Value) {
	if f.inFlight {
		return
	}
	f.ask("Write this value?", confirmText(f.tag, f.last.Value, v), "Write", "nothing was written", func() { f.startWrite(v) })
}

// ask shows a confirmation of an action on the tag: what (the question),
// exactly what changes (the detail, in bold), and the button that does it
// (act). Cancel is the default: it has the focus colour, and Return, Enter
// and Esc all cancel; only a deliberate tap (or Space on the focused
// action button) runs do. none says what did not happen when the
// faceplate cannot ask.
func (f *Faceplate) ask(question, detail, act, none string, do func()) {
	if f.confirm != nil {
		return
	}
	if f.deps.Window == nil {
		// A programming error of the owner; say it rather than do nothing.
		f.result.SetText("cannot ask for confirmation: the faceplate has no window; " + none)
		return
	}
	c := f.deps.Window.Canvas()
	detailLabel := widget.NewLabel(detail)
	detailLabel.TextStyle.Bold = true
	cancel := widget.NewButton("Cancel", f.hideConfirm)
	cancel.Importance = widget.HighImportance
	action := widget.NewButton(act, func() {
		f.hideConfirm()
		do()
	})
	action.Importance = widget.MediumImportance
	box := container.NewVBox(widget.NewLabel(question), detailLabel, container.NewHBox(cancel, action))
	f.confirm = widget.NewModalPopUp(box, c)
	prev := c.OnTypedKey()
	f.restoreKey = func() { c.SetOnTypedKey(prev) }
	c.Unfocus()
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter, fyne.KeyEscape:
			f.hideConfirm()
		}
	})
	f.confirm.Show()
	f.confirmQuestion, f.confirmCancel, f.confirmAct = detailLabel, cancel, action
}

// hideConfirm closes the confirmation without writing.
func (f *Faceplate) hideConfirm() {
	if f.confirm == nil {
		return
	}
	f.confirm.Hide()
	f.confirm = nil
	f.confirmQuestion, f.confirmCancel, f.confirmAct = nil, nil, nil
	if f.restoreKey != nil {
		f.restoreKey()
		f.restoreKey = nil
	}
}

// startWrite writes v on its own goroutine, bounded by the timeout and
// ended by Close, and shows the result on the UI goroutine.
func (f *Faceplate) startWrite(v datasource.Value) {
	if f.closed || f.inFlight {
		return
	}
	f.inFlight = true
	f.updateButtons()
	f.result.SetText("writing " + formatValue(f.tag, v) + " …")
	ctx, cancel := context.WithTimeout(context.Background(), f.deps.Timeout)
	f.cancel = cancel
	req := poll.WriteRequest{Tag: f.tag.ID, Value: v, User: f.deps.User}
	w := f.deps.Writer
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer cancel()
		res, err := w.Write(ctx, req)
		text := resultText(f.tag, res, err)
		fyne.Do(func() {
			if f.closed {
				return
			}
			f.inFlight = false
			f.cancel = nil
			if err == nil && res.Match && f.entry != nil {
				// Written and read back: the value is the tag's now, and
				// leaving it in the entry invites writing it twice.
				f.entry.SetText("")
			}
			f.result.SetText(text)
			f.updateButtons()
			f.fit()
		})
	}()
}

// resultText is what the operator reads after a write: the write path's
// own message verbatim for a refusal, mismatch or failure, otherwise what
// was written and what was read back.
func resultText(tag *datasource.Tag, res poll.WriteResult, err error) string {
	if err != nil {
		return err.Error()
	}
	if !res.Match {
		// Write promises an error with every mismatch; say so anyway
		// rather than claim success.
		return fmt.Sprintf("%s: wrote %s, but it reads back %s (%s)", tag.Name,
			formatValue(tag, res.Requested), formatValue(tag, res.ReadBack.Value), res.ReadBack.Quality)
	}
	return fmt.Sprintf("%s: wrote %s, read back %s", tag.Name,
		formatValue(tag, res.Requested), formatValue(tag, res.ReadBack.Value))
}
