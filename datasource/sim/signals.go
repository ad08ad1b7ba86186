package sim

import (
	"sort"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
)

// Signal describes one signal of the plant: what a tag address names.
type Signal struct {
	Name        string          // the address, lower-case: "tank1.level"
	Kind        datasource.Kind // KindBool or KindFloat
	Units       string          // engineering units; "" for bools
	Min, Max    float64         // physical range; for writable signals the accepted range
	Writable    bool
	Description string
	Decimals    int // digits after the point worth showing (the demo's); 0 for bools
}

// sig indexes the signal catalogue.
type sig int

// The signals, in catalogue (and documentation) order.
const (
	sTankLevel sig = iota
	sTankLevelSP
	sTankAuto
	sTankOutletValve
	sTankInflow
	sTankOutflow
	sTankHighSwitch
	sTankLowSwitch
	sPumpRunning
	sPumpStopped
	sPumpFault
	sPumpCurrent
	sPumpTemperature
	sPumpVibration
	sPumpRunHours
	sMeterPower
	sMeterEnergy
	sMeterVoltage
	sMeterCurrent
	sMeterPowerFactor
	sFieldMoisture
	sFieldMoistureSP
	sFieldAuto
	sFieldValve
	sFieldFlow
	sFieldET
	sSiteAmbient
	nSignals
)

var catalogue = [nSignals]Signal{
	sTankLevel:        {"tank1.level", datasource.KindFloat, "%", 0, 100, false, "tank 1 level, 0 % empty .. 100 % full (4 m)", 1},
	sTankLevelSP:      {"tank1.level_sp", datasource.KindFloat, "%", 0, 100, true, "level controller setpoint", 1},
	sTankAuto:         {"tank1.auto", datasource.KindBool, "", 0, 1, true, "level controller in auto (true) or manual (false)", 0},
	sTankOutletValve:  {"tank1.outlet_valve", datasource.KindFloat, "%", 0, 100, true, "outlet control valve position; writable in manual only", 1},
	sTankInflow:       {"tank1.inflow", datasource.KindFloat, "m³/h", 0, 25, false, "inflow from pump 1", 2},
	sTankOutflow:      {"tank1.outflow", datasource.KindFloat, "m³/h", 0, 60, false, "outflow through the outlet valve", 2},
	sTankHighSwitch:   {"tank1.high_switch", datasource.KindBool, "", 0, 1, false, "high level switch, on above 90 %", 0},
	sTankLowSwitch:    {"tank1.low_switch", datasource.KindBool, "", 0, 1, false, "low level switch, on below 10 %", 0},
	sPumpRunning:      {"pump1.running", datasource.KindBool, "", 0, 1, true, "pump 1 running; write true to start, false to stop", 0},
	sPumpStopped:      {"pump1.stopped", datasource.KindBool, "", 0, 1, false, "pump 1 not running (for alarm suppression)", 0},
	sPumpFault:        {"pump1.fault", datasource.KindBool, "", 0, 1, false, "pump 1 tripped (winding overtemperature, vibration, or injected trip)", 0},
	sPumpCurrent:      {"pump1.current", datasource.KindFloat, "A", 0, 80, false, "motor current", 1},
	sPumpTemperature:  {"pump1.temperature", datasource.KindFloat, "°C", -20, 180, false, "motor winding temperature", 1},
	sPumpVibration:    {"pump1.vibration", datasource.KindFloat, "mm/s", 0, 20, false, "bearing vibration velocity, RMS", 2},
	sPumpRunHours:     {"pump1.run_hours", datasource.KindFloat, "h", 0, 1e6, false, "pump 1 running hours counter", 1},
	sMeterPower:       {"meter1.power", datasource.KindFloat, "kW", 0, 100, false, "active power of the site (pump 1 and other loads)", 1},
	sMeterEnergy:      {"meter1.energy", datasource.KindFloat, "kWh", 0, 1e9, false, "active energy counter, never decreases", 1},
	sMeterVoltage:     {"meter1.voltage", datasource.KindFloat, "V", 0, 500, false, "line-to-line voltage", 1},
	sMeterCurrent:     {"meter1.current", datasource.KindFloat, "A", 0, 200, false, "line current of the site", 1},
	sMeterPowerFactor: {"meter1.power_factor", datasource.KindFloat, "", 0, 1, false, "total power factor", 3},
	sFieldMoisture:    {"field1.moisture", datasource.KindFloat, "%", 0, 50, false, "soil moisture, volumetric", 1},
	sFieldMoistureSP:  {"field1.moisture_sp", datasource.KindFloat, "%", 10, 45, true, "irrigation controller moisture setpoint", 1},
	sFieldAuto:        {"field1.auto", datasource.KindBool, "", 0, 1, true, "irrigation controller in auto (true) or manual (false)", 0},
	sFieldValve:       {"field1.valve", datasource.KindBool, "", 0, 1, true, "irrigation valve open; writable in manual only", 0},
	sFieldFlow:        {"field1.flow", datasource.KindFloat, "m³/h", 0, 5, false, "irrigation water flow", 2},
	sFieldET:          {"field1.et", datasource.KindFloat, "mm/h", 0, 2, false, "evapotranspiration rate", 2},
	sSiteAmbient:      {"site.ambient_temp", datasource.KindFloat, "°C", -30, 50, false, "ambient air temperature", 1},
}

// bySignalName maps every signal name to its index.
var bySignalName = func() map[string]sig {
	m := make(map[string]sig, nSignals)
	for i, s := range catalogue {
		m[s.Name] = sig(i)
	}
	return m
}()

// Signals returns the plant's signals in catalogue order: every valid tag
// address of a sim device.
func Signals() []Signal { return append([]Signal(nil), catalogue[:]...) }

// lookup finds a signal by name, ignoring case and surrounding blanks.
func lookup(name string) (sig, bool) {
	s, ok := bySignalName[strings.ToLower(strings.TrimSpace(name))]
	return s, ok
}

// suggest returns the signal names closest to a misspelt one: those within
// a small edit distance, else those of the same unit (the part before the
// dot), else every unit prefix.
func suggest(name string) []string {
	name = strings.ToLower(strings.TrimSpace(name))
	type cand struct {
		name string
		d    int
	}
	var near []cand
	for _, s := range catalogue {
		if d := editDistance(name, s.Name); d <= 3 {
			near = append(near, cand{s.Name, d})
		}
	}
	if len(near) > 0 {
		sort.SliceStable(near, func(i, j int) bool { return near[i].d < near[j].d })
		out := make([]string, 0, 5)
		for _, c := range near {
			if len(out) == 5 {
				break
			}
			out = append(out, c.name)
		}
		return out
	}
	unit, _, _ := strings.Cut(name, ".")
	var out []string
	for _, s := range catalogue {
		if strings.HasPrefix(s.Name, unit+".") {
			out = append(out, s.Name)
		}
	}
	if len(out) > 0 {
		return out
	}
	seen := map[string]bool{}
	for _, s := range catalogue {
		u, _, _ := strings.Cut(s.Name, ".")
		if !seen[u] {
			seen[u] = true
			out = append(out, u+".*")
		}
	}
	return out
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
