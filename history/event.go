package history

import "time"

// Event is one record of the event journal: an alarm transition or an
// operator action (audit), stored time-ordered with a sequence number.
type Event struct {
	Seq     uint64            // assigned by the store on append; strictly increasing
	Time    time.Time         // when it happened
	Kind    string            // "alarm", "audit" or "system"
	Source  string            // the tag, device or user it concerns
	Name    string            // alarm name ("HiHi") or action ("write", "ack", "login")
	State   string            // alarm state after the transition, or the action's result
	User    string            // who did it; "" for the system
	Message string            // operator-readable text
	Data    map[string]string // further fields: old/new value, reason, shelve expiry ...
}
