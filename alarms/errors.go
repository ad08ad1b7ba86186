package alarms

import (
	"errors"
	"fmt"
	"time"
)

// Errors of the operator actions. They come wrapped with the alarm's name;
// test with errors.Is.
var (
	ErrUnknownAlarm   = errors.New("no such alarm")
	ErrNoUser         = errors.New("the action needs the operator's name")
	ErrReasonRequired = errors.New("the action needs a reason")
	ErrNotActive      = errors.New("the alarm is not active")
	ErrNotShelved     = errors.New("the alarm is not shelved")
	ErrNotLatched     = errors.New("the alarm is not latched")
	ErrStillActive    = errors.New("the alarm's condition is still active")
	ErrBadDuration    = errors.New("the shelving duration must be > 0")
)

// ShelveLimitError refuses shelving longer than the alarm's maximum.
type ShelveLimitError struct {
	Alarm     string // "Tank1.Level/HiHi"
	Requested time.Duration
	Max       time.Duration
}

// Error implements error.
func (e *ShelveLimitError) Error() string {
	// The engine wraps it with the alarm's name.
	return fmt.Sprintf("shelving for %v is longer than the alarm's maximum %v", e.Requested, e.Max)
}

// PermissionError is an action the Authorizer refused. The UI shows it
// verbatim.
type PermissionError struct {
	User   string
	Action Action
	Alarm  string // "Tank1.Level/HiHi"
	Err    error  // the Authorizer's reason
}

// Error implements error.
func (e *PermissionError) Error() string {
	return fmt.Sprintf("user %q may not %s alarm %s: %v", e.User, e.Action, e.Alarm, e.Err)
}

// Unwrap returns the Authorizer's reason.
func (e *PermissionError) Unwrap() error { return e.Err }
