package sim_test

import (
	"bytes"
	"testing"

	"github.com/vigil-hmi/vigil/assets"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/datasource/sim"
)

// The generated project is valid, and has the tags and alarms asked for.
func TestScaleProjectLoads(t *testing.T) {
	var buf bytes.Buffer
	if err := sim.WriteScaleProject(&buf, sim.ScaleProject{Devices: 3, TagsPerDevice: 100, Alarms: 50}); err != nil {
		t.Fatal(err)
	}
	p, err := project.Parse("scale.yaml", buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String()[:2000])
	}
	var tags, alarms int
	for _, tag := range p.Tags {
		if !tag.System {
			tags++
		}
		alarms += len(tag.Alarms)
	}
	if tags != 300 || len(p.Devices) != 3 {
		t.Errorf("%d devices, %d tags; want 3, 300", len(p.Devices), tags)
	}
	if alarms-3 != 50 { // each device also has its comm alarm
		t.Errorf("%d alarms besides the comm alarms; want 50", alarms-3)
	}
	// Numbers show the digits the demo shows for their signal, not every
	// digit a float has.
	sigs := map[string]sim.Signal{}
	for _, s := range sim.Signals() {
		sigs[s.Name] = s
	}
	for _, tag := range p.Tags {
		if s := sigs[tag.Address]; !tag.System && tag.Type.Numeric() && tag.Decimals != s.Decimals {
			t.Errorf("%s (%s): decimals %d, want %d", tag.Name, tag.Address, tag.Decimals, s.Decimals)
		}
	}
}

// The catalogue's decimals are those the demo project gives its signals.
func TestSignalDecimalsAreTheDemos(t *testing.T) {
	p, err := project.Parse("demo.yaml", assets.Demo)
	if err != nil {
		t.Fatal(err)
	}
	sigs := map[string]sim.Signal{}
	for _, s := range sim.Signals() {
		sigs[s.Name] = s
	}
	seen := 0
	for _, tag := range p.Tags {
		s, ok := sigs[tag.Address]
		if !ok || tag.System || tag.Calc != nil || !tag.Type.Numeric() {
			continue
		}
		seen++
		if tag.Decimals != s.Decimals {
			t.Errorf("demo %s (%s): decimals %d, the catalogue %d", tag.Name, tag.Address, tag.Decimals, s.Decimals)
		}
	}
	if seen < 15 {
		t.Errorf("only %d demo tags read a numeric signal", seen)
	}
}

// Too many alarms for the number tags is refused, not silently capped.
func TestScaleProjectRefusesMoreAlarmsThanTags(t *testing.T) {
	var buf bytes.Buffer
	if err := sim.WriteScaleProject(&buf, sim.ScaleProject{Devices: 1, TagsPerDevice: 10, Alarms: 11}); err == nil {
		t.Fatal("11 alarms on 10 tags accepted")
	}
}
