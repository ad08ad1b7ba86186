// Package setpoint is the operator's faceplate for one tag: its value, units,
// quality, a moving analog indicator (Bar) against its limits, the states of
// its alarms, an optional one-hour trend and, with permission, the setpoint
// entry (or command buttons for digital tags).
//
// It sits at the end of the write path: the entry is checked as the
// operator types with poll.CheckValue, a confirmation "tag: old → new"
// (default Cancel) guards the write, the write itself runs through a Writer
// (normally *poll.Engine) off the UI goroutine, and its result — written
// and read back, mismatch, or refused and why — is shown verbatim.
package setpoint
