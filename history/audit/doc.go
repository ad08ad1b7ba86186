// Package audit makes the history event journal tamper-evident and records
// the operators' actions in it. It sits between the writers of the journal
// (the alarm engine, the write path, login) and history.Store: a Chain
// numbers every event it appends and links it to the one before with a
// SHA-256 hash, so that Verify finds an edited, deleted or reordered record
// by its sequence number. An Auditor turns write results, alarm actions,
// logins and user changes into events; Export writes the journal as CSV.
//
// The chain is tamper-evident, not tamper-proof: someone who can rewrite
// the file and recompute every later hash is caught only by comparing the
// last hash with a copy kept elsewhere (vigil audit verify prints it).
package audit
