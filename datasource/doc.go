// Package datasource is Vigil's tag model: what a tag is (Tag, Device), what a
// reading is (Value, Quality, Sample) and where the current reading of every tag
// lives (Table).
//
// It sits in the middle of the one way data flows: drivers produce samples, the
// poll engine publishes them into the Table, and history, alarms and the UI
// consume the Table. A consumer needs Table.Snapshot, Table.Subscribe and
// Subscription.Recv; what only the engine calls (scan feeds, stale marking,
// the calculated tags' hook) sits apart behind Table.Engine. The package
// does no I/O.
package datasource
