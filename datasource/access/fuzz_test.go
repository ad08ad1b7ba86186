package access

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the users file parser: it must return
// users or an error, never panic, and every error names the file.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "*.yaml"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("users:\n  - {name: a, role: viewer, hash: \"$2b$04$abcdefghijklmnopqrstuu\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := New("u.users.yaml", Options{Hash: cheap})
		err := d.parse("u.users.yaml", data)
		if err != nil && !strings.Contains(err.Error(), "u.users.yaml") {
			t.Errorf("error without the file name: %v", err)
		}
		if err == nil {
			for _, u := range d.Users() {
				if u.Name == "" || u.Hash == "" || u.Role > Administrator {
					t.Errorf("accepted an incomplete user %+v", u)
				}
			}
		}
	})
}

// BenchmarkLogin measures one login with the default argon2id cost: the
// time an operator waits and an attacker pays per guess.
func BenchmarkLogin(b *testing.B) {
	d := New(filepath.Join(b.TempDir(), "u.users.yaml"), Options{})
	if err := d.Add("alice", Operator, nil, "correct horse"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.Authenticate("alice", "correct horse"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/login")
}
