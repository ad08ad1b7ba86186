package alarms

import "github.com/vigil-hmi/vigil/datasource"

// Action is an operator action on an alarm, as the Authorizer sees it.
type Action string

// The operator actions.
const (
	ActionAck          Action = "acknowledge"
	ActionShelve       Action = "shelve"
	ActionUnshelve     Action = "unshelve"
	ActionOutOfService Action = "set out of service"
	ActionInService    Action = "return to service"
	ActionReset        Action = "reset"
)

// Authorizer decides whether a user may take an action on an alarm of a
// tag (the tag's Group is its area). A non-nil error refuses; the engine
// returns it wrapped in a *PermissionError. The access package implements
// it; until then AllowAll is the default.
type Authorizer interface {
	Authorize(user string, action Action, tag *datasource.Tag) error
}

// AllowAll is the Authorizer that permits every action.
type AllowAll struct{}

// Authorize implements Authorizer and always permits.
func (AllowAll) Authorize(string, Action, *datasource.Tag) error { return nil }
