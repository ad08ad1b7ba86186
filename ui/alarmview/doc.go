// Package alarmview is the operator's alarm UI: the always-visible banner
// (most important unacknowledged alarms, counts per priority, flashing) and
// the alarm summary screen (active, shelved, out-of-service, journal, KPIs).
// It sits between the alarm engine (package alarms), which it reads through
// the small Engine interface, and the shell window (package ui), which owns
// it and calls Update at about 4 Hz on the UI goroutine.
package alarmview
