package alarms

import "github.com/vigil-hmi/vigil/datasource"

// The OPC UA severity bands (1..1000) of the four priorities. An alarm
// carries the top of its band as its severity, so that a client sorting by
// severity sorts by priority.
const (
	SeverityLowMax      = 250  // Low: 1..250
	SeverityMediumMax   = 500  // Medium: 251..500
	SeverityHighMax     = 750  // High: 501..750
	SeverityCriticalMax = 1000 // Critical: 751..1000
)

// Severity returns the OPC UA severity of a priority: the top of its band
// (Low 250, Medium 500, High 750, Critical 1000); 0 for an invalid priority.
func Severity(p datasource.Priority) uint16 {
	switch p {
	case datasource.PriorityLow:
		return SeverityLowMax
	case datasource.PriorityMedium:
		return SeverityMediumMax
	case datasource.PriorityHigh:
		return SeverityHighMax
	case datasource.PriorityCritical:
		return SeverityCriticalMax
	}
	return 0
}
