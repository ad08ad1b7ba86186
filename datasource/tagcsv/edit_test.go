package tagcsv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEditsChangeOnlyWhatTheCSVChanges imports small CSVs into
// testdata/edit/base.yaml and compares the whole resulting file with a
// golden file: unchanged tags keep their bytes (comments, blank lines,
// quoting), a changed tag keeps the order and comments of its other fields.
func TestEditsChangeOnlyWhatTheCSVChanges(t *testing.T) {
	base := readFile(t, "testdata/edit/base.yaml")
	tests := []struct {
		name, golden, csv string
		opts              Options
		added, changed    int
		removed           int
	}{
		{name: "one changed cell rewrites only that field of that tag", golden: "description",
			csv: "name,description\nA,Tank A (north)\n", changed: 1},
		{name: "an emptied cell removes the field and keeps the other fields' comments", golden: "clear",
			csv: "name,description,units\nA,,\n", changed: 1},
		{name: "a new tag goes after the last tag, before the list's trailing comment", golden: "add",
			csv: "name,device,address,type,units\nD,plant,d,int16,bar\n", added: 1},
		{name: "replace removes the tags the CSV does not list", golden: "replace",
			csv: "name\nA\nB\n", opts: Options{Mode: Replace}, removed: 1},
		{name: "a limit alarm given in columns is inserted in hihi-hi-lo-lolo order", golden: "hihi",
			csv: "name,hihi_limit,hihi_priority,hihi_on_delay\nA,95,critical,2s\n", changed: 1},
		{name: "an emptied alarm limit removes that alarm only", golden: "nohi",
			csv: "name,hi_limit\nA,\n", changed: 1},
		{name: "a changed alarm field is edited in place", golden: "hi",
			csv: "name,hi_limit,hi_message\nA,91,Tank A high\n", changed: 1},
		{name: "the alarms column changes only the alarm that differs", golden: "alarms",
			csv: "name,alarms\nA,\"[{kind: deviation, limit: 7, setpoint: B}, {kind: bad_quality, on_delay: 5s}]\"\n", changed: 1},
		{name: "a flow-style tag stays on one line", golden: "flow",
			csv: "name,description,states\nC,Coil,0=OFF;1=ON\n", changed: 1},
		{name: "scaling, span and history are written in the project file's short forms", golden: "nested",
			csv: "name,scaling_raw_lo,scaling_raw_hi,scaling_eng_lo,scaling_eng_hi,span_lo,span_hi,history,history_deadband,history_max_interval\nB,0,27648,0,90,0,90,true,0.5,1m\n", changed: 1},
		{name: "a changed write limit keeps the list it is in", golden: "limits",
			csv: "name,limits_min,limits_max\nB,5,90\n", changed: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := importCSV(t, base, tc.csv, tc.opts)
			if len(res.Added) != tc.added || len(res.Changed) != tc.changed || len(res.Removed) != tc.removed {
				t.Fatalf("added %v changed %v removed %v; want %d, %d, %d", res.Added, res.Changed, res.Removed, tc.added, tc.changed, tc.removed)
			}
			path := filepath.Join("testdata", "edit", tc.golden+".golden.yaml")
			if *update {
				if err := os.WriteFile(path, res.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := readFile(t, path)
			if string(res.Data) != string(want) {
				t.Fatalf("import gave\n%s\nwant (%s)\n%s", res.Data, path, want)
			}
			if tc.removed == 0 {
				assertOthersKept(t, string(base), string(res.Data))
			}
		})
	}
}

// assertOthersKept checks that every line of the base file outside the tags
// list is still there, in order.
func assertOthersKept(t *testing.T, base, got string) {
	t.Helper()
	for _, l := range strings.Split(base, "\n") {
		if strings.HasPrefix(l, "  - {name: C") || strings.HasPrefix(l, "  ") || l == "" {
			continue
		}
		if !strings.Contains(got, l+"\n") {
			t.Fatalf("line %q of the file is gone", l)
		}
	}
}

// TestTagsAreAddedToAnEmptyList imports into files whose tag list is empty
// or missing: the rest of the file keeps its bytes.
func TestTagsAreAddedToAnEmptyList(t *testing.T) {
	head := "# plant\nproject: P\ndevices:\n  - {name: plant, driver: sim}\n\n"
	tail := "# the users\nusers: []\n"
	added := "  - name: A\n    device: plant\n    address: a\n"
	tests := []struct{ name, in, want string }{
		{"an empty flow list becomes a block list", head + "tags: []   # none yet\n" + tail, head + "tags: # none yet\n" + added + tail},
		{"a key with nothing after it gets the tags", head + "tags:\n" + tail, head + "tags:\n" + added + tail},
		{"a file without tags gets the key", head + tail, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := importCSV(t, []byte(tc.in), "name,device,address\nA,plant,a\n", Options{})
			if tc.want != "" && string(res.Data) != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", res.Data, tc.want)
			}
			if res.Project == nil || len(res.Added) != 1 {
				t.Fatalf("added %v", res.Added)
			}
			if _, ok := res.Project.Tag("A"); !ok {
				t.Fatal("tag A is not in the written project")
			}
		})
	}
}

// TestAnAnchorOtherTagsUseSurvivesItsChange changes and removes tags that
// define anchors other tags refer to (*pct): the other tags keep their
// values and the file still loads.
func TestAnAnchorOtherTagsUseSurvivesItsChange(t *testing.T) {
	data := readFile(t, "testdata/plant.yaml")
	tests := []struct {
		name, csv string
		opts      Options
	}{
		{"changing the anchored value", "name,units\nTank1.Level,mm\n", Options{}},
		{"removing the tag that defines the anchor", "name\nTank1.LevelSP\nPump1.Stopped\nPump1.Mode\nFT101.Flow\nFT101.Total\nMeter.Serial\n", Options{Mode: Replace}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Import("plant.yaml", data, "tags.csv", strings.NewReader(tc.csv), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			sp, ok := res.Project.Tag("Tank1.LevelSP")
			if !ok || sp.Units != "%" {
				t.Fatalf("Tank1.LevelSP units = %q, want %%", sp.Units)
			}
			if lvl, ok := res.Project.Tag("Tank1.Level"); ok && lvl.Units != "mm" {
				t.Fatalf("Tank1.Level units = %q, want mm", lvl.Units)
			}
			if !strings.Contains(string(res.Data), "# ------------------------------------------------ Pumps") {
				t.Fatal("a comment of the file was lost")
			}
		})
	}
}
