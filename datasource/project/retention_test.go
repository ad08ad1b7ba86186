package project

import (
	"strings"
	"testing"
	"time"
)

func TestRetentionIsReadWithDaysAndSizes(t *testing.T) {
	const head = "project: R\ndevices: [{name: d, driver: sim}]\ntags: [{name: T, device: d, address: x}]\n"
	day := 24 * time.Hour
	for _, tc := range []struct {
		section string
		want    Retention
		err     string // the one error, "" for none
	}{
		{"", Retention{}, ""},
		{"retention: {samples: 400d}", Retention{Samples: 400 * day}, ""},
		{"retention: {samples: 8w, max_size: 20GB, events: 10y}", Retention{Samples: 56 * day, MaxSize: 20e9, Events: 3650 * day}, ""},
		{"retention: {samples: 720h, max_size: 1.5 TiB}", Retention{Samples: 30 * day, MaxSize: 3 << 39}, ""},
		{"retention: {max_size: 500MB}", Retention{MaxSize: 500e6}, ""},
		{"retention: {samples: 30m}", Retention{},
			`r.yaml:4: retention.samples: must be at least a day (1d), got "30m": a shorter age would throw history away within hours`},
		{"retention: {samples: 30}", Retention{},
			`r.yaml:4: retention.samples: must be an age such as 90d, 8w, 10y or 720h, got "30"`},
		{"retention: {events: 99999999999999999y}", Retention{}, `r.yaml:4: retention.events: "99999999999999999y" is too long`},
		{"retention: {max_size: 20}", Retention{},
			`r.yaml:4: retention.max_size: must be a size such as 500MB, 20GB or 1TiB, got "20"`},
		{"retention: {max_size: 10MB}", Retention{},
			`r.yaml:4: retention.max_size: must be at least 64MiB, got "10MB": a smaller file holds minutes of a plant's history`},
		{"retention: {keep: 400d}", Retention{},
			"r.yaml:4: retention.keep: unknown field; allowed here: samples, max_size, events"},
		{"retention: 400d", Retention{}, "r.yaml:4: retention: must be a mapping"},
	} {
		p, err := Parse("r.yaml", []byte(head+tc.section+"\n"))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if tc.err == "" && err != nil || tc.err != "" && !strings.HasPrefix(got, tc.err) || strings.Count(got, "\n") > 0 {
			t.Errorf("%s: error %q, want %q", tc.section, got, tc.err)
			continue
		}
		if err == nil {
			if r := p.Retention; r != tc.want {
				t.Errorf("%s: %+v, want %+v", tc.section, p.Retention, tc.want)
			}
		}
	}
}
