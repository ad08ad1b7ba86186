package drivers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
// package, named after it beside this one, has a test function that calls
// polltest.Run (found in the syntax tree, so a call in a comment or a
// string does not count). A driver added to list without one fails here.
func TestEveryDriverRunsPolltest(t *testing.T) {
	for _, name := range Names() {
		if !runsPolltest(t, filepath.Join("..", name)) {
			t.Errorf("driver %s: no Test function in datasource/%s calls polltest.Run", name, name)
		}
	}
}

// The check above finds a real call and only a real call.
func TestRunsPolltestFindsOnlyACall(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      bool
	}{
		{"a Test function that calls it", "func TestConformance(t *testing.T) { polltest.Run(t, polltest.Target{}) }", true},
		{"a call nested in a subtest", "func TestX(t *testing.T) { t.Run(\"a\", func(t *testing.T) { polltest.Run(t, tg) }) }", true},
		{"a call in a comment", "// polltest.Run(t, tg)\nfunc TestX(t *testing.T) {}", false},
		{"a call in a helper that is not a Test function", "func helper(t *testing.T) { polltest.Run(t, tg) }", false},
		{"a call of another package's Run", "func TestX(t *testing.T) { other.Run(t, tg) }", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			src := "package x\n\nimport (\n\t\"testing\"\n\n\t\"github.com/vigil-hmi/vigil/datasource/poll/polltest\"\n)\n\n" + c.src + "\n"
			if err := os.WriteFile(filepath.Join(dir, "x_test.go"), []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := runsPolltest(t, dir); got != c.want {
				t.Errorf("runsPolltest = %v, want %v", got, c.want)
			}
		})
	}
}

// runsPolltest reports whether a Test function of the _test.go files in dir
// calls polltest.Run.
func runsPolltest(t *testing.T, dir string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") || fn.Body == nil {
				continue
			}
			found := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return !found
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Run" {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == "polltest" {
						found = true
					}
				}
				return !found
			})
			if found {
				return true
			}
		}
	}
	return false
}

// Every registered driver has a schema, and an unknown name has none.
func TestEveryDriverHasASchema(t *testing.T) {
	for _, name := range Names() {
		s, ok := SchemaOf(name)
		if !ok || s.Address == nil || s.Settings == nil {
			t.Errorf("driver %s: schema %+v, found %v", name, s, ok)
		}
	}
	if _, ok := SchemaOf("profibus"); ok {
		t.Error("SchemaOf found a driver that is not registered")
	}
}
