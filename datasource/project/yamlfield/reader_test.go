package yamlfield

import (
	"fmt"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

// newReader returns a Reader of the YAML src and the root mapping node;
// its problems go to *got as "line: field: message".
func newReader(t *testing.T, src string, got *[]string) (*Reader, *yaml.Node) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	r := &Reader{File: "p.yaml", Dir: "/etc/vigil",
		Report:    func(line int, field, msg string) { *got = append(*got, fmt.Sprintf("%d: %s: %s", line, field, msg)) },
		LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile:  func(string) ([]byte, error) { return nil, fmt.Errorf("no files here") },
	}
	return r, doc.Content[0]
}

// A section's fields are read with their line and path, and each problem
// is reported once, where it is.
func TestASectionIsReadWithLinesAndPaths(t *testing.T) {
	var got []string
	r, root := newReader(t, "unit: 300\nparity: X\nbaud: 9600\nextra: 1\npassword: env:NOPE\ncert_file: c.pem\n", &got)
	m := r.Mapping(root, "devices[plc].modbus", "unit", "parity", "baud", "password", "cert_file")
	if m == nil {
		t.Fatal("a mapping was refused")
	}
	baud := 0
	r.Int(m, "baud", 1, 1<<31-1, &baud)
	r.Int(m, "unit", 0, 247, new(int))
	r.Enum(m.Get("parity"), m.Field("parity"), "N", "E", "O")
	r.Secret(m.Get("password"), m.Field("password"))
	var cert, key string
	r.Paths(m, []PathField{{"cert_file", &cert}, {"key_file", &key}})
	want := []string{
		`4: devices[plc].modbus.extra: unknown field; allowed here: unit, parity, baud, password, cert_file`,
		`1: devices[plc].modbus.unit: must be 0..247, got 300`,
		`2: devices[plc].modbus.parity: must be one of N, E, O, got "X"`,
		`5: devices[plc].modbus.password: environment variable NOPE is not set`,
		`6: devices[plc].modbus: cert_file and key_file go together: give both or neither`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%q\nwant\n%q", got, want)
	}
	if baud != 9600 || cert != "/etc/vigil/c.pem" {
		t.Errorf("baud %d, cert_file %q", baud, cert)
	}
}

// A check deferred with AfterTags runs when RunAfterTags gives it the tags.
func TestAfterTagsRunsOnceTheTagsAreKnown(t *testing.T) {
	var got []string
	r, root := newReader(t, "tag: Tank1.Level\n", &got)
	m := r.Mapping(root, "devices[plant].sim.faults[0]", "tag")
	ran := false
	r.AfterTags(func(tags Tags) {
		ran = true
		if _, ok := tags("Tank1.Level"); !ok {
			r.Errorf(m.Get("tag"), m.Field("tag"), "unknown tag")
		}
	})
	if ran {
		t.Fatal("the check ran before the tags were known")
	}
	r.RunAfterTags(func(string) (*datasource.Tag, bool) { return nil, false })
	if !ran || len(got) != 1 || got[0] != "1: devices[plant].sim.faults[0].tag: unknown tag" {
		t.Errorf("ran %v, problems %q", ran, got)
	}
}
