package modbus

import (
	"fmt"
	"sync"
	"time"

	"github.com/goburrow/modbus"
)

// transport is one physical connection: goburrow's TCP or serial RTU
// handler, or our RTU-over-TCP transporter.
type transport interface {
	Send(adu []byte) ([]byte, error)
	Connect() error
	Close() error
	setTimeout(time.Duration)
}

type tcpTransport struct{ *modbus.TCPClientHandler }

func (t tcpTransport) setTimeout(d time.Duration) { t.Timeout = d }

type serialTransport struct{ *modbus.RTUClientHandler }

// setTimeout sets the serial read timeout; goburrow/serial applies it when
// the port is opened, so on a shared port the first device's timeout holds.
func (t serialTransport) setTimeout(d time.Duration) { t.Timeout = d }

// link is a connection shared by every device with the same address (one
// gateway, several unit IDs). Requests on it are serialized.
type link struct {
	key    string
	scheme string
	serial string // serial settings ("19200 8E1"), to refuse conflicting devices

	mu sync.Mutex // serializes requests; guards tr and its settings
	tr transport

	refs int // guarded by linkPool.mu
}

// send performs one request/response exchange with the given timeout.
func (l *link) send(timeout time.Duration, adu []byte) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tr.setTimeout(timeout)
	return l.tr.Send(adu)
}

func (l *link) connect(timeout time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tr.setTimeout(timeout)
	return l.tr.Connect()
}

// drop closes the socket after an error: goburrow v0.1.0 would otherwise
// keep it, and a late reply would desynchronize every later request. The
// next request (of any unit on the link) dials again.
func (l *link) drop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.tr.Close() // the socket is being discarded after a failure; its close error adds nothing
}

// packager returns the framing for one unit ID on this link.
func (l *link) packager(unit byte) modbus.Packager {
	if l.scheme == SchemeTCP {
		h := modbus.NewTCPClientHandler("")
		h.SlaveId = unit
		return h
	}
	h := modbus.NewRTUClientHandler("")
	h.SlaveId = unit
	return h
}

// linkPool shares links between devices by address, counting references.
// One pool is made per NewFactory, so the devices of one engine share a
// gateway's socket or a serial port, and nothing else does: there is no
// process-wide pool that a second engine, a test or a tool could reach
// into behind the engine's back.
type linkPool struct {
	mu    sync.Mutex // guards links and every link's refs
	links map[string]*link
}

func newLinkPool() *linkPool { return &linkPool{links: map[string]*link{}} }

func serialSettings(m Settings) string {
	return fmt.Sprintf("%d %d%s%d", m.Baud, m.DataBits, m.Parity, m.StopBits)
}

func (p *linkPool) acquire(ep endpoint, m Settings) (*link, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := ep.key()
	if l, ok := p.links[key]; ok {
		if ep.scheme == SchemeRTU && l.serial != serialSettings(m) {
			return nil, fmt.Errorf("serial port %s is already open at %s by another device; devices on one port must use the same settings", ep.target, l.serial)
		}
		l.refs++
		return l, nil
	}
	l := &link{key: key, scheme: ep.scheme, refs: 1}
	switch ep.scheme {
	case SchemeTCP:
		h := modbus.NewTCPClientHandler(ep.target)
		h.IdleTimeout = 0 // no idle timer goroutine: the engine owns the connection's life
		l.tr = tcpTransport{h}
	case SchemeRTUOverTCP:
		l.tr = &rtuOverTCP{address: ep.target}
	default:
		h := modbus.NewRTUClientHandler(ep.target)
		h.IdleTimeout = 0
		h.BaudRate, h.DataBits, h.Parity, h.StopBits = m.Baud, m.DataBits, m.Parity, m.StopBits
		l.serial = serialSettings(m)
		l.tr = serialTransport{h}
	}
	p.links[key] = l
	return l, nil
}

func (p *linkPool) release(l *link) {
	p.mu.Lock()
	l.refs--
	last := l.refs == 0
	if last {
		delete(p.links, l.key)
	}
	p.mu.Unlock()
	if last {
		l.drop()
	}
}

// unitTransporter is one device's view of a shared link: goburrow's client
// calls Send, which takes the link for one exchange with this device's
// request timeout.
type unitTransporter struct {
	l       *link
	timeout time.Duration // set by the driver before each request
}

func (u *unitTransporter) Send(adu []byte) ([]byte, error) { return u.l.send(u.timeout, adu) }
