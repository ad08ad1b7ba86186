package audit

import "github.com/vigil-hmi/vigil/history"

// ActDisplayEdit is the action name of a display edited in the window's
// edit mode.
const ActDisplayEdit = "display_edit"

// DisplayEdit records an edit of a display in the window (edit mode): who
// changed which display, in which file, and what ("elements[3].at: [420,
// 350]"), or why the edit failed.
func (a *Auditor) DisplayEdit(user, display, file, change string, err error) error {
	state, msg := StateOK, user+" edited display "+display+": "+change
	data := map[string]string{"file": file, "change": change}
	if err != nil {
		state, msg = StateRefused, user+" could not edit display "+display+": "+err.Error()
		data["error"] = err.Error()
	}
	return a.append(history.Event{Source: display, Name: ActDisplayEdit, State: state, User: user, Message: msg, Data: data})
}
