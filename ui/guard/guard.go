// Package guard puts the operator window's actions on the record. Writer is
// the faceplates' entry to the one write path (audit.WritePath: the
// logged-in operator's role, areas and, for critical tags, signature; the
// limits; the device write and read-back; the audit record). Alarms is the alarm views' engine, recording every
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
var ErrNoAudit = audit.ErrNoAudit

// ErrNotLoggedIn refuses writes when nobody is logged in.
var ErrNotLoggedIn = audit.ErrNotLoggedIn

// Reason is the audit reason of a write from a faceplate.
const Reason = "faceplate"

// Writer writes setpoints for the window; it satisfies ui/setpoint.Writer.
// It is the faceplates' entry to the write path: it names the logged-in
// operator and asks for their signature before a critical write; the
// write path does the rest.
type Writer struct {
	Tags    []*datasource.Tag      // index == TagID
	Session func() *access.Session // the logged-in operator; nil: nobody
	Path    *audit.WritePath       // nil or without audit trail refuses every write (ErrNoAudit)
	// Reauth asks the operator for their password before a write to a
	// critical tag (electronic signature); it returns an error when they
	// cancel. Nil refuses critical writes.
	Reauth func(ctx context.Context, tag *datasource.Tag) (string, error)
}

// Write writes req.Value to req.Tag as the logged-in operator (req.User is
// ignored: the session says who writes) and returns the write path's result;
// every attempt, refused or not, is in the audit trail. Only a signature
// the operator cancels is not: nothing was asked for.
func (w *Writer) Write(ctx context.Context, req poll.WriteRequest) (poll.WriteResult, error) {
	if !w.Path.Audited() {
		return poll.WriteResult{Tag: req.Tag, Requested: req.Value}, ErrNoAudit
	}
	name := fmt.Sprintf("#%d", req.Tag) // no tag has it: the write path refuses and records it
	var tag *datasource.Tag
	if int(req.Tag) < len(w.Tags) {
		tag = w.Tags[req.Tag]
		name = tag.Name
	}
	var who audit.Who // stays nil, not a nil *Session, when nobody is logged in
	password := ""
	if s := w.session(); s != nil {
		who = s
		if tag != nil && w.Reauth != nil && errors.Is(s.AuthorizeWrite(tag, ""), access.ErrReauthRequired) {
			// Ask first, so the record holds the signed write rather than a
			// refusal followed by it.
			var err error
			if password, err = w.Reauth(ctx, tag); err != nil {
				return poll.WriteResult{Tag: req.Tag, Requested: req.Value}, fmt.Errorf("%s: not written: %w", tag.Name, err)
			}
		}
	}
	return w.Path.Write(ctx, who, audit.Request{Tag: name, Value: req.Value, Signature: password, Reason: Reason, Via: audit.ViaFaceplate})
}

// CanWrite reports whether the logged-in operator may write tag at all: the
// faceplate hides its entry otherwise.
func (w *Writer) CanWrite(tag *datasource.Tag) bool {
	s := w.session()
	return tag.Writable && w.Path.Audited() && s != nil && s.Can(access.PermWrite, tag) == nil
}

func (w *Writer) session() *access.Session {
	if w.Session == nil {
		return nil
	}
	return w.Session()
}
