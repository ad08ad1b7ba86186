// Package sparkplugtest runs an in-process MQTT broker
// (github.com/mochi-mqtt/server/v2) for the tests of the sparkplug package
// and the mqtt driver: a real peer on a loopback port that a test can stop
// and start again on the same address to play a broker outage.
package sparkplugtest

import (
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Options make a broker that wants TLS or a username and password.
type Options struct {
	TLS   *tls.Config       // nil: plain TCP
	Users map[string]string // username -> password; nil: anyone may connect
}

// Broker is an in-process MQTT broker on 127.0.0.1.
type Broker struct {
	addr string
	opts Options

	mu  sync.Mutex // guards srv and lis
	srv *mochi.Server
	lis *tracked
}

// tracked is mochi's TCP listener with the connections it hands to the
// server counted, so that Stop can end them all before it closes the
// server. mochi's Server.Close races (under the race detector) with a
// connection still being established, one whose client gave up before the
// CONNECT (seen once, after a dial of plain TCP to the TLS port): Close
// does not wait for those.
type tracked struct {
	*listeners.TCP
	mu      sync.Mutex // guards conns and closing
	conns   map[net.Conn]struct{}
	closing bool
	wg      sync.WaitGroup // one per call of establish under way
}

// Serve serves as mochi's TCP listener does, counting each connection
// while the server has it.
func (l *tracked) Serve(establish listeners.EstablishFn) {
	l.TCP.Serve(func(id string, c net.Conn) error {
		l.mu.Lock()
		if l.closing {
			l.mu.Unlock()
			return c.Close()
		}
		l.conns[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			delete(l.conns, c)
			l.mu.Unlock()
			l.wg.Done()
		}()
		return establish(id, c)
	})
}

// drain closes every connection the server has from this listener, as a
// broker crash does, refuses new ones and waits until the server has let
// go of each.
func (l *tracked) drain() {
	l.mu.Lock()
	l.closing = true
	for c := range l.conns {
		_ = c.Close() // the server sees it fail, as its client does
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// handover makes a client that connects with the ID of a clean session the
// server still holds wait until that session is gone. mochi v2.7.9 takes
// such a session over while its connection's goroutine may still be ending
// it: that goroutine checks that the session was not taken over, and then
// deletes the client by ID from the server's registry, which by then can be
// the new connection's entry. The new connection is then connected and
// subscribed but gets no message (seen: an edge node reconnecting within
// milliseconds of the NDEATH that ended its session, under load, never
// heard its host come online). A real broker hands over by itself; this
// ends the old session first so the test broker does too.
type handover struct {
	mochi.HookBase
	srv *mochi.Server
}

// ID implements mochi.Hook.
func (h *handover) ID() string { return "handover" }

// Provides implements mochi.Hook.
func (h *handover) Provides(b byte) bool { return b == mochi.OnConnect }

// OnConnect runs before the server looks for a session to take over.
func (h *handover) OnConnect(cl *mochi.Client, _ packets.Packet) error {
	old, ok := h.srv.Clients.Get(cl.ID)
	if !ok || !cleanSession(old) {
		return nil // none, or one mochi hands over (a persistent session it keeps)
	}
	_ = h.srv.DisconnectClient(old, packets.ErrSessionTakenOver) // it may have gone already
	for end := time.Now().Add(Deadline); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if now, ok := h.srv.Clients.Get(cl.ID); !ok || now != old {
			return nil
		}
	}
	return nil // still there: let mochi take it over as it would have
}

// cleanSession reports whether the session of cl ends with its
// connection, as mochi's own test for deleting it says.
func cleanSession(cl *mochi.Client) bool {
	if cl.Properties.ProtocolVersion == 5 {
		return cl.Properties.Props.SessionExpiryInterval == 0
	}
	return cl.Properties.Clean
}

// Start starts a broker on a free loopback port; it is stopped when the test
// ends.
func Start(tb testing.TB) *Broker { return StartWith(tb, Options{}) }

// StartWith is Start with TLS or authentication.
func StartWith(tb testing.TB, opts Options) *Broker {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	b := &Broker{addr: addr, opts: opts}
	if err := b.Restart(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Stop)
	return b
}

// URL is the broker's address as a Broker URL: tcp://127.0.0.1:port, or
// ssl://127.0.0.1:port with TLS.
func (b *Broker) URL() string {
	if b.opts.TLS != nil {
		return "ssl://" + b.addr
	}
	return "tcp://" + b.addr
}

// Addr is host:port.
func (b *Broker) Addr() string { return b.addr }

// Stop closes the broker and every client connection, as a broker crash
// looks to its clients. Stopping a stopped broker does nothing.
func (b *Broker) Stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv != nil {
		b.lis.drain()
		_ = b.srv.Close() // closing an in-process test broker: nothing to report
		b.srv, b.lis = nil, nil
	}
}

// Restart starts the broker again on the same address (after Stop), with
// no sessions and no retained messages.
func (b *Broker) Restart() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv != nil {
		return nil
	}
	srv := mochi.New(&mochi.Options{
		InlineClient: false,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	var err error
	if b.opts.Users == nil {
		err = srv.AddHook(new(auth.AllowHook), nil)
	} else {
		ledger := &auth.Ledger{ACL: auth.ACLRules{{}}} // one rule without filters: every topic
		for u, pw := range b.opts.Users {
			ledger.Auth = append(ledger.Auth, auth.AuthRule{Username: auth.RString(u), Password: auth.RString(pw), Allow: true})
		}
		err = srv.AddHook(new(auth.Hook), &auth.Options{Ledger: ledger})
	}
	if err == nil {
		err = srv.AddHook(&handover{srv: srv}, nil)
	}
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	lis := &tracked{TCP: listeners.NewTCP(listeners.Config{ID: "tcp", Address: b.addr, TLSConfig: b.opts.TLS}), conns: map[net.Conn]struct{}{}}
	if err := srv.AddListener(lis); err != nil {
		return fmt.Errorf("broker %s: %w", b.addr, err)
	}
	if err := srv.Serve(); err != nil {
		return fmt.Errorf("broker %s: %w", b.addr, err)
	}
	b.srv, b.lis = srv, lis
	return nil
}

// Deadline is how long Eventually waits: broker traffic on loopback takes
// milliseconds, a loaded CI machine sometimes seconds.
const Deadline = 10 * time.Second

// Eventually polls cond until it holds, failing the test after Deadline:
// for state that follows a network event.
func Eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	end := time.Now().Add(Deadline)
	for !cond() {
		if time.Now().After(end) {
			tb.Fatalf("%s: not within %s", what, Deadline)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
