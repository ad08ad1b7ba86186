package poll

import (
	"strconv"
	"time"
)

// State is where a device's connection stands.
type State uint8

// The device states. A device starts Connecting (or Disabled), is Connected
// while it is polled, waits in Backoff between failed attempts and is Stopped
// after Run returns.
const (
	Connecting State = iota
	Connected
	Backoff
	Disabled
	Stopped
)

var stateNames = [...]string{"Connecting", "Connected", "Backoff", "Disabled", "Stopped"}

// String returns the state's name ("Connected").
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// DeviceStatus is a snapshot of one device's connection and counters, for
// the UI's device overview and `vigil run` reports.
type DeviceStatus struct {
	Name      string
	Driver    string
	State     State
	LastError string    // the last failure, with the device name; "" when none yet
	Since     time.Time // when State was entered
	NextRetry time.Time // in Backoff: when the next connect attempt starts
	Requests  uint64    // driver reads, writes and read-backs issued
	Errors    uint64    // failed connects, reads and writes
	Overruns  uint64    // scan ticks skipped because a scan was still running
	LastRTT   time.Duration
	Tags      int // the device's tags, without its system tag
}
