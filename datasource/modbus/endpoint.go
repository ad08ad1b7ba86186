package modbus

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// The transports, by the scheme of a device's address.
const (
	SchemeTCP        = "tcp"        // Modbus TCP (MBAP framing)
	SchemeRTU        = "rtu"        // RTU on a serial port
	SchemeRTUOverTCP = "rtuovertcp" // RTU frames through a TCP serial gateway
)

// endpoint is a parsed device address.
type endpoint struct {
	scheme string
	target string // host:port, or the serial device path
}

// key identifies the connection a device uses: devices with equal keys
// share it.
func (e endpoint) key() string { return e.scheme + "://" + e.target }

// parseEndpoint parses tcp://host[:502], rtu:///dev/ttyUSB0 (or rtu://COM3)
// and rtuovertcp://host:port.
func parseEndpoint(s string) (endpoint, error) {
	const help = "use tcp://host:502, rtu:///dev/ttyUSB0 or rtuovertcp://host:4001"
	u, err := url.Parse(s)
	if err != nil {
		return endpoint{}, fmt.Errorf("%q: %v; %s", s, err, help)
	}
	switch u.Scheme {
	case SchemeTCP, SchemeRTUOverTCP:
		if u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return endpoint{}, fmt.Errorf("%q: want %s://host:port; %s", s, u.Scheme, help)
		}
		host, port := u.Hostname(), u.Port()
		if port == "" {
			if u.Scheme == SchemeRTUOverTCP {
				return endpoint{}, fmt.Errorf("%q: a serial gateway needs a port (rtuovertcp://host:4001)", s)
			}
			port = "502"
		}
		return endpoint{scheme: u.Scheme, target: net.JoinHostPort(host, port)}, nil
	case SchemeRTU:
		path := u.Path
		if u.Host != "" { // rtu://COM3
			path = u.Host + u.Path
		}
		if path == "" || strings.ContainsAny(path, "?#") {
			return endpoint{}, fmt.Errorf("%q: want rtu:///dev/ttyUSB0; %s", s, help)
		}
		return endpoint{scheme: SchemeRTU, target: path}, nil
	case "":
		return endpoint{}, fmt.Errorf("%q: no scheme; %s", s, help)
	}
	return endpoint{}, fmt.Errorf("%q: unknown scheme %q; %s", s, u.Scheme, help)
}
