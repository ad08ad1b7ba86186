package access

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a user may do. The roles are ordered: each has every
// permission of the roles before it.
type Role uint8

// The roles.
const (
	Viewer        Role = iota // watches values, trends and alarms; changes nothing
	Operator                  // writes setpoints, acknowledges and shelves alarms, exports
	Engineer                  // also takes alarms out of service
	Administrator             // also manages users
)

var roleNames = [...]string{"viewer", "operator", "engineer", "administrator"}

// String returns the role's name as written in the users file.
func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", r)
}

// ParseRole returns the Role named s ("operator").
func ParseRole(s string) (Role, error) {
	if i := slices.Index(roleNames[:], strings.ToLower(s)); i >= 0 {
		return Role(i), nil
	}
	return 0, fmt.Errorf("unknown role %q (want one of %s)", s, strings.Join(roleNames[:], ", "))
}

// Permission is one kind of action a role may be allowed.
type Permission uint8

// The permissions. Write, Acknowledge, Shelve and OutOfService are checked
// per tag: a user with areas may take them only on tags whose Group is one
// of the areas.
const (
	PermWrite        Permission = iota // write a setpoint
	PermAcknowledge                    // acknowledge or reset an alarm
	PermShelve                         // shelve or unshelve an alarm
	PermOutOfService                   // take an alarm out of service or return it
	PermExport                         // export history or the audit trail
	PermManageUsers                    // add, change and remove users
)

var permNames = [...]string{"write setpoint", "acknowledge", "shelve", "set out of service", "export", "manage users"}

// String names the permission as messages say it ("write setpoint").
func (p Permission) String() string {
	if int(p) < len(permNames) {
		return permNames[p]
	}
	return fmt.Sprintf("permission(%d)", p)
}

// minRole is the least role that holds each permission.
var minRole = [...]Role{
	PermWrite:        Operator,
	PermAcknowledge:  Operator,
	PermShelve:       Operator,
	PermOutOfService: Engineer,
	PermExport:       Operator,
	PermManageUsers:  Administrator,
}

// Has reports whether role r holds permission p (areas aside).
func (r Role) Has(p Permission) bool {
	return int(p) < len(minRole) && r >= minRole[p]
}

// perTag reports whether p is limited by a user's areas.
func (p Permission) perTag() bool { return p <= PermOutOfService }
