package drivers

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Names and All come from one list: every name has a factory, once.
func TestNamesMatchAll(t *testing.T) {
	names := Names()
	if len(names) == 0 {
		t.Fatal("no drivers")
	}
	all := All(Options{})
	if len(all) != len(names) {
		t.Fatalf("All has %d drivers, Names %d", len(all), len(names))
	}
	seen := map[string]bool{}
	for i, d := range all {
		if d.Name != names[i] {
			t.Fatalf("driver %d: All says %q, Names %q", i, d.Name, names[i])
		}
		if seen[d.Name] {
			t.Fatalf("driver %q registered twice", d.Name)
		}
		seen[d.Name] = true
		if d.Factory == nil {
			t.Fatalf("driver %q has no factory", d.Name)
		}
	}
	if f := Factories(Options{}); len(f) != len(names) {
		t.Fatalf("Factories has %d entries, want %d", len(f), len(names))
	}
}

// Each registered factory makes its own driver: a sim device from the sim
// entry, and an mqtt device without broker settings from the mqtt entry
// (the driver vigil check uses).
func TestFactoriesMakeTheirDriver(t *testing.T) {
	f := Factories(Options{})
	for _, name := range []string{"sim", "mqtt"} {
		if !slices.Contains(Names(), name) {
			t.Fatalf("%s is not registered", name)
		}
		drv, err := f[name](&datasource.Device{Name: "dev1", Driver: name})
		if err != nil || drv == nil {
			t.Fatalf("%s factory: driver %v, error %v", name, drv, err)
		}
		_ = drv.Close()
	}
}

// Every registered driver runs the conformance check (docs/engine.md): its
// package, named after it beside this one, has a test that calls
// polltest.Run. A driver added to list without one fails here.
func TestEveryDriverRunsPolltest(t *testing.T) {
	for _, name := range Names() {
		files, err := filepath.Glob(filepath.Join("..", name, "*_test.go"))
		if err != nil || len(files) == 0 {
			t.Errorf("driver %s: no tests in datasource/%s (%v)", name, name, err)
			continue
		}
		found := false
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("polltest.Run(")) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("driver %s: no test in datasource/%s calls polltest.Run", name, name)
		}
	}
}
