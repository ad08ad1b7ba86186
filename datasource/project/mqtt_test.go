package project

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource/mqtt"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
)

func TestAControlRoomProjectCompilesItsPublishAndMQTTSections(t *testing.T) {
	t.Setenv("HOME", "s3cret")
	proj, err := Load(filepath.Join("testdata", "valid-control-room", "project.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pub := proj.Publish
	if pub == nil {
		t.Fatal("no Publish")
	}
	dir := filepath.Join("testdata", "valid-control-room")
	if pub.Broker != "ssl://broker.plant.example:8883" || pub.Group != "plant" || pub.Node != "station1" ||
		pub.Username != "station1" || pub.Password != "s3cret" || !pub.Writes || pub.Buffer != 50000 ||
		pub.CAFile != filepath.Join(dir, "certs/ca.pem") || pub.KeyFile != filepath.Join(dir, "certs/station1.key") ||
		pub.KeepAlive != sparkplug.DefaultKeepAlive || pub.PrimaryHost != "control-room" {
		t.Errorf("publish: %+v", pub)
	}
	d, _ := proj.Device("station2")
	s, ok := mqtt.SectionOf(d)
	if !ok || s.Group != "plant" || s.Node != "station2" || s.Password != "s3cret" || s.KeepAlive != 30*time.Second ||
		s.PrimaryHost != "station1-views-station2" {
		t.Fatalf("mqtt settings of station2: %+v", s)
	}
	if d.Timeout != mqtt.DefaultTimeout || d.Address != "ssl://broker.plant.example:8883" {
		t.Errorf("station2: timeout %s address %s", d.Timeout, d.Address)
	}
	if plant, _ := proj.Device("plant"); plant.Settings == nil {
		t.Error("a sim device has no settings")
	} else if _, ok := mqtt.SectionOf(plant); ok {
		t.Error("a sim device has mqtt settings")
	}
}

func TestAProjectWithoutPublishHasNone(t *testing.T) {
	proj, err := Parse("p.yaml", []byte("project: P\ndevices: [{name: d, driver: sim}]\ntags: [{name: A, device: d, address: tank1.level, type: float32}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if proj.Publish != nil {
		t.Errorf("publish %+v", proj.Publish)
	}
}

// An mqtt tag has no stale limit of its own: Sparkplug sends a value only
// when it changes, so an old source time is no sign of a dead link; a
// polled tag of the same project keeps stale_factor × its scan rate.
func TestMQTTTagsHaveNoStaleLimit(t *testing.T) {
	t.Setenv("HOME", "s3cret")
	proj, err := Load(filepath.Join("testdata", "valid-control-room", "project.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var byException, polled int
	for _, tag := range proj.Tags {
		d, ok := proj.Device(tag.Device)
		switch {
		case tag.System || !ok:
		case d.Driver == "mqtt":
			byException++
			if tag.StaleAfter != 0 {
				t.Errorf("mqtt tag %s: stale after %s, want 0 (never)", tag.Name, tag.StaleAfter)
			}
		default:
			polled++
			if tag.StaleAfter <= 0 {
				t.Errorf("%s tag %s: stale after %s, want a limit", d.Driver, tag.Name, tag.StaleAfter)
			}
		}
	}
	if byException == 0 || polled == 0 {
		t.Fatalf("%d mqtt tags, %d polled tags: the test project needs both", byException, polled)
	}
}
