package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// Writer is the device step of the write path: *poll.Engine, which checks
// the value again, writes it on the device's session and reads it back.
type Writer interface {
	Write(ctx context.Context, req poll.WriteRequest) (poll.WriteResult, error)
}

// Source is where the write path reads a tag's value before the write,
// for the audit record: *datasource.Table.
type Source interface {
	Get(id datasource.TagID) datasource.Sample
}

// Who is whoever asks for a write: an *access.Session (the operator at
// this station's screen or console) or an access.Remote (a user named by
// another station, a protocol client of `vigil sim`).
type Who interface {
	// User is the name the audit trail records.
	User() string
	// AuthorizeWrite refuses the write of tag when the role, the areas or,
	// for a critical tag, the signature (the password again) do not allow it.
	AuthorizeWrite(tag *datasource.Tag, signature string) error
}

// Request is one write asked for.
type Request struct {
	Tag string // the tag's name
	// Value is the value in engineering units. When it is none, Text is
	// read for the tag (poll.ParseText): state names, true/false, numbers.
	Value datasource.Value
	Text  string
	// Signature is the password again, for a critical tag.
	Signature string
	Reason    string // why, for the audit trail; may be empty
	Via       string // the entry point, for the audit trail: ViaFaceplate, ViaConsole, ...
}

// The entry points of the write path, in a write record's Data["via"].
const (
	ViaFaceplate = "faceplate"          // a faceplate of the operator window
	ViaConsole   = "console"            // `vigil run --commands`
	ViaStation   = "sparkplug"          // a DCMD from a viewing station
	ViaModbus    = "modbus"             // a Modbus client of `vigil sim`
	ViaOPCUA     = "opcua"              // an OPC UA client of `vigil sim`
	ViaDisplay   = "display"            // a button of a display
	nobody       = "(nobody logged in)" // the user of a write nobody asked for by name
)

// ErrNoAudit refuses every write of a WritePath without an audit trail:
// a change nobody can trace is not made.
var ErrNoAudit = errors.New("setpoint writes are off: history is off (--no-history), so there is no audit trail to record them in")

// ErrNotLoggedIn refuses a write that nobody asked for (no session).
var ErrNotLoggedIn = errors.New("log in to write setpoints")

// WritePath is the one way a value reaches a device. Every entry point (the
// faceplates, `vigil run --commands`, the Sparkplug DCMD of a viewing
// station, the Modbus and OPC UA servers of `vigil sim`, display buttons)
// calls Write, which does, in this order:
//
//  1. authorize: who may write the tag (role, areas) and, for a critical
//     tag, has signed it;
//  2. check: the tag exists and is writable, the text is a value of its
//     type, the value is finite and within the write limits and the type's
//     range;
//  3. write the device and read it back (the engine);
//  4. audit: one record of the outcome, done or refused, with the value
//     before, the value asked, the read-back and the reason.
//
// A refusal at 1 or 2 reaches no device, and is recorded like a write.
type WritePath struct {
	byName  datasource.TagIndex // writes are rare: 0.4 MB at 100,000 tags, where a map took 3
	table   Source
	engine  Writer
	auditor *Auditor
}

// NewWritePath returns the write path of tags (the project's, index ==
// TagID) through engine, reading old values from table and recording in
// auditor; a nil auditor refuses every write (ErrNoAudit).
func NewWritePath(tags []*datasource.Tag, table Source, engine Writer, auditor *Auditor) *WritePath {
	return &WritePath{byName: datasource.NewTagIndex(tags), table: table, engine: engine, auditor: auditor}
}

// Audited reports whether writes can be made: there is an audit trail.
func (p *WritePath) Audited() bool { return p != nil && p.auditor != nil }

// Write runs req for who through the write path. The result holds the
// value before, the value asked and the read-back. The error is the
// refusal or the engine's failure, meant to be shown verbatim; an audit
// failure is joined to it (and returned alone when the write succeeded),
// since an unaudited write must not look like a clean one.
func (p *WritePath) Write(ctx context.Context, who Who, req Request) (poll.WriteResult, error) {
	if !p.Audited() {
		return poll.WriteResult{Requested: req.Value}, ErrNoAudit
	}
	user, tag, res := p.begin(who, req)
	if tag == nil {
		return p.record(user, nil, req, res, &poll.NotWritableError{Name: req.Tag})
	}
	// 1. authorize
	if who == nil {
		return p.record(user, tag, req, res, fmt.Errorf("%s: %w", tag.Name, ErrNotLoggedIn))
	}
	if err := who.AuthorizeWrite(tag, req.Signature); err != nil {
		return p.record(user, tag, req, res, err)
	}
	// 2. check
	if !tag.Writable || tag.System {
		return p.record(user, tag, req, res, &poll.NotWritableError{ID: tag.ID, Tag: tag})
	}
	v := req.Value
	if v.IsNone() {
		var err error
		if v, err = poll.ParseText(tag, req.Text); err != nil {
			return p.record(user, tag, req, res, err)
		}
	}
	res.Requested = v
	if err := poll.CheckValue(tag, v); err != nil {
		return p.record(user, tag, req, res, err)
	}
	// 3. write and read back
	out, err := p.engine.Write(ctx, poll.WriteRequest{Tag: tag.ID, Value: v, User: user, Reason: req.Reason})
	out.Tag, out.Requested = tag.ID, v
	if out.Old.Time.IsZero() && out.Old.Value.IsNone() {
		out.Old = res.Old
	}
	// 4. audit
	return p.record(user, tag, req, out, err)
}

// Refuse records req as refused by its entry point for reason err, before
// the write path could read it (a command line over the console's limit),
// with the tag's value before when the tag is known; it returns err, joined
// with an audit failure if any. Nothing is written.
func (p *WritePath) Refuse(who Who, req Request, err error) (poll.WriteResult, error) {
	if !p.Audited() {
		return poll.WriteResult{Requested: req.Value}, err
	}
	user, tag, res := p.begin(who, req)
	return p.record(user, tag, req, res, err)
}

// begin names who for the record and finds req's tag (nil when none has
// its name) and its value before.
func (p *WritePath) begin(who Who, req Request) (string, *datasource.Tag, poll.WriteResult) {
	user := nobody
	if who != nil {
		user = who.User()
	}
	res := poll.WriteResult{Requested: req.Value}
	tag, _ := p.byName.Lookup(req.Tag)
	if tag != nil {
		res.Tag, res.Old = tag.ID, p.table.Get(tag.ID)
	}
	return user, tag, res
}

// record writes the audit record of a write and returns its outcome.
func (p *WritePath) record(user string, tag *datasource.Tag, req Request, res poll.WriteResult, err error) (poll.WriteResult, error) {
	asked := req.Text
	if !res.Requested.IsNone() {
		asked = res.Requested.String()
	}
	name := req.Tag
	if tag != nil {
		name = tag.Name
	}
	if aerr := p.auditor.write(user, name, res, asked, req.Via, req.Reason, err); aerr != nil {
		return res, joinAudit(err, aerr)
	}
	return res, err
}
