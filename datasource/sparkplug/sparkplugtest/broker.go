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

	mu  sync.Mutex // guards srv
	srv *mochi.Server
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
		_ = b.srv.Close() // closing an in-process test broker: nothing to report
		b.srv = nil
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
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "tcp", Address: b.addr, TLSConfig: b.opts.TLS})); err != nil {
		return fmt.Errorf("broker %s: %w", b.addr, err)
	}
	if err := srv.Serve(); err != nil {
		return fmt.Errorf("broker %s: %w", b.addr, err)
	}
	b.srv = srv
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
