// Package history is Vigil's local historian: a bbolt store of compressed
// per-tag sample chunks fed from the tag table, with decimated trend queries,
// retention, CSV export and the event journal of alarms and operator actions.
//
// It consumes the datasource.Table through a subscription and never talks to
// a driver.
package history
