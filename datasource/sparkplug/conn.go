package sparkplug

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
)

// DefaultKeepAlive is the MQTT keep-alive of a Broker that does not set one:
// a dead broker or link is noticed within 1.5 times it.
const DefaultKeepAlive = 10 * time.Second

// Broker is how a station reaches an MQTT broker (or a cluster behind one
// address).
type Broker struct {
	// URL is tcp://host:1883 (also mqtt://), or ssl://host:8883 (also
	// tls://, mqtts://) for TLS. The port defaults to 1883 or 8883.
	URL      string
	Username string
	Password string // never logged
	// TLS configures ssl:// connections; nil uses the system roots and
	// the URL's host as the server name.
	TLS       *tls.Config
	ClientID  string        // unique per broker; the broker drops an older session of the same id
	KeepAlive time.Duration // 0: DefaultKeepAlive
}

// Will is the message the broker publishes when the connection dies without
// a clean disconnect: an edge node's NDEATH.
type Will struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
}

// Message is a message received on a subscription.
type Message struct {
	Topic   string
	Payload []byte
}

// Conn is one MQTT v5 session with a broker. Its methods are safe for
// concurrent use. When the connection fails, Done is closed and Err says why;
// a new connection takes a new Dial.
type Conn struct {
	c    *paho.Client
	addr string

	mu  sync.Mutex // guards err
	err error
}

// Dial connects to the broker with a clean session, leaving will (if not
// nil) with it. Every message received on a later Subscribe is handed to
// onMessage, on the connection's own goroutine, one at a time and in order:
// it must not block for long, nor call the Conn's methods that wait for the
// broker (Subscribe, a QoS 1 Publish).
func Dial(ctx context.Context, b Broker, will *Will, onMessage func(Message)) (*Conn, error) {
	network, addr, useTLS, err := b.address()
	if err != nil {
		return nil, err
	}
	var raw net.Conn
	if useTLS {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if b.TLS != nil {
			cfg = b.TLS.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		d := tls.Dialer{Config: cfg}
		raw, err = d.DialContext(ctx, network, addr)
	} else {
		var d net.Dialer
		raw, err = d.DialContext(ctx, network, addr)
	}
	if err != nil {
		return nil, fmt.Errorf("broker %s: %w", b.URL, err)
	}
	c := &Conn{addr: b.URL}
	cfg := paho.ClientConfig{
		ClientID: b.ClientID,
		Conn:     packets.NewThreadSafeConn(raw),
		OnClientError: func(err error) {
			c.setErr(err)
		},
		OnServerDisconnect: func(d *paho.Disconnect) {
			c.setErr(fmt.Errorf("the broker disconnected (reason code 0x%02x)", d.ReasonCode))
		},
	}
	if onMessage != nil {
		cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){
			func(pr paho.PublishReceived) (bool, error) {
				onMessage(Message{Topic: pr.Packet.Topic, Payload: pr.Packet.Payload})
				return true, nil
			},
		}
	}
	c.c = paho.NewClient(cfg)
	keep := b.KeepAlive
	if keep <= 0 {
		keep = DefaultKeepAlive
	}
	cp := &paho.Connect{
		ClientID:   b.ClientID,
		KeepAlive:  uint16(min(keep/time.Second, 65535)),
		CleanStart: true,
	}
	if b.Username != "" {
		cp.Username, cp.UsernameFlag = b.Username, true
	}
	if b.Password != "" {
		cp.Password, cp.PasswordFlag = []byte(b.Password), true
	}
	if will != nil {
		cp.WillMessage = &paho.WillMessage{Topic: will.Topic, Payload: will.Payload, QoS: will.QoS, Retain: will.Retain}
	}
	if _, err := c.c.Connect(ctx, cp); err != nil {
		return nil, fmt.Errorf("broker %s: connect: %w", b.URL, err)
	}
	return c, nil
}

// address returns the network address of the broker URL and whether it
// needs TLS.
func (b Broker) address() (network, addr string, useTLS bool, err error) {
	u, err := url.Parse(b.URL)
	if err != nil {
		return "", "", false, fmt.Errorf("broker %q: %w", b.URL, err)
	}
	port := "1883"
	switch u.Scheme {
	case "tcp", "mqtt":
	case "ssl", "tls", "mqtts":
		useTLS, port = true, "8883"
	default:
		return "", "", false, fmt.Errorf("broker %q: the scheme must be tcp://, mqtt://, ssl://, tls:// or mqtts://", b.URL)
	}
	if u.Hostname() == "" {
		return "", "", false, fmt.Errorf("broker %q: no host", b.URL)
	}
	if u.Port() != "" {
		port = u.Port()
	}
	return "tcp", net.JoinHostPort(u.Hostname(), port), useTLS, nil
}

// CheckURL checks a broker URL without connecting.
func CheckURL(raw string) error {
	_, _, _, err := Broker{URL: raw}.address()
	return err
}

func (c *Conn) setErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

// Err returns why the connection ended (nil while it is up or after Close).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		select {
		case <-c.c.Done():
			return fmt.Errorf("broker %s: connection lost", c.addr)
		default:
		}
		return nil
	}
	return fmt.Errorf("broker %s: %w", c.addr, c.err)
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.c.Done() }

// Subscribe subscribes to filters with QoS qos and waits for the broker's
// acknowledgement.
func (c *Conn) Subscribe(ctx context.Context, qos byte, filters ...string) error {
	s := &paho.Subscribe{}
	for _, f := range filters {
		s.Subscriptions = append(s.Subscriptions, paho.SubscribeOptions{Topic: f, QoS: qos})
	}
	ack, err := c.c.Subscribe(ctx, s)
	if err != nil {
		return fmt.Errorf("broker %s: subscribe %v: %w", c.addr, filters, err)
	}
	for i, r := range ack.Reasons {
		if r >= 0x80 && i < len(filters) {
			return fmt.Errorf("broker %s: subscribe %s: refused (reason code 0x%02x)", c.addr, filters[i], r)
		}
	}
	return nil
}

// Publish publishes payload on topic. A QoS 0 publish returns once the
// message is written to the connection.
func (c *Conn) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	_, err := c.c.Publish(ctx, &paho.Publish{Topic: topic, Payload: payload, QoS: qos, Retain: retain})
	if err != nil {
		return fmt.Errorf("broker %s: publish %s: %w", c.addr, topic, err)
	}
	return nil
}

// PublishNoWait publishes payload on topic with QoS 0: it only writes to
// the connection, so a message handler may call it.
func (c *Conn) PublishNoWait(topic string, payload []byte) error {
	return c.Publish(context.Background(), topic, payload, 0, false)
}

// Close disconnects cleanly (the broker drops the will) and waits for the
// connection's goroutines.
func (c *Conn) Close() error {
	err := c.c.Disconnect(&paho.Disconnect{ReasonCode: 0})
	<-c.c.Done()
	if errors.Is(err, net.ErrClosed) {
		err = nil // already gone: nothing left to close
	}
	return err
}
