// Package calc computes calculated tags: tags whose value is an expression
// over other tags, a totalizer (a rate integrated, a counter's increase,
// run-hours, starts) or a rolling statistic over a window.
//
// It sits on the tag table's publish path (datasource.Deriver): every batch
// the poll engine publishes is handed to the Engine under the table's lock,
// the calculated tags whose inputs it carries are evaluated at once, in
// dependency order, and their samples are published right behind the batch.
// So alarms, history, the UI, CSV export and Sparkplug see a calculated tag
// in the same publish as its inputs, as any other tag, and never a scan late.
//
// Compile checks every definition when the project loads (unknown tags, type
// errors, cycles) and compiles each expression once, with
// github.com/expr-lang/expr; the Engine only runs the compiled programs.
// docs/calc.md describes the project-file syntax, the functions, the quality
// rules and how totalizers treat gaps and restarts.
package calc
