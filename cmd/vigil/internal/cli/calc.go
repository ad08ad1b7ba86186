package cli

import (
	"errors"
	"fmt"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/audit"
)

// ActResetTotal is the audit action of a totalizer reset on demand.
const ActResetTotal = "reset_total"

// ErrNoAudit refuses an operator action when history (and so the audit
// trail) is off.
var ErrNoAudit = errors.New("history is off, so the action could not be audited; nothing was done")

// ResetTotal resets totalizer tag to 0 on demand: the operator action of
// the faceplate's Reset button and of `reset TAG` on vigil run --commands.
// It needs write permission on the tag's group, is recorded in the audit
// trail (who, the value cleared, the reason) whatever its outcome, and
// publishes the value before the reset and then 0, so history keeps it.
func (rt *Runtime) ResetTotal(s *access.Session, tag *datasource.Tag, reason string) error {
	if rt.Calc == nil || tag.Calc == nil || !tag.Calc.Kind.Totalizer() {
		return fmt.Errorf("%s is not a totalizer; nothing was reset", tag.Name)
	}
	if rt.Audit == nil {
		return ErrNoAudit
	}
	old := rt.Table.Get(tag.ID)
	err := s.Can(access.PermWrite, tag)
	if err == nil {
		err = rt.Calc.Reset(tag.ID)
	}
	state, msg := audit.StateOK, fmt.Sprintf("%s reset from %s to 0", tag.Name, old.Value)
	data := map[string]string{"old": old.Value.String(), "old_quality": old.Quality.String(), "reason": reason}
	if err != nil {
		state, msg, data["error"] = audit.StateRefused, err.Error(), err.Error()
	}
	aerr := rt.Audit.AppendEvents([]history.Event{{Kind: audit.Kind, Source: tag.Name, Name: ActResetTotal,
		State: state, User: s.User(), Message: msg, Data: data}})
	if err == nil {
		rt.Table.Engine().Derive(rt.Clock.Now()) // the reset is done now, not at the next input
	}
	if aerr != nil {
		return errors.Join(err, &audit.AuditError{Err: aerr})
	}
	return err
}
