package audit

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/history"
)

// Kind is the history.Event Kind of every record an Auditor writes.
const Kind = "audit"

// The results, in an audit event's State.
const (
	StateOK       = "ok"       // the action was done
	StateRefused  = "refused"  // permission, limits, a wrong password: nothing was done
	StateFailed   = "failed"   // it was tried and failed (device error, ...)
	StateMismatch = "mismatch" // written, but the read-back differs
	StateUnknown  = "unknown"  // the outcome is not known (no answer in time)
)

// The action names, in an audit event's Name.
const (
	ActWrite       = "write"
	ActLogin       = "login"
	ActLoginFailed = "login_failed"
	ActLogout      = "logout"
	ActUserAdd     = "user_add"
	ActUserPasswd  = "user_passwd"
	ActUserRemove  = "user_remove"
)

// Auditor records operator actions in the journal through a Chain. The
// runtime and the UI call it after each action, whatever its outcome;
// each method returns the journal's error, which the caller must show
// (an action that cannot be audited should not pass silently).
type Auditor struct{ c *Chain }

// NewAuditor returns an Auditor writing to c.
func NewAuditor(c *Chain) *Auditor { return &Auditor{c: c} }

func (a *Auditor) append(e history.Event) error {
	e.Kind = Kind
	return a.c.AppendEvents([]history.Event{e})
}

// write records a setpoint write of the tag called name, done or refused:
// the value before, the value asked (as typed when it was not a value),
// the read-back and its result, from what the write path got (res, err),
// with the entry point and the operator's reason. Only WritePath calls it.
func (a *Auditor) write(user, name string, res poll.WriteResult, asked, via, reason string, err error) error {
	data := map[string]string{
		"old":         res.Old.Value.String(),
		"new":         asked,
		"old_quality": res.Old.Quality.String(),
		"reason":      reason,
	}
	if via != "" {
		data["via"] = via
	}
	if !res.ReadBack.Time.IsZero() || !res.ReadBack.Value.IsNone() {
		data["read_back"] = res.ReadBack.Value.String()
		data["read_back_quality"] = res.ReadBack.Quality.String()
	}
	data["match"] = strconv.FormatBool(res.Match)
	state, msg := StateOK, fmt.Sprintf("%s set from %s to %s", name, res.Old.Value, asked)
	if err != nil {
		data["error"] = err.Error()
		state, msg = writeState(err), err.Error()
	}
	return a.append(history.Event{Source: name, Name: ActWrite, State: state, User: user, Message: msg, Data: data})
}

// writeState classifies a write error.
func writeState(err error) string {
	var ab *poll.AbortedError
	switch {
	case errors.Is(err, poll.ErrMismatch):
		return StateMismatch
	case errors.As(err, &ab) && ab.Started:
		return StateUnknown
	case errors.As(err, new(*poll.DeviceError)) && !errors.Is(err, poll.ErrDeviceNotConnected):
		return StateFailed
	}
	return StateRefused
}

// AlarmAction records an operator action on an alarm ("Tank1.Level/HiHi"),
// done (err nil) or refused (err from the engine).
func (a *Auditor) AlarmAction(user string, action alarms.Action, alarm, reason string, err error) error {
	state, msg := StateOK, fmt.Sprintf("%s: %s by %s", alarm, action, user)
	data := map[string]string{"reason": reason}
	if err != nil {
		state, msg = StateRefused, err.Error()
		data["error"] = err.Error()
	}
	return a.append(history.Event{Source: alarm, Name: string(action), State: state, User: user, Message: msg, Data: data})
}

// Login records a login: successful (err nil) or failed, with detail the
// refusal's message hides from the person at the keyboard; when detail is
// "" it is taken from an access error: "unknown user", "wrong password" or
// "locked".
func (a *Auditor) Login(user string, err error, detail string) error {
	if err == nil {
		return a.append(history.Event{Source: user, Name: ActLogin, State: StateOK, User: user,
			Message: user + " logged in", Data: map[string]string{}})
	}
	data := map[string]string{"error": err.Error()}
	var le *access.LoginError
	switch {
	case detail != "":
	case errors.Is(err, access.ErrLocked):
		detail = "locked"
	case errors.As(err, &le) && le.UnknownUser:
		detail = "unknown user"
	case errors.As(err, &le):
		detail = "wrong password"
	}
	if detail != "" {
		data["reason"] = detail
	}
	return a.append(history.Event{Source: user, Name: ActLoginFailed, State: StateRefused, User: user,
		Message: err.Error(), Data: data})
}

// Logout records the end of a session: reason "logout", "idle",
// "replaced", "removed" or "locked".
func (a *Auditor) Logout(user, reason string) error {
	return a.append(history.Event{Source: user, Name: ActLogout, State: StateOK, User: user,
		Message: user + " logged out (" + reason + ")", Data: map[string]string{"reason": reason}})
}

// UserChange records a change of the users file by `by`: action is
// ActUserAdd, ActUserPasswd or ActUserRemove; detail e.g. "role operator".
func (a *Auditor) UserChange(by, action, user, detail string) error {
	return a.append(history.Event{Source: user, Name: action, State: StateOK, User: by,
		Message: fmt.Sprintf("%s: %s %s", action, user, detail), Data: map[string]string{"reason": detail}})
}

// AuditError is an action whose audit record could not be written.
type AuditError struct{ Err error }

// Error implements error.
func (e *AuditError) Error() string {
	return "the action was not recorded in the audit trail: " + e.Err.Error()
}

// Unwrap returns the journal's error.
func (e *AuditError) Unwrap() error { return e.Err }

// joinAudit joins the action's error (may be nil) and the audit failure.
func joinAudit(err, aerr error) error {
	if err == nil {
		return &AuditError{Err: aerr}
	}
	return errors.Join(err, &AuditError{Err: aerr})
}
