// Package statecheck holds the test that keeps the module free of
// package-level mutable state (TestNoPackageLevelMutableState): state that
// a package keeps for the whole process is shared by every engine, window
// and test in it, changes behind its owners' backs and races in parallel
// tests. It has no code of its own; `make test` runs it with every other
// test.
//
// The rule, for every package-level var declared in a non-test .go file of
// the module:
//
//   - A sentinel error (errors.New, fmt.Errorf), a compiled regexp
//     (regexp.MustCompile), an embedded file (//go:embed) or the blank
//     identifier (a compile-time interface check) is fine as long as nothing
//     assigns it.
//   - Any other var is a read-only table (names of enum values, lookup
//     maps, column widths, colours) and is fine when nothing in the module,
//     tests included, writes to it or through it: no assignment to it, an
//     element or a field of it, no ++/--, no &X, no delete/clear/copy into
//     it.
//   - A var of a sync or sync/atomic type, or one holding a pointer made at
//     declaration (&T{...}, new(T)), is mutable by its nature and refused.
//
// Exceptions are listed in allowed (statecheck_test.go) with the reason for
// each; the list shrinks as they are fixed. The check reads syntax only
// (go/parser), so it is fast and needs no build; a method with a pointer
// receiver called on a value var is the one write it cannot see.
package statecheck
