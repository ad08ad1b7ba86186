package access

import (
	"fmt"
	"strings"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
)

// Authorizer adapts a Directory to the alarm engine's alarms.Authorizer:
// an action is allowed when the named user has an open session whose role
// and areas permit it.
type Authorizer struct{ Dir *Directory }

var _ alarms.Authorizer = Authorizer{}

// ActionPermission returns the permission an alarm action needs.
func ActionPermission(a alarms.Action) (Permission, bool) {
	switch a {
	case alarms.ActionAck, alarms.ActionReset:
		return PermAcknowledge, true
	case alarms.ActionShelve, alarms.ActionUnshelve:
		return PermShelve, true
	case alarms.ActionOutOfService, alarms.ActionInService:
		return PermOutOfService, true
	}
	return 0, false
}

// Authorize implements alarms.Authorizer.
func (a Authorizer) Authorize(user string, action alarms.Action, tag *datasource.Tag) error {
	p, ok := ActionPermission(action)
	if !ok {
		return fmt.Errorf("unknown alarm action %q", action)
	}
	if a.Dir.SingleOperator() {
		if user != SingleOperatorUser {
			return fmt.Errorf("single-operator mode: the user is %q, not %q", SingleOperatorUser, user)
		}
		s, _ := a.Dir.Session(SingleOperatorUser)
		if s == nil {
			s, _ = a.Dir.Authenticate(SingleOperatorUser, "")
		}
		return s.Can(p, tag)
	}
	if name, station, remote := strings.Cut(user, RemoteSeparator); remote {
		// Logged in at another station, which the broker authenticated;
		// here the user's role and areas decide.
		u, ok := a.Dir.Lookup(name)
		if !ok {
			return fmt.Errorf("user %q (at station %s) is not a user of this station", name, station)
		}
		return u.Can(p, tag)
	}
	s, ok := a.Dir.Session(user)
	if !ok {
		return fmt.Errorf("user %q is not logged in: %w", user, ErrSessionEnded)
	}
	return s.Can(p, tag)
}

// RemoteSeparator joins a user and the station they are logged in at
// ("alice@viewer1"): a user so named acts through another station (a
// control-room viewer, docs/control-room.md) and is checked by role and
// areas without a session here. Local user names cannot contain it.
const RemoteSeparator = "@"

// RemoteUser is how an action taken by user at another station is named
// here, in permission checks and in the journal.
func RemoteUser(user, station string) string { return user + RemoteSeparator + station }
