package access

import (
	"fmt"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
)

// Authorize returns nil when user may take action p (on tag, nil for
// actions not on a tag) now: user has an open, non-idle session whose role
// and areas permit it; or user is "NAME@STATION" (RemoteUser), logged in at
// another station which the broker authenticated, and NAME's role and areas
// here permit it; or, in single-operator mode, user is the operator. It is
// what a consumer that checks actions by user name (the alarm engine,
// through an adapter in the wiring) asks; access itself knows no consumer.
func (d *Directory) Authorize(user string, p Permission, tag *datasource.Tag) error {
	if d.SingleOperator() {
		if user != SingleOperatorUser {
			return fmt.Errorf("single-operator mode: the user is %q, not %q", SingleOperatorUser, user)
		}
		s, _ := d.Session(SingleOperatorUser)
		if s == nil {
			s, _ = d.Authenticate(SingleOperatorUser, "")
		}
		return s.Can(p, tag)
	}
	if name, station, remote := strings.Cut(user, RemoteSeparator); remote {
		// Logged in at another station, which the broker authenticated;
		// here the user's role and areas decide.
		u, ok := d.Lookup(name)
		if !ok {
			return fmt.Errorf("user %q (at station %s) is not a user of this station", name, station)
		}
		return u.Can(p, tag)
	}
	s, ok := d.Session(user)
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
