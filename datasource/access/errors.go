package access

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrBadCredentials: the user is unknown or the password is wrong. The
	// message does not say which, so that it does not tell a stranger
	// which names exist; LoginError.UnknownUser tells the audit trail.
	ErrBadCredentials = errors.New("wrong user name or password")
	// ErrLocked: too many failed logins; see *LockedError for until when.
	ErrLocked = errors.New("account locked after failed logins")
	// ErrSessionEnded: the session was logged out or logged off for being
	// idle; the user must log in again.
	ErrSessionEnded = errors.New("session ended; log in again")
	// ErrReauthRequired: the action is critical and needs the password
	// again (electronic signature); ask for it and retry.
	ErrReauthRequired = errors.New("critical action: enter your password again to sign it")
	// ErrPermission: a *PermissionError refused an action.
	ErrPermission = errors.New("permission denied")
	// ErrNoUsersFile: the users file does not exist (single-operator mode).
	ErrNoUsersFile = errors.New("no users file")
)

// LoginError refuses a login or a re-authentication with a wrong password
// or an unknown user. errors.Is(err, ErrBadCredentials) is true.
type LoginError struct {
	User        string
	UnknownUser bool // for the audit trail only; Error() does not reveal it
	Remaining   int  // failed attempts left before the lockout
}

// Error implements error.
func (e *LoginError) Error() string {
	return fmt.Sprintf("login as %q refused: %v", e.User, ErrBadCredentials)
}

// Is matches ErrBadCredentials.
func (e *LoginError) Is(target error) bool { return target == ErrBadCredentials }

// LockedError refuses a login while a user is locked out.
// errors.Is(err, ErrLocked) is true.
type LockedError struct {
	User  string
	Until time.Time
}

// Error implements error.
func (e *LockedError) Error() string {
	return fmt.Sprintf("user %q is locked after too many failed logins until %s; try again then or ask an administrator",
		e.User, e.Until.Local().Format("15:04:05"))
}

// Is matches ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// PermissionError refuses an action the user's role or areas do not
// allow. Its message is meant to be shown to the operator verbatim.
// errors.Is(err, ErrPermission) is true.
type PermissionError struct {
	User   string
	Role   Role
	Action Permission
	Tag    string // "" for actions not on a tag
	Area   string // the tag's area when the role allows the action but not there
}

// Error implements error, e.g. `user "bob" (viewer) may not write setpoint
// on Tank1.LevelSP; nothing was done`.
func (e *PermissionError) Error() string {
	on := ""
	if e.Tag != "" {
		on = " on " + e.Tag
	}
	if e.Area != "" {
		return fmt.Sprintf("user %q (%s) may not %s%s: area %q is not one of the user's areas; nothing was done",
			e.User, e.Role, e.Action, on, e.Area)
	}
	return fmt.Sprintf("user %q (%s) may not %s%s; nothing was done", e.User, e.Role, e.Action, on)
}

// Is matches ErrPermission.
func (e *PermissionError) Is(target error) bool { return target == ErrPermission }

// FileModeError refuses a users file that others may read or write: the
// password hashes must be readable by the Vigil user only.
type FileModeError struct {
	Path string
	Mode uint32 // the permission bits found
}

// Error implements error and says how to fix it.
func (e *FileModeError) Error() string {
	return fmt.Sprintf("users file %s has mode %04o: group or others may read or change it; fix it with: chmod 600 %s",
		e.Path, e.Mode, e.Path)
}
