// Package duration writes and reads durations the way an operator does:
// "5 min", "2 h", "1 h 30 min", "7 d", not Go's "2h0m0s". The trend
// screen's window presets and span, and the shelve dialog use it.
package duration

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// units are the words Format writes and Parse reads, largest first.
var units = []struct {
	d     time.Duration
	name  string
	alias []string
}{
	{24 * time.Hour, "d", []string{"d", "day", "days"}},
	{time.Hour, "h", []string{"h", "hr", "hrs", "hour", "hours"}},
	{time.Minute, "min", []string{"m", "min", "mins", "minute", "minutes"}},
	{time.Second, "s", []string{"s", "sec", "secs", "second", "seconds"}},
}

// Format writes d in at most two units, largest first, dropping a zero
// second unit: "45 s", "5 min", "2 h", "1 h 30 min", "24 h", "7 d" (days
// from two days on). Below a second
// it writes milliseconds; a negative d gets a leading minus.
func Format(d time.Duration) string {
	if d < 0 {
		return "-" + Format(-d)
	}
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	var parts []string
	for _, u := range units {
		if u.name == "d" && d < 48*time.Hour {
			continue // "24 h", "36 h": a day and a half reads better in hours
		}
		if n := d / u.d; n > 0 && len(parts) < 2 {
			parts = append(parts, strconv.FormatInt(int64(n), 10)+" "+u.name)
			d -= n * u.d
		} else if len(parts) > 0 {
			break // "1 d 5 s" would hide the hours between: stop at the first gap
		}
	}
	return strings.Join(parts, " ")
}

// ErrSyntax is wrapped by Parse's errors.
var ErrSyntax = errors.New("not a duration")

// Parse reads what Format writes and what an operator types: numbers each
// followed by a unit, with or without spaces ("2 h", "2h", "1h30m",
// "1 h 30 min", "90 min", "1.5 h"). A bare number is refused, because
// minutes and hours are both plausible.
func Parse(s string) (time.Duration, error) {
	in := strings.TrimSpace(strings.ToLower(s))
	if in == "" {
		return 0, fmt.Errorf("empty: %w", ErrSyntax)
	}
	var total time.Duration
	rest := in
	for rest != "" {
		rest = strings.TrimLeft(rest, " ")
		i := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
		if i <= 0 {
			return 0, fmt.Errorf("%q: expected a number such as 30 min or 2 h: %w", s, ErrSyntax)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%q: %q is not a number: %w", s, rest[:i], ErrSyntax)
		}
		rest = strings.TrimLeft(rest[i:], " ")
		j := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) })
		if j < 0 {
			j = len(rest)
		}
		word := rest[:j]
		rest = rest[j:]
		u, ok := unitOf(word)
		if !ok {
			if word == "" {
				return 0, fmt.Errorf("%q: give a unit (min, h or d): %w", s, ErrSyntax)
			}
			return 0, fmt.Errorf("%q: unknown unit %q (use s, min, h or d): %w", s, word, ErrSyntax)
		}
		total += time.Duration(n * float64(u))
	}
	return total, nil
}

func unitOf(word string) (time.Duration, bool) {
	for _, u := range units {
		for _, a := range u.alias {
			if a == word {
				return u.d, true
			}
		}
	}
	return 0, false
}
