package project

import (
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
	"github.com/vigil-hmi/vigil/datasource/opcua"
	"github.com/vigil-hmi/vigil/datasource/sim"
)

const validFull = "testdata/valid-full/project.yaml"

func loadValid(t *testing.T) *Project {
	t.Helper()
	p, err := Load(validFull)
	if err != nil {
		t.Fatalf("Load(%s): %v", validFull, err)
	}
	return p
}

func mustTag(t *testing.T, p *Project, name string) *datasource.Tag {
	t.Helper()
	tag, ok := p.Tag(name)
	if !ok {
		t.Fatalf("tag %q not found", name)
	}
	return tag
}

func TestValidProjectCompilesEveryField(t *testing.T) {
	p := loadValid(t)
	if p.Name != "Demo plant" || p.File != validFull || p.StaleFactor != 2.5 {
		t.Errorf("project header: name %q file %q stale factor %g", p.Name, p.File, p.StaleFactor)
	}
	if got := len(p.Devices); got != 4 {
		t.Fatalf("%d devices, want 4", got)
	}
	if got, want := len(p.Tags), 8+4; got != want {
		t.Fatalf("%d tags, want %d (8 user tags and 4 system tags)", got, want)
	}

	level := mustTag(t, p, "Tank1.Level")
	checks := []struct {
		name string
		ok   bool
	}{
		{"the first tag has ID 0", level.ID == 0},
		{"a tag keeps its description, group and units", level.Description == "Tank 1 level" && level.Group == "Tanks" && level.Units == "%"},
		{"a tag's type defaults to float32", level.Type == datasource.TypeFloat32},
		{"the scan rate comes from the named scan class", level.ScanClass == "fast" && level.ScanRate == 250*time.Millisecond},
		{"StaleAfter is stale_factor times the scan rate", level.StaleAfter == 625*time.Millisecond},
		{"the span defaults to [0, 100]", level.Span == datasource.Range{Min: 0, Max: 100}},
		{"history settings are read", level.History == datasource.HistorySettings{Enabled: true, Deadband: 0.1, MaxInterval: time.Minute}},
		{"Pos is the tag's line and AddressPos its address line", level.Pos.Line == 43 && level.AddressPos().Line == 47 && level.AddressPos().File == validFull && level.Pos.File == validFull},
		{"all eight alarms are compiled", len(level.Alarms) == 8},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: got %+v", c.name, *level)
		}
	}

	hihi, hi, lolo := level.Alarms[0], level.Alarms[1], level.Alarms[3]
	if hihi.Name != "HiHi" || hihi.Kind != datasource.AlarmHiHi || hihi.Limit != 95 || hihi.Priority != datasource.PriorityCritical || hihi.Message != "Tank 1 level very high" {
		t.Errorf("hihi alarm: %+v", hihi)
	}
	if hi.Name != "Hi" || hi.Priority != datasource.PriorityMedium || hi.Message != "Tank1.Level Hi" || hi.ShelveMax != time.Hour || hi.Deadband != 1 || hi.OnDelay != 2*time.Second {
		t.Errorf("hi alarm defaults: %+v", hi)
	}
	if !lolo.Latching || lolo.ShelveMax != 30*time.Minute {
		t.Errorf("lolo alarm: %+v", lolo)
	}
	if a := level.Alarms[2]; a.SuppressBy != "Pump1.Stopped" {
		t.Errorf("lo alarm suppress_by: %+v", a)
	}
	if a := level.Alarms[4]; a.Kind != datasource.AlarmDeviation || a.Setpoint != "Tank1.LevelSP" || a.Limit != 5 {
		t.Errorf("deviation alarm: %+v", a)
	}
	if a := level.Alarms[5]; a.Name != "RateOfChange" || a.Window != 10*time.Second {
		t.Errorf("rate of change alarm: window should default to 10s: %+v", a)
	}
	if a := level.Alarms[6]; a.Window != time.Hour || a.Horizon != 2*time.Hour {
		t.Errorf("predictive alarm: window should default to 1h: %+v", a)
	}
	if a := level.Alarms[7]; a.Kind != datasource.AlarmBadQuality || a.OnDelay != 10*time.Second || a.SuppressBy != "_sys.plant.connected" {
		t.Errorf("bad quality alarm: %+v", a)
	}

	sp := mustTag(t, p, "Tank1.LevelSP")
	if !sp.Writable || !sp.Critical || sp.WriteLimits == nil || *sp.WriteLimits != (datasource.Range{Min: 0, Max: 90}) {
		t.Errorf("setpoint write settings: %+v", *sp)
	}
	if sp.Span != (datasource.Range{Min: 0, Max: 90}) || sp.Decimals != -1 {
		t.Errorf("setpoint span should default to its limits and decimals to -1: %+v", *sp)
	}
	stopped := mustTag(t, p, "Pump1.Stopped")
	if stopped.History.Enabled || stopped.States[1] != "STOPPED" {
		t.Errorf("history: false should disable history: %+v", *stopped)
	}
	if a := stopped.Alarms[0]; a.State != datasource.Bool(true) || a.Priority != datasource.PriorityLow {
		t.Errorf("a discrete alarm on a bool tag defaults to state true: %+v", a)
	}
	if a := mustTag(t, p, "Pump1.Mode").Alarms[0]; a.Name != "NotInAuto" || a.State != datasource.Int(1) {
		t.Errorf("a discrete state given as a state text becomes its number: %+v", a)
	}
	flow := mustTag(t, p, "FT101.Flow")
	if flow.Scaling != (datasource.Scaling{RawLo: 0, RawHi: 27648, EngLo: 0, EngHi: 250}) || flow.Span != (datasource.Range{Min: 0, Max: 250}) {
		t.Errorf("scaling and span from scaling: %+v", *flow)
	}
	if flow.ScanClass != "default" || flow.ScanRate != time.Second || flow.StaleAfter != 2500*time.Millisecond {
		t.Errorf("default scan class: %+v", *flow)
	}
	if tot := mustTag(t, p, "FT101.Total"); tot.WordOrder != datasource.ABCD {
		t.Errorf("word order: %v", tot.WordOrder)
	}
	if ser := mustTag(t, p, "Meter.Serial"); ser.Type != datasource.TypeString || ser.Length != 8 {
		t.Errorf("string tag: %+v", *ser)
	}
}

func TestValidProjectDevices(t *testing.T) {
	p := loadValid(t)
	plant, _ := p.Device("plant")
	plc, _ := p.Device("plc1")
	meter, _ := p.Device("meter")
	opc, _ := p.Device("opc")
	if plant == nil || plc == nil || meter == nil || opc == nil {
		t.Fatal("a device is missing")
	}
	if plant.Timeout != time.Second || plant.Backoff != (datasource.Backoff{Min: 500 * time.Millisecond, Max: 30 * time.Second}) || plant.CommAlarm != datasource.PriorityCritical {
		t.Errorf("sim device defaults: %+v", *plant)
	}
	if len(plant.ScanClasses) != 2 || plant.ScanClasses[1] != (datasource.ScanClass{Name: "slow", Rate: 5 * time.Second, Pos: datasource.Pos{File: validFull, Line: 10}}) {
		t.Errorf("scan classes: %+v", plant.ScanClasses)
	}
	if sim.SettingsOf(plant).Seed != 42 || sim.SettingsOf(plant).Speed != 10 || len(sim.SettingsOf(plant).Faults) != 2 || sim.SettingsOf(plant).Faults[1].Tag != "Tank1.Level" || sim.SettingsOf(plant).Faults[0].At != time.Minute {
		t.Errorf("sim settings: %+v", sim.SettingsOf(plant))
	}
	wantPLC := modbus.Settings{Unit: 3, WordOrder: datasource.CDAB, MaxRegisters: 125, MaxBits: 2000, MaxGap: 16, MaskWrite: true}
	if modbus.SettingsOf(plc) != wantPLC || plc.Timeout != 2*time.Second || plc.Backoff.Max != time.Minute || plc.CommAlarm != datasource.PriorityHigh {
		t.Errorf("modbus tcp device: %+v", *plc)
	}
	wantMeter := modbus.Settings{Unit: 1, WordOrder: datasource.ABCD, MaxRegisters: 125, MaxBits: 2000, MaxGap: 0, Baud: 9600, DataBits: 8, Parity: "N", StopBits: 2}
	if modbus.SettingsOf(meter) != wantMeter || !meter.Disabled {
		t.Errorf("modbus rtu device defaults: %+v", *meter)
	}
	o := opcua.SettingsOf(opc)
	if o.SecurityPolicy != "Basic256Sha256" || o.SecurityMode != "SignAndEncrypt" || o.Username != "operator" || o.QueueSize != 20 {
		t.Errorf("opcua settings: %+v", o)
	}
	if o.Password != "hunter2" {
		t.Error("password file:secret.txt was not read relative to the project file")
	}
	if o.CertFile != filepath.Join("testdata", "valid-full", "pki", "client.crt") {
		t.Errorf("cert_file should be relative to the project file: %q", o.CertFile)
	}
	if len(p.Users) != 1 || p.Users[0].Name != "alice" || p.Users[0].Role != "operator" || len(p.Roles) != 2 {
		t.Errorf("users and roles: %+v %+v", p.Users, p.Roles)
	}
}

func TestSystemTagsAreAppendedPerDevice(t *testing.T) {
	p := loadValid(t)
	for i, d := range p.Devices {
		tag := p.Tags[len(p.Tags)-len(p.Devices)+i]
		if tag.Name != datasource.ConnectedTagName(d.Name) || !tag.System || tag.Device != d.Name || tag.Type != datasource.TypeBool || tag.Address != "" {
			t.Errorf("system tag %d: %+v", i, *tag)
		}
		if tag.States[0] != "DISCONNECTED" || tag.States[1] != "CONNECTED" {
			t.Errorf("system tag states: %v", tag.States)
		}
		want := datasource.AlarmDef{Kind: datasource.AlarmComm, Name: "Comm", Priority: d.CommAlarm,
			Message: "device " + d.Name + " communication failure", ShelveMax: time.Hour, Pos: d.Pos}
		if len(tag.Alarms) != 1 || tag.Alarms[0] != want {
			t.Errorf("comm alarm of %s: %+v", d.Name, tag.Alarms)
		}
	}
}

func TestTagIDsAreDenseAndLookupsAgree(t *testing.T) {
	p := loadValid(t)
	for i, tag := range p.Tags {
		if tag.ID != datasource.TagID(i) {
			t.Errorf("tag %s has ID %d at index %d", tag.Name, tag.ID, i)
		}
		if got, ok := p.Tag(tag.Name); !ok || got != tag {
			t.Errorf("Tag(%q) does not return the tag", tag.Name)
		}
	}
	if _, ok := p.Tag("Nope"); ok {
		t.Error("Tag of an unknown name reports ok")
	}
	if _, ok := p.Device("nope"); ok {
		t.Error("Device of an unknown name reports ok")
	}
	var names []string
	for _, tag := range p.TagsOf("plant") {
		names = append(names, tag.Name)
	}
	want := "Tank1.Level Tank1.LevelSP Pump1.Stopped Pump1.Mode _sys.plant.connected"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("TagsOf(plant) = %s, want %s", got, want)
	}
	if got := p.TagsOf("nope"); len(got) != 0 {
		t.Errorf("TagsOf an unknown device: %v", got)
	}
}

func TestDefaultsOfAMinimalProject(t *testing.T) {
	src := "project: Min\ndevices: [{name: d, driver: sim}]\ntags: [{name: T, device: d, address: x}]\n"
	p, err := Parse("min.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := p.Device("d")
	if p.StaleFactor != 3 || len(d.ScanClasses) != 1 || d.ScanClasses[0].Name != "default" || d.ScanClasses[0].Rate != time.Second {
		t.Errorf("defaults: stale factor %g, scan classes %+v", p.StaleFactor, d.ScanClasses)
	}
	if sim.SettingsOf(d).Seed != 1 || sim.SettingsOf(d).Speed != 1 || d.CommAlarm != datasource.PriorityHigh {
		t.Errorf("sim defaults: %+v", *d)
	}
	tag := p.Tags[0]
	if tag.StaleAfter != 3*time.Second || !tag.History.Enabled || tag.Decimals != -1 || tag.Span != (datasource.Range{Min: DefaultSpanMin, Max: DefaultSpanMax}) {
		t.Errorf("tag defaults: %+v", *tag)
	}
	p, err = Parse("min.yaml", []byte(strings.Replace(src, "project: Min", "project: Min\nstale_factor: 0", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if p.Tags[0].StaleAfter != 0 {
		t.Errorf("stale_factor 0 should disable stale detection, StaleAfter = %v", p.Tags[0].StaleAfter)
	}
}

func TestModbusTCPAndRTUDefaults(t *testing.T) {
	tests := []struct {
		name string
		addr string
		want modbus.Settings
	}{
		{"tcp spans gaps of 16 and has no serial settings", "tcp://h:502",
			modbus.Settings{Unit: 1, WordOrder: datasource.ABCD, MaxRegisters: 125, MaxBits: 2000, MaxGap: 16}},
		{"rtu over tcp spans gaps of 16 and has no serial settings", "rtuovertcp://h:4001",
			modbus.Settings{Unit: 1, WordOrder: datasource.ABCD, MaxRegisters: 125, MaxBits: 2000, MaxGap: 16}},
		{"rtu spans no gaps and is 19200 8E1", "rtu:///dev/ttyUSB0",
			modbus.Settings{Unit: 1, WordOrder: datasource.ABCD, MaxRegisters: 125, MaxBits: 2000, MaxGap: 0, Baud: 19200, DataBits: 8, Parity: "E", StopBits: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("m.yaml", []byte("project: M\ndevices: [{name: d, driver: modbus, address: \""+tt.addr+"\"}]\n"))
			if err != nil {
				t.Fatal(err)
			}
			if got := modbus.SettingsOf(p.Devices[0]); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	const secretValue = "s3cr3t-Value"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw.txt"), []byte(secretValue+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIGIL_TEST_PW", secretValue)
	unsetEnv(t, "VIGIL_TEST_PW_UNSET")
	tests := []struct {
		name     string
		password string
		want     string
		wantErr  string
	}{
		{"a plain password is taken as written", "plain", "plain", ""},
		{"env:NAME reads the environment variable", "env:VIGIL_TEST_PW", secretValue, ""},
		{"file:PATH reads the file relative to the project without the line break", "file:pw.txt", secretValue, ""},
		{"an unset variable is an error naming it", "env:VIGIL_TEST_PW_UNSET", "", "environment variable VIGIL_TEST_PW_UNSET is not set"},
		{"a missing file is an error naming it", "file:nope.txt", "", "secret file " + filepath.Join(dir, "nope.txt") + ": no such file"},
		{"env: without a name is an error", "env:", "", "env: needs a variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// An unrelated error too: the secret must not leak into messages.
			src := "project: S\ndevices:\n  - name: o\n    driver: opcua\n    address: opc.tcp://h:4840\n    opcua: {username: u, password: \"" + tt.password + "\"}\n    timeout: " + secretValue + "\n"
			_, err := Parse(filepath.Join(dir, "p.yaml"), []byte(src))
			if err == nil {
				t.Fatal("the bad timeout was not reported")
			}
			msg := err.Error()
			if strings.Contains(strings.ReplaceAll(msg, `"`+secretValue+`"`, ""), secretValue) && tt.password != "plain" {
				t.Errorf("the secret value appears in the errors:\n%s", msg)
			}
			if tt.wantErr != "" && !strings.Contains(msg, "devices[o].opcua.password: "+tt.wantErr) {
				t.Errorf("errors do not contain %q:\n%s", tt.wantErr, msg)
			}
			if tt.wantErr != "" {
				return
			}
			ok := strings.Replace(src, "    timeout: "+secretValue+"\n", "", 1)
			p, err := Parse(filepath.Join(dir, "p.yaml"), []byte(ok))
			if err != nil {
				t.Fatal(err)
			}
			if opcua.SettingsOf(p.Devices[0]).Password != tt.want {
				t.Error("the password was not resolved to the expected value")
			}
		})
	}
}

func TestHostileInputGivesErrorsNotPanics(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	garbage := make([]byte, 10<<20)
	rng.Read(garbage)
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nproject: P\ntags: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"10 MB of random bytes", garbage, "f.yaml:"},
		{"a file over the size limit", make([]byte, MaxFileSize+1), "larger than 16 MiB"},
		{"a scalar instead of a mapping", []byte("just text"), "must be a mapping"},
		{"binary zeros", []byte{0, 0, 0, 0}, "f.yaml:1:"},
		{"an alias bomb is cut short by the schema", []byte(bomb), "tags[8]: must be a mapping of fields, got a list"},
		{"200 broken tags stop at the error limit", []byte("project: P\ntags:\n" + strings.Repeat("  - {name: T}\n", 200)), "too many errors; fix these first"},
		{"a key that is a list", []byte("[a]: 1\n"), "field names must be plain words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("f.yaml", tt.data)
			if err == nil || p != nil {
				t.Fatalf("Parse = %v, %v; want an error", p, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not contain %q:\n%.2000s", tt.want, err.Error())
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) > maxErrors+1 {
				t.Errorf("want at most %d Errors, got %T of %d", maxErrors+1, err, len(errs))
			}
		})
	}
}

func TestAliasesAreFollowed(t *testing.T) {
	src := "project: A\ndevices: [{name: d, driver: sim, scan_classes: [&fast {name: fast, rate: 100ms}]}]\n" +
		"tags:\n  - {name: T1, device: d, address: x, history: &h {deadband: 0.5}}\n  - {name: T2, device: d, address: y, history: *h}\n"
	p, err := Parse("a.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if p.Tags[1].History.Deadband != 0.5 {
		t.Errorf("alias not followed: %+v", p.Tags[1].History)
	}
}

func TestLoadOfAMissingFileNamesIt(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Pos: datasource.Pos{File: "p.yaml", Line: 7}, Field: "tags[A].type", Msg: "bad"}
	if got := e.Error(); got != "p.yaml:7: tags[A].type: bad" {
		t.Errorf("Error() = %q", got)
	}
	e.Field = ""
	if got := e.Error(); got != "p.yaml:7: bad" {
		t.Errorf("Error() without field = %q", got)
	}
	es := Errors{e, {Pos: datasource.Pos{File: "p.yaml", Line: 9}, Field: "x", Msg: "y"}}
	if got := es.Error(); got != "p.yaml:7: bad\np.yaml:9: x: y" {
		t.Errorf("Errors.Error() = %q", got)
	}
}

func TestHistoryInterpolationIsReadAndDefaultsByKindOfTag(t *testing.T) {
	src := "project: A\ndevices: [{name: d, driver: sim}]\ntags:\n" +
		"  - {name: Level, device: d, address: a, type: float32}\n" +
		"  - {name: LevelSP, device: d, address: b, type: float32, writable: true}\n" +
		"  - {name: Run, device: d, address: c, type: bool}\n" +
		"  - {name: Count, device: d, address: e, type: int32}\n" +
		"  - {name: Mode, device: d, address: f, type: uint16, scaling: {raw: [0, 10], eng: [0, 1]}, states: {0: MANUAL, 1: AUTO}}\n" +
		"  - {name: Raw, device: d, address: g, type: int16, scaling: {raw: [0, 27648], eng: [0, 100]}}\n" +
		"  - {name: Ramp, device: d, address: h, type: float32, writable: true, history: {interpolation: linear}}\n" +
		"  - {name: Held, device: d, address: i, type: float32, history: {interpolation: step}}\n"
	p, err := Parse("a.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"Level": false, "LevelSP": true, "Run": true, "Count": true, "Mode": true,
		"Raw": false, "Ramp": false, "Held": true}
	for _, tag := range p.Tags {
		if w, ok := want[tag.Name]; ok && tag.Stepped() != w {
			t.Errorf("%s: Stepped() = %v, want %v (interpolation %q)", tag.Name, tag.Stepped(), w, tag.History.Interpolation)
		}
	}
	_, err = Parse("a.yaml", []byte("project: A\ndevices: [{name: d, driver: sim}]\ntags:\n"+
		"  - {name: L, device: d, address: a, history: {interpolation: spline}}\n"))
	if err == nil || !strings.Contains(err.Error(), "a.yaml:4: tags[L].history.interpolation: must be one of step, linear") {
		t.Errorf("an unknown interpolation: %v", err)
	}
}
