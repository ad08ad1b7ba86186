package cli

import (
	"context"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
	"github.com/vigil-hmi/vigil/datasource/sparkplug/sparkplugtest"
	"github.com/vigil-hmi/vigil/history/audit"
)

// startStation parses a project and starts its runtime with history in a
// temporary directory, until the test ends.
func startStation(t *testing.T, yaml string) *Runtime {
	t.Helper()
	proj, err := project.Parse("station.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Start(context.Background(), proj, RuntimeOptions{HistoryPath: filepath.Join(t.TempDir(), "h.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return rt
}

func awaitTag(t *testing.T, rt *Runtime, name, what string, ok func(datasource.Sample) bool) {
	t.Helper()
	tag, _ := rt.Project.Tag(name)
	end := time.Now().Add(15 * time.Second)
	for !ok(rt.Table.Get(tag.ID)) {
		if time.Now().After(end) {
			s := rt.Table.Get(tag.ID)
			t.Fatalf("%s: %s is %v %v", what, name, s.Value, s.Quality)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAPublishingStationAndAViewingStationShareTagsWritesAndAlarms(t *testing.T) {
	b := sparkplugtest.Start(t)
	acq := startStation(t, fmt.Sprintf(`project: Acquirer
devices:
  - {name: plant, driver: sim, scan_classes: [{name: fast, rate: 100ms}]}
tags:
  - name: Tank1.Level
    device: plant
    address: tank1.level
    alarms: [{kind: hi, limit: -1, priority: high, message: always high}]
  - {name: Tank1.LevelSP, device: plant, address: tank1.level_sp, writable: true, limits: [10, 90]}
publish: {broker: %s, group: plant, node: station1, writes: true}
`, b.URL()))
	view := startStation(t, fmt.Sprintf(`project: Viewer
devices:
  - name: station1
    driver: mqtt
    address: %s
    backoff: {min: 50ms, max: 200ms}
    mqtt: {group: plant, node: station1}
tags:
  - {name: Level, device: station1, address: plant/Tank1.Level}
  - {name: LevelSP, device: station1, address: plant/Tank1.LevelSP, writable: true}
`, b.URL()))
	awaitTag(t, view, "Level", "the acquirer's level reaches the viewer", func(s datasource.Sample) bool { return s.Quality.IsGood() })
	awaitTag(t, view, "LevelSP", "the setpoint too", func(s datasource.Sample) bool { return s.Quality.IsGood() })

	session, err := view.Users.Authenticate(access.SingleOperatorUser, "")
	if err != nil {
		t.Fatal(err)
	}
	// The write path's request names the session's user; the engine hands
	// it to the mqtt driver, which sends it with the DCMD.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := view.Writes.Write(ctx, session, audit.Request{Tag: "LevelSP", Value: datasource.Float(33), Reason: "test", Via: audit.ViaFaceplate})
	if err != nil || !res.Match {
		t.Fatalf("write at the viewer: %+v %v", res, err)
	}
	awaitTag(t, acq, "Tank1.LevelSP", "the write lands in the plant", func(s datasource.Sample) bool { return s.Value == datasource.Float(33) })

	_, err = view.Writes.Write(ctx, session, audit.Request{Tag: "LevelSP", Value: datasource.Float(95), Reason: "test", Via: audit.ViaFaceplate})
	if want := "Tank1.LevelSP: 95 is outside the write limits 10 .. 90"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a write outside the acquirer's limits: %v, want %q in it", err, want)
	}
	// The acquirer records the DCMD it refused, with the value before.
	evs, err := acq.History.Events(ctx, time.Time{}, time.Now().Add(time.Hour), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	refused := false
	for _, e := range evs {
		if e.Name == audit.ActWrite && e.State == audit.StateRefused && e.Data["via"] == audit.ViaStation && e.Data["new"] == "95" && e.Data["old"] == "33" {
			refused = true
		}
	}
	if !refused {
		t.Errorf("the acquirer's audit trail lacks the refused DCMD: %+v", evs)
	}

	board := stationAlarms{rt: acq, writes: true}
	var hi sparkplug.AlarmState
	end := time.Now().Add(15 * time.Second)
	for !hi.Active {
		if time.Now().After(end) {
			t.Fatalf("the acquirer's alarm never became active: %+v", board.States())
		}
		for _, a := range board.States() {
			if a.Tag == "Tank1.Level" {
				hi = a
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	v := board.Version()
	if err := board.Act(ctx, sparkplug.AlarmAction{Tag: "Tank1.Level", Name: hi.Name, Action: sparkplug.AlarmAck, User: "viewer-alice", Reason: "seen"}); err != nil {
		t.Fatalf("ack from another station: %v", err)
	}
	if board.Version() == v {
		t.Error("the alarm engine's version did not move after the ack")
	}
	for _, a := range board.States() {
		if a.Tag == "Tank1.Level" && !a.Acked {
			t.Errorf("after the ack: %+v", a)
		}
	}
	if err := (stationAlarms{rt: acq}).Act(ctx, sparkplug.AlarmAction{Tag: "Tank1.Level", Name: hi.Name, Action: sparkplug.AlarmAck}); err == nil {
		t.Error("a station with writes off accepted an alarm action")
	}
}

func TestBrokerSettingsLoadTheirTLSFilesOrSayWhichIsWrong(t *testing.T) {
	srv, _ := sparkplugtest.Certificate(t)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificates[0].Certificate[0]})
	ca := writeFile(t, "ca.pem", string(certPEM))
	junk := writeFile(t, "junk.pem", "not a certificate")

	b, err := brokerOf("ssl://127.0.0.1:8883", &project.MQTTSettings{CAFile: ca, Username: "u", Password: "p"})
	if err != nil || b.TLS == nil || b.TLS.RootCAs == nil || b.Username != "u" || b.Password != "p" {
		t.Fatalf("with a CA file: %+v, %v", b, err)
	}
	if _, err := brokerOf("ssl://h", &project.MQTTSettings{CAFile: junk}); err == nil || !strings.Contains(err.Error(), "junk.pem: no PEM certificate") {
		t.Errorf("a CA file without a certificate: %v", err)
	}
	if _, err := brokerOf("ssl://h", &project.MQTTSettings{CertFile: ca, KeyFile: filepath.Join(t.TempDir(), "missing.key")}); err == nil || !strings.Contains(err.Error(), "missing.key") {
		t.Errorf("a missing key file: %v", err)
	}
	if b, err := brokerOf("tcp://h", &project.MQTTSettings{}); err != nil || b.TLS != nil {
		t.Errorf("plain TCP: %+v, %v", b, err)
	}
}
