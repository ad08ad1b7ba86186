package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/drivers"
	"github.com/vigil-hmi/vigil/datasource/mqtt"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/project"
	"github.com/vigil-hmi/vigil/datasource/sparkplug"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/audit"
)

// The control room (docs/control-room.md): a station with publish: in its
// project publishes its tags as a Sparkplug B edge node, and runs the
// writes of viewing stations through its own write path; a station with
// devices of driver mqtt views another station's tags.

// projectDrivers returns the driver factories for proj, from the registry
// (datasource/drivers), the mqtt driver given the project's broker settings
// and the Stations that collect the viewed stations' alarms (nil: none).
func projectDrivers(proj *project.Project, stations *mqtt.Stations, clk clockwork.Clock, log *slog.Logger) (map[string]poll.Factory, error) {
	opts := mqtt.Options{Stations: stations, Devices: map[string]mqtt.Settings{}}
	for _, d := range proj.Devices {
		s, ok := mqtt.SectionOf(d)
		if d.Driver != "mqtt" || !ok {
			continue
		}
		b, err := brokerOf(d.Address, &s)
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", d.Name, err)
		}
		opts.Devices[d.Name] = mqtt.Settings{Broker: b, Group: s.Group, Node: s.Node, PrimaryHost: s.PrimaryHost}
	}
	return drivers.Factories(drivers.Options{Clock: clk, Logger: log, MQTT: opts}), nil
}

// brokerOf turns project settings into a sparkplug.Broker, loading the TLS
// files.
func brokerOf(url string, s *project.MQTTSettings) (sparkplug.Broker, error) {
	b := sparkplug.Broker{URL: url, Username: s.Username, Password: s.Password, ClientID: s.ClientID, KeepAlive: s.KeepAlive}
	if s.CAFile == "" && s.CertFile == "" {
		return b, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return b, fmt.Errorf("ca_file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return b, fmt.Errorf("ca_file %s: no PEM certificate in it", s.CAFile)
		}
	}
	if s.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return b, fmt.Errorf("cert_file %s, key_file %s: %w", s.CertFile, s.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	b.TLS = cfg
	return b, nil
}

// storedPoints gives the edge node a station's history: the node, a
// consumer of the tag table like history, does not import it.
type storedPoints struct{ store *history.Store }

// StoredPoints returns every stored sample of tag in [from, to].
func (h storedPoints) StoredPoints(ctx context.Context, tag string, from, to time.Time) ([]sparkplug.StoredPoint, error) {
	pts, err := h.store.Query(ctx, tag, from, to, 0)
	if err != nil {
		return nil, err
	}
	out := make([]sparkplug.StoredPoint, len(pts))
	for i, p := range pts {
		out[i] = sparkplug.StoredPoint{Time: p.Time, Value: p.Value, Quality: p.Quality}
	}
	return out, nil
}

// newPublisher builds the edge node of rt's project (nil when it has no
// publish section). Runtime.Start runs it with the engine.
func newPublisher(rt *Runtime, clk clockwork.Clock, log *slog.Logger) (*sparkplug.Node, error) {
	pub := rt.Project.Publish
	if pub == nil {
		return nil, nil
	}
	b, err := brokerOf(pub.Broker, &pub.MQTTSettings)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	cfg := sparkplug.NodeConfig{
		Broker: b, Group: pub.Group, Node: pub.Node,
		Tags: rt.Project.Tags, Table: rt.Table, Buffer: pub.Buffer,
		PrimaryHost: pub.PrimaryHost, Clock: clk, Logger: log,
	}
	if pub.Writes {
		cfg.Commander = stationWriter{rt: rt, node: pub.Node}
	}
	cfg.Alarms = stationAlarms{rt: rt, writes: pub.Writes}
	if rt.History != nil { // a nil *history.Store must not become a non-nil interface
		cfg.History = storedPoints{rt.History} // an outage longer than the buffer is read back from it
	}
	n, err := sparkplug.NewNode(cfg)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return n, nil
}

// stationWriter is the acquiring station's entry to the write path for
// writes that come from viewing stations: the broker has authenticated the
// viewing station; the user it names must be one of this station's users
// whose role and areas allow the write (any user in single-operator mode),
// and a critical tag is refused (access.Remote).
type stationWriter struct {
	rt   *Runtime
	node string // this station's edge node id, for messages
}

// Write implements sparkplug.Commander.
func (w stationWriter) Write(ctx context.Context, c sparkplug.WriteCommand) (datasource.Sample, error) {
	name := c.Name
	if c.Tag != nil {
		name = c.Tag.Name
	}
	if !w.rt.Writes.Audited() {
		return datasource.Sample{}, fmt.Errorf("%s: station %s keeps no audit trail (history is off), so it refuses writes from other stations", name, w.node)
	}
	reason := c.Reason
	if reason == "" {
		reason = "written from another station"
	}
	who := access.Remote{Dir: w.rt.Users, Name: c.User, Station: "another station through the broker"}
	res, err := w.rt.Writes.Write(ctx, who, audit.Request{Tag: name, Value: c.Value, Reason: reason, Via: audit.ViaStation})
	return res.ReadBack, err
}

// stationAlarms is the acquiring station's alarm engine for its edge node:
// the node publishes the states, and runs the acknowledge, shelve,
// unshelve and reset of viewing stations through the engine (which
// journals them) and the audit trail.
type stationAlarms struct {
	rt     *Runtime
	writes bool // publish.writes: commands from other stations are accepted
}

// Version implements sparkplug.AlarmBoard.
func (s stationAlarms) Version() uint64 { return s.rt.Alarms.Version() }

// States implements sparkplug.AlarmBoard: every alarm of the project.
func (s stationAlarms) States() []sparkplug.AlarmState {
	var out []sparkplug.AlarmState
	for _, t := range s.rt.Project.Tags {
		for _, a := range s.rt.Alarms.TagAlarms(t.ID) {
			out = append(out, sparkplug.AlarmState{
				Tag: a.Tag, Name: a.Name, State: a.State.String(),
				Active: a.Active, Acked: a.Acked, Shelved: a.Shelved, Suppressed: a.Suppressed, OutOfService: a.OutOfService,
				Priority: a.Priority, Message: a.Message, Since: a.Since,
			})
		}
	}
	return out
}

// Act implements sparkplug.AlarmBoard. In single-operator mode the action
// is the station operator's, with the viewer's user in the comment; with a
// users file the action is "USER@remote" (access.RemoteUser): the alarm
// engine's authorizer checks that user's role and areas here, without a
// session, and the journal says where it came from.
func (s stationAlarms) Act(_ context.Context, a sparkplug.AlarmAction) error {
	rt := s.rt
	node := rt.Project.Publish.Node
	name := a.Tag + "/" + a.Name
	if !s.writes {
		return fmt.Errorf("alarm %s: station %s accepts no commands from other stations (publish: writes is off)", name, node)
	}
	id, ok := rt.Alarms.Lookup(a.Tag, a.Name)
	if !ok {
		return fmt.Errorf("alarm %s: station %s has no such alarm", name, node)
	}
	user, comment := access.RemoteUser(a.User, "remote"), a.Reason
	if rt.Users == nil || rt.Users.SingleOperator() {
		user = access.SingleOperatorUser
		comment = fmt.Sprintf("%s (by %s at another station)", a.Reason, a.User)
	}
	var act alarms.Action
	var err error
	switch a.Action {
	case sparkplug.AlarmAck:
		act, err = alarms.ActionAck, rt.Alarms.Ack(user, id, comment)
	case sparkplug.AlarmShelve:
		act, err = alarms.ActionShelve, rt.Alarms.Shelve(user, id, a.Duration, comment)
	case sparkplug.AlarmUnshelve:
		act, err = alarms.ActionUnshelve, rt.Alarms.Unshelve(user, id, comment)
	case sparkplug.AlarmReset:
		act, err = alarms.ActionReset, rt.Alarms.Reset(user, id, comment)
	default:
		return fmt.Errorf("alarm %s: unknown action %q", name, a.Action)
	}
	if rt.Auditor != nil {
		err = errors.Join(err, auditErr(rt.Auditor.AlarmAction(user, act, name, comment, err)))
	}
	return err
}

// auditErr says that a remote write's audit record failed (nil for nil).
func auditErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("the audit record could not be written: %w", err)
}
