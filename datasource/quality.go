package datasource

// Status is the OPC UA severity of a reading: Good, Uncertain or Bad.
type Status uint8

// The statuses, ordered so that a larger Status is worse.
const (
	Good Status = iota
	Uncertain
	Bad
)

var statusNames = [...]string{"Good", "Uncertain", "Bad"}

// String returns "Good", "Uncertain" or "Bad".
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status?"
}

// Reason says why a reading is not Good (or, rarely, qualifies a Good one).
// The names follow the OPC UA status codes operators already know.
type Reason uint8

// The reasons. ReasonNone is the plain Good / Bad / Uncertain.
const (
	ReasonNone               Reason = iota
	NotConnected                    // the device is not connected (Bad)
	CommFailure                     // the request failed on the wire (Bad)
	DeviceFailure                   // the device answered with an error (Bad)
	ConfigError                     // the tag cannot be read as configured, e.g. illegal address (Bad)
	OutOfService                    // the tag or device is taken out of service (Bad)
	SensorFailure                   // the device reports its sensor failed (Bad)
	WaitingForInitialData           // no reading yet since start (Bad)
	Stale                           // not refreshed within its stale limit (Uncertain)
	LastKnown                       // the last known value, kept after a failure (Uncertain)
	EngineeringUnitsExceeded        // outside the tag's engineering range (Uncertain)
	SubNormal                       // the device reports reduced accuracy (Uncertain)
	LocalOverride                   // the value is forced locally, e.g. simulated override (Good)
	CalcError                       // a calculated tag's expression failed: division by zero, NaN (Bad)
	DriverError                     // the driver broke its contract: a scan gave the tags out of its plan's order (Bad)
	// NoData marks, in history, where the station stopped recording: nothing
	// was recorded from that sample until the next (Bad; OPC UA's
	// Bad_NoData). Added last: stored qualities keep their numbers.
	NoData
)

var reasonNames = [...]string{
	"", "NotConnected", "CommFailure", "DeviceFailure", "ConfigError", "OutOfService",
	"SensorFailure", "WaitingForInitialData", "Stale", "LastKnown", "EngineeringUnitsExceeded",
	"SubNormal", "LocalOverride", "CalcError", "DriverError",
	"NoData",
}

// String returns the reason's OPC UA-style name, "" for ReasonNone.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "Reason?"
}

// ParseReason returns the Reason named s (as printed by String).
func ParseReason(s string) (Reason, bool) {
	for i, n := range reasonNames {
		if n == s {
			return Reason(i), true
		}
	}
	return ReasonNone, false
}

// Quality is the trust in a reading: a Status plus the Reason for it.
// The zero Quality is plain Good.
type Quality struct {
	Status Status
	Reason Reason
}

// QualityGood is the plain Good quality.
var QualityGood = Quality{}

// BadQuality returns a Bad quality with the given reason.
func BadQuality(r Reason) Quality { return Quality{Status: Bad, Reason: r} }

// UncertainQuality returns an Uncertain quality with the given reason.
func UncertainQuality(r Reason) Quality { return Quality{Status: Uncertain, Reason: r} }

// IsGood reports whether the status is Good.
func (q Quality) IsGood() bool { return q.Status == Good }

// IsBad reports whether the status is Bad.
func (q Quality) IsBad() bool { return q.Status == Bad }

// String renders "Good", "Bad/NotConnected", "Uncertain/Stale" and so on.
func (q Quality) String() string {
	if q.Reason == ReasonNone {
		return q.Status.String()
	}
	return q.Status.String() + "/" + q.Reason.String()
}
