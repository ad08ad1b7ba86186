package datasource

import "time"

// Sample is one reading of one tag: value, quality and time (VQT).
//
// Time is the device's source timestamp when the device gives one, else the
// poll time taken from the engine's injected clock.
type Sample struct {
	Tag     TagID
	Value   Value
	Quality Quality
	Time    time.Time
}
