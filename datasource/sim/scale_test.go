package sim_test

import (
	"bytes"
	"testing"

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
}

// Too many alarms for the number tags is refused, not silently capped.
func TestScaleProjectRefusesMoreAlarmsThanTags(t *testing.T) {
	var buf bytes.Buffer
	if err := sim.WriteScaleProject(&buf, sim.ScaleProject{Devices: 1, TagsPerDevice: 10, Alarms: 11}); err == nil {
		t.Fatal("11 alarms on 10 tags accepted")
	}
}
