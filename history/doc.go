// Package history is Vigil's local historian: a bbolt store of compressed
// per-tag sample chunks fed from the tag table, with decimated trend queries,
// retention, CSV export and the event journal of alarms and operator actions.
//
// It consumes the datasource.Table through a subscription (Ingest) and never
// talks to a driver. Store is the file: Append keeps each tag's newest
// samples in an open chunk in memory and writes full chunks in one
// transaction per batch; a background loop flushes the open chunks every
// Options.FlushInterval (the most a crash can lose) and applies retention.
// Query, ValueAt and Aggregate serve trends and cursors; AppendEvents and
// Events are the journal used by the alarm engine and the audit trail.
// A damaged file is refused with an error wrapping ErrDamaged, never a
// panic: internal/boltwalk walks its pages before bbolt reads them, and
// Salvage copies what still decodes into a new file.
// The chunk encoding lives in internal/chunk; docs/history.md describes the
// file layout, the gap representation and the figures.
package history
