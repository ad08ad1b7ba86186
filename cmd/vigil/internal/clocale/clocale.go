// Package clocale keeps Fyne quiet on machines whose locale is the C locale
// ("C.UTF-8", the default of Debian containers and CI runners). Fyne's lang
// package parses the locale in its init and logs an error for "C.UTF-8" on
// every start, even for `vigil version`. This package, imported first by
// main, sets LANGUAGE=en in that case, which the locale lookup prefers and
// the C library ignores under the C locale.
//
// It must not import Fyne: Go initialises packages in import-path order as
// far as dependencies allow, and this package's only dependency is os, so its
// init runs before fyne.io/fyne/v2/lang's (which waits for golang.org/x/text).
package clocale

import (
	"os"
	"strings"
)

func init() { apply(os.Getenv, os.Setenv) }

// apply sets LANGUAGE=en when the effective locale is a C locale variant and
// LANGUAGE is unset.
func apply(getenv func(string) string, setenv func(string, string) error) {
	if getenv("LANGUAGE") != "" {
		return
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		loc := getenv(v)
		if loc == "" {
			continue
		}
		if strings.HasPrefix(loc, "C.") || strings.HasPrefix(loc, "POSIX.") {
			_ = setenv("LANGUAGE", "en") // best effort: the cost of failing is one log line
		}
		return
	}
}
