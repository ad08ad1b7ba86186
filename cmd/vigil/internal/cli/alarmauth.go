package cli

import (
	"fmt"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
)

// alarmAuthorizer is the alarm engine's alarms.Authorizer over the
// project's users: an action is allowed when the named user may take the
// permission it needs (access.Directory.Authorize). It lives here, in the
// wiring, so that access, which every consumer relies on, imports none of
// them.
type alarmAuthorizer struct{ dir *access.Directory }

// Authorize implements alarms.Authorizer.
func (a alarmAuthorizer) Authorize(user string, action alarms.Action, tag *datasource.Tag) error {
	p, ok := actionPermission(action)
	if !ok {
		return fmt.Errorf("unknown alarm action %q", action)
	}
	return a.dir.Authorize(user, p, tag)
}

// actionPermission returns the permission an alarm action needs.
func actionPermission(a alarms.Action) (access.Permission, bool) {
	switch a {
	case alarms.ActionAck, alarms.ActionReset:
		return access.PermAcknowledge, true
	case alarms.ActionShelve, alarms.ActionUnshelve:
		return access.PermShelve, true
	case alarms.ActionOutOfService, alarms.ActionInService:
		return access.PermOutOfService, true
	}
	return 0, false
}
