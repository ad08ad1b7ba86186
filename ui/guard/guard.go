// Package guard puts the operator window's actions on the record. Writer is
// the faceplates' setpoint writer: every write goes through the logged-in
// operator's session (role, area and, for critical tags, the password
// again), the engine's write path (limits, write, read-back) and the audit
// trail, in that order. Alarms is the alarm views' engine, recording every
// refused acknowledge, shelve or out-of-service in the audit trail.
//
// It sits between ui/setpoint and ui/alarmview, which know nothing of users
// or audit, and history/audit, which does the checks and the record.
package guard

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/history/audit"
)

// ErrNoAudit refuses writes when there is no audit trail to record them in.
var ErrNoAudit = errors.New("setpoint writes are off: history is off (--no-history), so there is no audit trail to record them in")

// ErrNotLoggedIn refuses writes when nobody is logged in.
var ErrNotLoggedIn = errors.New("log in to write setpoints")

// Reason is the audit reason of a write from a faceplate.
const Reason = "faceplate"

// Writer writes setpoints for the window; it satisfies ui/setpoint.Writer.
type Writer struct {
	Tags    []*datasource.Tag      // index == TagID
	Session func() *access.Session // the logged-in operator; nil: nobody
	Auditor *audit.Auditor         // nil refuses every write (ErrNoAudit)
	Engine  audit.Writer           // the poll engine
	// Reauth asks the operator for their password before a write to a
	// critical tag (electronic signature); it returns an error when they
	// cancel. Nil refuses critical writes.
	Reauth func(ctx context.Context, tag *datasource.Tag) (string, error)
}

// Write writes req.Value to req.Tag as the logged-in operator (req.User is
// ignored: the session says who writes) and returns the write path's result;
// every attempt, refused or not, is in the audit trail.
func (w *Writer) Write(ctx context.Context, req poll.WriteRequest) (poll.WriteResult, error) {
	res := poll.WriteResult{Tag: req.Tag, Requested: req.Value}
	if int(req.Tag) >= len(w.Tags) {
		return res, fmt.Errorf("write: no tag with id %d", req.Tag)
	}
	tag := w.Tags[req.Tag]
	if w.Auditor == nil {
		return res, ErrNoAudit
	}
	s := w.session()
	if s == nil {
		return res, ErrNotLoggedIn
	}
	password := ""
	if err := s.AuthorizeWrite(tag, ""); errors.Is(err, access.ErrReauthRequired) && w.Reauth != nil {
		// Ask first, so the record holds the signed write rather than a
		// refusal followed by it.
		if password, err = w.Reauth(ctx, tag); err != nil {
			return res, fmt.Errorf("%s: not written: %w", tag.Name, err)
		}
	}
	return w.Auditor.GuardedWrite(ctx, s, w.Engine, tag, req.Value, password, Reason)
}

// CanWrite reports whether the logged-in operator may write tag at all: the
// faceplate hides its entry otherwise.
func (w *Writer) CanWrite(tag *datasource.Tag) bool {
	s := w.session()
	return tag.Writable && w.Auditor != nil && s != nil && s.Can(access.PermWrite, tag) == nil
}

func (w *Writer) session() *access.Session {
	if w.Session == nil {
		return nil
	}
	return w.Session()
}
