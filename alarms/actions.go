package alarms

import (
	"errors"
	"fmt"
	"time"
)

// key names an alarm in messages and the journal: "Tank1.Level/HiHi".
func (e *Engine) key(id ID) string {
	d := &e.defs[id]
	return d.tag.Name + "/" + d.name
}

// authorize checks that id exists, a user is named and the Authorizer
// permits the action. It runs without mu, since an Authorizer may be slow.
func (e *Engine) authorize(user string, id ID, a Action) error {
	if int(id) >= len(e.defs) {
		return fmt.Errorf("alarm #%d: %s: %w", id, a, ErrUnknownAlarm)
	}
	if user == "" {
		return fmt.Errorf("alarm %s: %s: %w", e.key(id), a, ErrNoUser)
	}
	if err := e.auth.Authorize(user, a, e.defs[id].tag); err != nil {
		return &PermissionError{User: user, Action: a, Alarm: e.key(id), Err: err}
	}
	return nil
}

// act runs an action's state change under mu, journals it and notifies.
// do returns the transition name to journal ("" for a no-op) and extra
// data, or an error that refuses the action.
func (e *Engine) act(user string, id ID, a Action, do func(s *state, d *def, now time.Time) (string, []string, error)) error {
	if err := e.authorize(user, id, a); err != nil {
		return err
	}
	now := e.clock.Now()
	e.mu.Lock()
	s, d := &e.st[id], &e.defs[id]
	trans, extra, err := do(s, d, now)
	if err == nil && trans != "" {
		s.lastChange = now
		e.append(e.event(id, trans, user, now, extra...))
	}
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("alarm %s: %s: %w", e.key(id), a, err)
	}
	if trans != "" {
		e.notify()
	}
	return nil
}

// Ack acknowledges an alarm. Acknowledging an acknowledged alarm does
// nothing and is not an error (two operators may race for it).
func (e *Engine) Ack(user string, id ID, comment string) error {
	return e.act(user, id, ActionAck, func(s *state, _ *def, _ time.Time) (string, []string, error) {
		if !s.unacked {
			return "", nil, nil
		}
		s.unacked = false
		return TransAck, []string{"comment", comment}, nil
	})
}

// AckMany acknowledges a list of alarms (the selection, the visible page).
// It acknowledges every alarm it may and returns the refusals joined.
func (e *Engine) AckMany(user string, ids []ID, comment string) error {
	var errs []error
	for _, id := range ids {
		if err := e.Ack(user, id, comment); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Shelve shelves an alarm for d, at most the alarm's shelve maximum
// (*ShelveLimitError beyond it). Shelving acknowledges the alarm; it keeps
// being evaluated and journaled, and when the time is up a still active
// alarm is annunciated again. A reason is required.
func (e *Engine) Shelve(user string, id ID, d time.Duration, reason string) error {
	return e.act(user, id, ActionShelve, func(s *state, df *def, now time.Time) (string, []string, error) {
		switch {
		case reason == "":
			return "", nil, ErrReasonRequired
		case d <= 0:
			return "", nil, fmt.Errorf("%w, got %v", ErrBadDuration, d)
		case d > df.shelveMax:
			return "", nil, &ShelveLimitError{Alarm: df.tag.Name + "/" + df.name, Requested: d, Max: df.shelveMax}
		}
		s.shelve, s.shelvedUntil, s.shelvedBy, s.shelveReason = shelvedTimed, now.Add(d), user, reason
		s.unacked = false
		return TransShelve, []string{"duration", d.String(), "reason", reason}, nil
	})
}

// ShelveOneShot shelves an active alarm until it clears (or, latched,
// until it is reset). A reason is required.
func (e *Engine) ShelveOneShot(user string, id ID, reason string) error {
	return e.act(user, id, ActionShelve, func(s *state, _ *def, _ time.Time) (string, []string, error) {
		switch {
		case reason == "":
			return "", nil, ErrReasonRequired
		case !s.active && !s.latched:
			return "", nil, ErrNotActive
		}
		s.shelve, s.shelvedUntil, s.shelvedBy, s.shelveReason = shelvedOneShot, time.Time{}, user, reason
		s.unacked = false
		return TransShelve, []string{"duration", "oneshot", "reason", reason}, nil
	})
}

// Unshelve ends shelving now.
func (e *Engine) Unshelve(user string, id ID, reason string) error {
	return e.act(user, id, ActionUnshelve, func(s *state, _ *def, _ time.Time) (string, []string, error) {
		if s.shelve == notShelved {
			return "", nil, ErrNotShelved
		}
		s.endShelve()
		return TransUnshelve, []string{"reason", reason}, nil
	})
}

// SetOutOfService takes an alarm out of service (on) or returns it (off).
// An out-of-service alarm keeps being evaluated and journaled but is not
// annunciated. Taking it out of service needs a reason. Setting the state
// it already has does nothing.
func (e *Engine) SetOutOfService(user string, id ID, on bool, reason string) error {
	a := ActionOutOfService
	if !on {
		a = ActionInService
	}
	return e.act(user, id, a, func(s *state, _ *def, _ time.Time) (string, []string, error) {
		switch {
		case s.oos == on:
			return "", nil, nil
		case on && reason == "":
			return "", nil, ErrReasonRequired
		}
		if on {
			s.oos, s.oosBy, s.oosReason = true, user, reason
			return TransOutOfService, []string{"reason", reason}, nil
		}
		s.oos, s.oosBy, s.oosReason = false, "", ""
		s.quietIfUnhidden()
		ann := ""
		if s.annunciated() && s.unacked {
			ann = "true"
		}
		return TransInService, []string{"reason", reason, "annunciate", ann}, nil
	})
}

// Reset returns a latched alarm whose condition has cleared to Normal; it
// acknowledges it too, since resetting is the operator's response.
func (e *Engine) Reset(user string, id ID, comment string) error {
	return e.act(user, id, ActionReset, func(s *state, _ *def, _ time.Time) (string, []string, error) {
		switch {
		case !s.latched:
			return "", nil, ErrNotLatched
		case s.active:
			return "", nil, ErrStillActive
		}
		s.latched, s.unacked = false, false
		if s.shelve == shelvedOneShot {
			s.endShelve()
		}
		return TransReset, []string{"comment", comment}, nil
	})
}
