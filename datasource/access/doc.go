// Package access is Vigil's security model for people: users and their
// roles, password hashes, login with lockout, sessions with idle auto-logoff,
// and the permission checks the write path and the alarm engine ask before
// an operator action. It sits beside the data flow, at the start of the
// write path (role -> limits -> write -> read back -> audit; Session and
// Remote are who writes) and in front of every alarm action
// (Directory.Authorize, which the wiring adapts to alarms.Authorizer). It
// imports none of the packages that consume it.
//
// Users live in their own YAML file next to the project
// ("plant.users.yaml" for "plant.yaml"), not inside it, so that a project
// can be shared without its password hashes. A project without a users file
// runs in single-operator mode (see SingleOperator). The package does no
// auditing itself: callers record logins and refusals with history/audit.
package access
