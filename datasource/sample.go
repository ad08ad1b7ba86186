package datasource

import "time"

// Sample is one reading of one tag: value, quality and time (VQT).
//
// Time is the device's source timestamp when the device gives one, else the
// poll time taken from the engine's injected clock.
//
// The field order packs Tag and Quality into one word: 64 bytes instead of
// 72, one cache line; every sample is copied into the table's current values
// and out to each consumer, so its size is most of what publishing costs.
type Sample struct {
	Tag     TagID
	Quality Quality
	Value   Value
	Time    time.Time
}
