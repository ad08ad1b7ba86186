package project

import (
	"regexp"
	"testing"
)

// TestNameRulesMatchTheirPatterns checks the hand-written name rules
// against the patterns they replace, over every string of up to four
// characters from an alphabet of each kind of character.
func TestNameRulesMatchTheirPatterns(t *testing.T) {
	rules := []struct {
		name    string
		rule    nameRule
		pattern *regexp.Regexp
	}{
		{"device", deviceNameRE, regexp.MustCompile(`^[A-Za-z0-9_-]+$`)},
		{"tag", tagNameRE, regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)},
		{"alarm", alarmNameRE, regexp.MustCompile(`^[A-Za-z0-9_.-]+( [A-Za-z0-9_.-]+)*$`)},
	}
	const alphabet = "aZ9_.- /é\x00"
	var all []string
	var grow func(s string, n int)
	grow = func(s string, n int) {
		all = append(all, s)
		if n == 0 {
			return
		}
		for _, r := range alphabet {
			grow(s+string(r), n-1)
		}
	}
	grow("", 4)
	for _, r := range rules {
		for _, s := range all {
			if got, want := r.rule.MatchString(s), r.pattern.MatchString(s); got != want {
				t.Errorf("%s name %q: valid = %v, want %v", r.name, s, got, want)
			}
		}
	}
}
