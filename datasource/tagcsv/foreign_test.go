package tagcsv

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/datasource"
)

// TestKepwareExportIsImported imports a KEPServerEX tag export (the column
// set of its documentation) onto a Modbus device.
func TestKepwareExportIsImported(t *testing.T) {
	data := readFile(t, "testdata/migrate.yaml")
	csv := string(readFile(t, "testdata/kepware.csv"))
	res := importCSV(t, data, csv, Options{Device: "plc"})
	if res.Format != FormatKepware {
		t.Fatalf("format %v, want kepware", res.Format)
	}
	if got := strings.Join(res.Added, " "); got != "Pump1_Run Flow_Total Line.Speed Meter_Serial" {
		t.Fatalf("added %q", got)
	}
	if len(res.Changed) != 1 || res.Changed[0].Tag != "Tank1_Level" {
		t.Fatalf("changed %+v, want Tank1_Level", res.Changed)
	}
	tag := func(name string) *datasource.Tag {
		tg, ok := res.Project.Tag(name)
		if !ok {
			t.Fatalf("tag %s missing", name)
		}
		return tg
	}
	lvl := tag("Tank1_Level")
	if lvl.Scaling != (datasource.Scaling{RawLo: 0, RawHi: 27648, EngLo: 0, EngHi: 100}) || lvl.ScanClass != "fast" ||
		lvl.Units != "%" || lvl.Description != "Tank 1 level" || lvl.Decimals != 2 || lvl.Writable {
		t.Errorf("Tank1_Level = %+v", lvl)
	}
	if run := tag("Pump1_Run"); run.Type != datasource.TypeBool || !run.Writable || run.Address != "000001" || run.ScanClass != "default" {
		t.Errorf("Pump1_Run = %+v", run)
	}
	if sp := tag("Line.Speed"); sp.Type != datasource.TypeInt16 || sp.Scaling != (datasource.Scaling{RawHi: 1000, EngHi: -10}) {
		t.Errorf("Line.Speed (negated) scaling = %+v", sp.Scaling)
	}
	if s := tag("Meter_Serial"); s.Type != datasource.TypeString || s.Length != 8 || s.Address != "300001" {
		t.Errorf("Meter_Serial = %+v", s)
	}
	warnings := strings.Join(res.Warnings, "\n")
	for _, w := range []string{
		"tags.csv:5: Scan Rate: device plc has no scan class of 500 ms",
		"tags.csv:5: Clamp Low: Vigil does not clamp",
	} {
		if !strings.Contains(warnings, w) {
			t.Errorf("warnings lack %q:\n%s", w, warnings)
		}
	}
	if !bytes.Contains(res.Data, []byte("    decimals: 2 # not in a Kepware list: kept\n")) {
		t.Errorf("the decimals line of the changed tag lost its comment:\n%s", res.Data)
	}
	again := importCSV(t, res.Data, csv, Options{Device: "plc"})
	if again.Modified() {
		t.Fatalf("importing the same Kepware list twice changed %+v", again.Changed)
	}
}

// TestIgnitionExportIsImported imports an Ignition 7.9 tag export onto an
// OPC UA device.
func TestIgnitionExportIsImported(t *testing.T) {
	data := readFile(t, "testdata/migrate.yaml")
	csv := string(readFile(t, "testdata/ignition.csv"))
	res := importCSV(t, data, csv, Options{Device: "opc"})
	if res.Format != FormatIgnition {
		t.Fatalf("format %v, want ignition", res.Format)
	}
	if got := strings.Join(res.Added, " "); got != "Plant.Tanks.Tank1_Level Plant.Tanks.Tank1_SP Plant.Pumps.Pump1_Run Plant.Pumps.Pump1_Name" {
		t.Fatalf("added %q", got)
	}
	lvl, _ := res.Project.Tag("Plant.Tanks.Tank1_Level")
	if lvl == nil || lvl.Address != "ns=1;s=[PLC1]HR1" || lvl.Type != datasource.TypeFloat32 || lvl.Decimals != 1 ||
		lvl.Scaling.RawHi != 27648 || lvl.Group != "Plant/Tanks" || lvl.History.Deadband != 0.5 || lvl.ScanClass != "default" || lvl.Writable {
		t.Errorf("Tank1 Level = %+v", lvl)
	}
	sp, _ := res.Project.Tag("Plant.Tanks.Tank1_SP")
	if sp == nil || !sp.Writable || sp.Description != "Tank 1 setpoint" || sp.ScanClass != "fast" || sp.History.Enabled || sp.Span != (datasource.Range{Min: 0, Max: 100}) {
		t.Errorf("Tank1 SP = %+v", sp)
	}
	run, _ := res.Project.Tag("Plant.Pumps.Pump1_Run")
	if run == nil || run.Type != datasource.TypeBool || run.Group != "Plant/Pumps" {
		t.Errorf("Pump1 Run = %+v", run)
	}
	name, _ := res.Project.Tag("Plant.Pumps.Pump1_Name")
	if name == nil || name.Type != datasource.TypeString || name.Length != 64 || name.Writable {
		t.Errorf("Pump1 Name = %+v", name)
	}
	warnings := strings.Join(res.Warnings, "\n")
	for _, w := range []string{"tags.csv:3: Name: renamed", "tags.csv:6: AccessRights: Custom access rights are imported as read-only", "tags.csv:6: DataType: an Ignition string has no length"} {
		if !strings.Contains(warnings, w) {
			t.Errorf("warnings lack %q:\n%s", w, warnings)
		}
	}
	if again := importCSV(t, res.Data, csv, Options{Device: "opc"}); again.Modified() {
		t.Fatalf("importing the same Ignition list twice changed %+v", again.Changed)
	}
}

// TestForeignRowsWithUnsupportedFeaturesAreErrors checks the mapping's
// refusals: types and scalings Vigil cannot represent.
func TestForeignRowsWithUnsupportedFeaturesAreErrors(t *testing.T) {
	data := readFile(t, "testdata/migrate.yaml")
	kep := "Tag Name,Address,Data Type,Scaling,Client Access\nA,40001,BCD,None,RO\nB,40002,Word,Square Root,RO\nC,40003.x,String,None,RO\nD,40004,Word,None,WO\n"
	_, err := Import("p.yaml", data, "k.csv", strings.NewReader(kep), Options{Device: "plc"})
	for _, w := range []string{`k.csv:2: Data Type: "BCD" has no Vigil type`, `k.csv:3: Scaling: "Square Root" scaling has no Vigil equivalent`,
		`k.csv:4: Address: a String tag needs its length`, `k.csv:5: Client Access: want RO or R/W`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("kepware errors lack %q: %v", w, err)
		}
	}
	ign := "Name,TagType,DataType,OPCItemPath,ScaleMode\nA,1,4,x,0\nB,0,8,x,0\nC,0,4,x,3\n"
	_, err = Import("p.yaml", data, "i.csv", strings.NewReader(ign), Options{Device: "opc"})
	for _, w := range []string{`i.csv:2: TagType: only OPC tags`, `i.csv:3: DataType: "8" has no Vigil type`, `i.csv:4: ScaleMode: "3" scaling`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("ignition errors lack %q: %v", w, err)
		}
	}
}
