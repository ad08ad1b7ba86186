package access

import (
	"errors"
	"fmt"

	"github.com/vigil-hmi/vigil/datasource"
)

// ErrSignatureRemote refuses a write to a critical tag that does not come
// from this station's own screen or console: its signature is the
// operator's password, which must not travel over a broker or a plant
// protocol.
var ErrSignatureRemote = errors.New("a critical tag needs the operator's signature at this station; it is not written from elsewhere")

// Remote is someone who asks for a write without a session here: a user
// logged in at another station, named in a Sparkplug command that the
// broker authenticated (docs/control-room.md), or a Modbus or OPC UA client
// of `vigil sim`. The user's role and areas decide, looked up in Dir; in
// single-operator mode anyone may write what the operator may. A critical
// tag is always refused (ErrSignatureRemote). Remote satisfies the write
// path's idea of who writes (audit.Who), as *Session does.
type Remote struct {
	Dir     *Directory
	Name    string // the user as the other side names them; "" when it names none
	Station string // where the request comes from, for messages: "station viewer1", "Modbus client"
}

// User returns the name the audit trail records.
func (r Remote) User() string {
	if r.Name == "" {
		return "(unnamed remote user)"
	}
	return r.Name
}

// AuthorizeWrite returns nil when the remote user may write tag here. The
// signature is ignored: a critical tag is refused whatever it says.
func (r Remote) AuthorizeWrite(tag *datasource.Tag, _ string) error {
	if tag == nil {
		return errors.New("no tag to write")
	}
	if tag.Critical {
		return fmt.Errorf("%s (from %s): %w", tag.Name, r.Station, ErrSignatureRemote)
	}
	if r.Dir == nil || r.Dir.SingleOperator() {
		return nil
	}
	if r.Name == "" {
		return fmt.Errorf("%s: the write from %s names no user, and this station has users; nothing was written: %w", tag.Name, r.Station, ErrPermission)
	}
	u, ok := r.Dir.Lookup(r.Name)
	if !ok {
		return fmt.Errorf("%s: user %q (from %s) is not a user of this station; nothing was written: %w", tag.Name, r.Name, r.Station, ErrPermission)
	}
	return u.Can(PermWrite, tag)
}
