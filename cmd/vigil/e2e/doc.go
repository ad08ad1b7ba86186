// Package e2e holds the end-to-end test of the vigil binary: it builds the
// real program, starts it on the demo project in a real window under Xvfb,
// and inspects a screenshot of the X screen. It has no code of its own.
package e2e
