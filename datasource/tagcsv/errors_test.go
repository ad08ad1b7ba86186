package tagcsv

import (
	"errors"
	"strings"
	"testing"
)

// TestBadRowsAreReportedTogether imports CSVs with mistakes: every problem
// is reported as tags.csv:ROW: column: message, and no data is returned.
func TestBadRowsAreReportedTogether(t *testing.T) {
	data := readFile(t, "testdata/edit/base.yaml")
	tests := []struct {
		name string
		csv  string
		want []string
	}{
		{"every bad cell of every row is listed",
			"name,decimals,writable,hi_limit,type,hi_on_delay\nA,two,yes,,,\nB,1,true,high,float128,5\n",
			[]string{
				"tags.csv:2: decimals: must be an integer, got \"two\"",
				"tags.csv:2: writable: must be true or false, got \"yes\"",
				"tags.csv:3: hi_limit: must be a number, got \"high\"",
				"tags.csv:3: type: must be one of bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string, got \"float128\"",
				"tags.csv:3: hi_on_delay: must be a duration such as 250ms, 5s or 10m, got \"5\"",
			}},
		{"names are checked: empty, invalid, reserved and repeated",
			"name,units\n,x\nTank 1,x\n_sys.x,x\nA,x\nA,y\n",
			[]string{
				"tags.csv:2: name: required: every row is one tag",
				"tags.csv:3: name: \"Tank 1\" may only contain",
				"tags.csv:4: name: \"_sys.x\" may only contain",
				"tags.csv:6: name: tag \"A\" is also in row 5",
			}},
		{"the header is checked before the rows",
			"name,unit,scaling_raw_lo,name\nA,x,1,A\n",
			[]string{
				"tags.csv:1: unit: unknown column",
				"tags.csv:1: name: the column is given twice",
				"tags.csv:1: scaling_raw_lo: give all of the columns scaling_raw_lo, scaling_raw_hi, scaling_eng_lo, scaling_eng_hi or none",
			}},
		{"a half-given pair and an alarm field without its limit",
			"name,span_lo,span_hi,lo_priority\nB,0,,high\n",
			[]string{
				"tags.csv:2: span_lo: give all of span_lo, span_hi or none",
				"tags.csv:2: lo_priority: given without lo_limit",
			}},
		{"a cell that does not parse as the column's kind",
			"name,states,alarms\nC,0=OFF;ON,[{limit: 5}]\n",
			[]string{
				"tags.csv:2: states: \"ON\": want VALUE=TEXT",
				"tags.csv:2: alarms: alarm 1: needs a kind",
			}},
		{"a project rule broken by the CSV names the row and the field",
			"name,hi_limit,hihi_limit,limits_min,limits_max\nA,90,80,,\nC,,,0,1\n",
			[]string{
				"tags.csv:2: tags[A].alarms[1].limit: hi limit 90 is above the hihi limit 80 of alarms[0]",
				"tags.csv:3: tags[C].limits: only with writable: true",
				"tags.csv:3: tags[C].limits: only for numeric tags, this tag is bool",
			}},
		{"a row with more cells than the header",
			"name,units\nA,m,extra\n",
			[]string{"tags.csv:2: the row has 3 cells, the header 2"}},
		{"broken quoting stops the read at its row",
			"name,units\nA,\"m\nB,x\n",
			[]string{"tags.csv:2: line"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Import("project.yaml", data, "tags.csv", strings.NewReader(tc.csv), Options{})
			if err == nil {
				t.Fatalf("import succeeded with %+v; want errors", res)
			}
			if res != nil {
				t.Fatal("a failed import returned a result")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("errors lack %q; got:\n%s", w, msg)
				}
			}
			if n := strings.Count(msg, "\n") + 1; n != len(tc.want) {
				t.Errorf("got %d errors, want %d:\n%s", n, len(tc.want), msg)
			}
			var re RowErrors
			var one *RowError
			if !errors.As(err, &re) && !errors.As(err, &one) {
				t.Errorf("error is %T, want RowErrors or *RowError", err)
			}
		})
	}
}

// TestAnInvalidProjectIsRefused checks that export refuses a project file
// with errors (the CSV would describe a file Vigil refuses), and that an
// import that changes it reports the problems it leaves.
func TestAnInvalidProjectIsRefused(t *testing.T) {
	bad := []byte("project: P\ntags:\n  - name: A\n    device: nowhere\n    address: a\n")
	if err := Export(&strings.Builder{}, "bad.yaml", bad, ExportOptions{}); err == nil || !strings.Contains(err.Error(), "bad.yaml:4: tags[A].device") {
		t.Fatalf("export of an invalid project: %v", err)
	}
	if _, err := Import("bad.yaml", bad, "tags.csv", strings.NewReader("name,units\nA,m\n"), Options{}); err == nil || !strings.Contains(err.Error(), `tags.csv:2: tags[A].device: unknown device "nowhere"`) {
		t.Fatalf("import into an invalid project: %v", err)
	}
	if _, err := Import("bad.yaml", bad, "tags.csv", strings.NewReader("name,units\nA,m\n"), Options{Device: "plant"}); err == nil || !strings.Contains(err.Error(), "fix them first") {
		t.Fatalf("import with --device into an invalid project: %v", err)
	}
}

// TestForeignListsNeedADevice checks that a Kepware list without --device
// and an unknown device are refused with a message that says what to do.
func TestForeignListsNeedADevice(t *testing.T) {
	data := readFile(t, "testdata/edit/base.yaml")
	csv := "\"Tag Name\",\"Address\",\"Data Type\"\n\"T1\",\"40001\",\"Word\"\n"
	if _, err := Import("p.yaml", data, "k.csv", strings.NewReader(csv), Options{}); err == nil || !strings.Contains(err.Error(), "--device NAME") {
		t.Fatalf("kepware without a device: %v", err)
	}
	if _, err := Import("p.yaml", data, "k.csv", strings.NewReader(csv), Options{Device: "plc9"}); err == nil || !strings.Contains(err.Error(), `device "plc9" is not in p.yaml (it has: plant)`) {
		t.Fatalf("kepware with an unknown device: %v", err)
	}
}
