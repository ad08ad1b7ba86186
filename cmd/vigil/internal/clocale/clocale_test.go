package clocale

import "testing"

func TestApply(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"C.UTF-8 in LANG gets LANGUAGE=en", map[string]string{"LANG": "C.UTF-8"}, "en"},
		{"LC_ALL wins over LANG", map[string]string{"LC_ALL": "de_DE.UTF-8", "LANG": "C.UTF-8"}, ""},
		{"a real locale is left alone", map[string]string{"LANG": "fr_FR.UTF-8"}, ""},
		{"plain C is already handled by Fyne", map[string]string{"LANG": "C"}, ""},
		{"an existing LANGUAGE is kept", map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "nl"}, "nl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			apply(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if got := env["LANGUAGE"]; got != tc.want {
				t.Fatalf("LANGUAGE = %q, want %q", got, tc.want)
			}
		})
	}
}
