// Package login is the operator's login in the window: the header part that
// shows who is logged in (or "not logged in") with a Log in / Log out
// button, the login dialog with its refusals and lockout, the auto-logoff
// after idle time, and the password prompt that signs a critical action
// (electronic signature).
//
// It sits between the shell window (package ui), which owns a Manager,
// calls Touch on operator input and Tick from its refresh timer, and
// datasource/access, which checks passwords, counts failed logins and ends
// idle sessions. Logins, failed logins and logouts go to the audit trail
// through a Recorder (normally *audit.Auditor). The rest of the UI asks the
// Manager who is working (User, Session) and what they may do (Can).
package login
