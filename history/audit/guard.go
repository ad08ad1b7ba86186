package audit

import (
	"context"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// Writer is the write path's engine: *poll.Engine.
type Writer interface {
	Write(ctx context.Context, req poll.WriteRequest) (poll.WriteResult, error)
}

// GuardedWrite is the whole write path of an operator's setpoint: the
// session's permission and, for a critical tag, signature
// (access.Session.AuthorizeWrite); then the engine's limits, write and
// read-back; and the audit record of the outcome either way. A refusal
// reaches no device. The returned error is the refusal or the engine's
// error, for the UI to show verbatim; an audit failure is joined to it
// (and returned alone when the write succeeded), since an unaudited write
// must not look like a clean one.
func (a *Auditor) GuardedWrite(ctx context.Context, s *access.Session, e Writer, tag *datasource.Tag, v datasource.Value, reauthPassword, reason string) (poll.WriteResult, error) {
	res := poll.WriteResult{Tag: tag.ID, Requested: v}
	if err := s.AuthorizeWrite(tag, reauthPassword); err != nil {
		if aerr := a.Write(s.User(), tag, res, reason, err); aerr != nil {
			return res, joinAudit(err, aerr)
		}
		return res, err
	}
	res, err := e.Write(ctx, poll.WriteRequest{Tag: tag.ID, Value: v, User: s.User(), Reason: reason})
	if aerr := a.Write(s.User(), tag, res, reason, err); aerr != nil {
		return res, joinAudit(err, aerr)
	}
	return res, err
}
