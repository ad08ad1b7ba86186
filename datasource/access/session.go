package access

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// Session is a logged-in user. It ends on Logout, after Policy.IdleLogoff
// without activity (Touch, or any permitted action), when the user logs in
// again elsewhere, or when the user is removed.
type Session struct {
	dir   *Directory
	user  User
	start time.Time

	mu     sync.Mutex // guards last and ended
	last   time.Time  // last activity
	ended  string     // why it ended: "logout", "idle", "replaced", "removed", "locked"; "" while open
	signed time.Time  // last successful re-authentication
}

// User returns the user's name.
func (s *Session) User() string { return s.user.Name }

// Role returns the user's role.
func (s *Session) Role() Role { return s.user.Role }

// Areas returns the user's areas (empty: all).
func (s *Session) Areas() []string { return slices.Clone(s.user.Areas) }

// Start returns when the user logged in.
func (s *Session) Start() time.Time { return s.start }

// Touch records activity (a key press, a click) and so postpones the idle
// logoff. It returns ErrSessionEnded, wrapped with the reason, when the
// session has already ended.
func (s *Session) Touch() error {
	if err := s.check(); err != nil {
		return err
	}
	s.mu.Lock()
	s.last = s.dir.clock.Now()
	s.mu.Unlock()
	return nil
}

// Ended reports whether the session has ended and why ("logout", "idle",
// "replaced", "removed", "locked"). Call it from a timer to log the user off
// the screen: it notices idleness itself.
func (s *Session) Ended() (bool, string) {
	if err := s.check(); err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		return true, s.ended
	}
	return false, ""
}

// IdleDeadline returns when the session logs off unless touched (zero: never).
func (s *Session) IdleDeadline() time.Time {
	idle := s.dir.Policy().IdleLogoff
	if idle <= 0 {
		return time.Time{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last.Add(idle)
}

// Logout ends the session.
func (s *Session) Logout() {
	s.end("logout")
	s.dir.forget(s)
}

func (s *Session) end(reason string) {
	s.mu.Lock()
	if s.ended == "" {
		s.ended = reason
	}
	s.mu.Unlock()
}

// check returns nil while the session is open, ending it first when it has
// been idle too long.
func (s *Session) check() error {
	idle := s.dir.Policy().IdleLogoff
	now := s.dir.clock.Now()
	s.mu.Lock()
	if s.ended == "" && idle > 0 && now.Sub(s.last) >= idle {
		s.ended = "idle"
	}
	why := s.ended
	s.mu.Unlock()
	if why == "" {
		return nil
	}
	if why == "idle" {
		s.dir.forget(s)
		return fmt.Errorf("user %q was logged off after %v without activity: %w", s.user.Name, idle, ErrSessionEnded)
	}
	return fmt.Errorf("user %q: %w (%s)", s.user.Name, ErrSessionEnded, why)
}

// Can returns nil when the user may take action p, on tag when the action
// is on a tag (nil otherwise), or the refusal: ErrSessionEnded (wrapped),
// or a *PermissionError naming user, role, action and tag. A permitted
// check counts as activity.
func (s *Session) Can(p Permission, tag *datasource.Tag) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := s.user.Can(p, tag); err != nil {
		return err
	}
	return s.Touch()
}

// Can returns nil when the user's role and areas allow action p (on tag,
// nil for actions not on a tag), else the *PermissionError. It needs no
// session: Session.Can adds that; a station acting for a user logged in at
// another station (docs/control-room.md) checks the user this way.
func (u User) Can(p Permission, tag *datasource.Tag) error {
	pe := &PermissionError{User: u.Name, Role: u.Role, Action: p}
	if tag != nil {
		pe.Tag = tag.Name
	}
	if !u.Role.Has(p) {
		return pe
	}
	if p.perTag() && len(u.Areas) > 0 {
		area := ""
		if tag != nil {
			area = tag.Group
		}
		if !slices.Contains(u.Areas, area) {
			pe.Area = area
			return pe
		}
	}
	return nil
}

// AuthorizeWrite is the write path's permission step: the user may write
// tag (PermWrite in the tag's area), and for a Critical tag
// reauthPassword is the user's password (electronic signature). An empty
// reauthPassword for a critical tag returns ErrReauthRequired so the UI
// can ask for it; a wrong one is a *LoginError and counts towards the
// lockout (a lockout ends the session). In single-operator mode there is
// no password: the UI's confirmation is the only signature.
func (s *Session) AuthorizeWrite(tag *datasource.Tag, reauthPassword string) error {
	if tag == nil {
		return errors.New("no tag to write")
	}
	if err := s.Can(PermWrite, tag); err != nil {
		return err
	}
	if !tag.Critical || s.dir.SingleOperator() {
		return nil
	}
	if reauthPassword == "" {
		return fmt.Errorf("%s: %w", tag.Name, ErrReauthRequired)
	}
	if err := s.Reauthenticate(reauthPassword); err != nil {
		return fmt.Errorf("%s: signature refused, nothing was written: %w", tag.Name, err)
	}
	return nil
}

// Reauthenticate checks the user's password again for a critical action.
func (s *Session) Reauthenticate(password string) error {
	if err := s.check(); err != nil {
		return err
	}
	d := s.dir
	if err := d.checkLocked(s.user.Name); err != nil {
		s.end("locked")
		return err
	}
	u, ok := d.Lookup(s.user.Name)
	if !ok {
		s.end("removed")
		return fmt.Errorf("user %q: %w (removed)", s.user.Name, ErrSessionEnded)
	}
	good, err := verifyPassword(u.Hash, password)
	if err != nil {
		return fmt.Errorf("user %q in %s: %w", u.Name, d.path, err)
	}
	if !good {
		err := d.failed(u.Name, false)
		if errors.Is(err, ErrLocked) {
			s.end("locked")
		}
		return err
	}
	d.clearFailures(u.Name)
	now := d.clock.Now()
	s.mu.Lock()
	s.last, s.signed = now, now
	s.mu.Unlock()
	return nil
}
