// Package opcuatest runs an in-process OPC UA server (gopcua's server package)
// on a free loopback port for the tests and benchmarks of the OPC UA driver
// and the commissioning CLI. It serves static variables of every scalar
// built-in type, an array, variables with Bad and Uncertain status, changing
// variables, writable setpoints, and one variable from gopcua's own node
// namespace with its odd DataType. Stop and Start restart it on the same
// port, KillSubscriptions leaves clients with dead subscriptions, for fault
// tests.
//
// The server is a test fixture, not a reference peer: it checks no user
// password and accepts any client certificate.
package opcuatest

import (
	"context"
	"crypto/rsa"
	"encoding/binary"
	"fmt"
	"net"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/ua"
	"github.com/gopcua/opcua/uapolicy"
	"github.com/gopcua/opcua/uasc"

	"github.com/vigil-hmi/vigil/datasource/opcua/internal/uacert"
	"github.com/vigil-hmi/vigil/datasource/opcua/internal/uaproxy"
	"github.com/vigil-hmi/vigil/datasource/opcua/internal/uaspace"
)

// NS is the namespace index of the test variables (ns=2;s=<name>).
const NS = 2

// QuirkNS is the namespace index of gopcua's own node namespace, which holds
// the variable "Quirky" (ns=1;s=Quirky) whose DataType reads as VariableNode.
const QuirkNS = 1

// AppURI is the application URI in the server's certificate.
const AppURI = "urn:vigil:opcuatest"

// T0 is the source timestamp of the static variables.
var T0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Options configure the test server.
type Options struct {
	// Secure also offers Basic256Sha256, Aes128_Sha256_RsaOaep and
	// Aes256_Sha256_RsaPss with Sign and SignAndEncrypt; None is always offered.
	Secure bool
	// OnlySecure drops the None endpoint (for "server refuses policy" tests).
	OnlySecure bool
	// ChangeEvery is the period of the changing variables; 0 means 50ms,
	// negative means they never change on their own.
	ChangeEvery time.Duration
	// Extra adds this many Double variables "V0000".. with value = index,
	// for benchmarks with many monitored items.
	Extra int
	// Users, when not nil, makes the server check user name logins: a
	// password other than Users[name] is refused with BadUserAccessDenied.
	// (gopcua's server itself accepts any password.) User name tokens are
	// only offered encrypted, so Users needs Secure or OnlySecure.
	Users map[string]string
}

// variable is one served variable: its value lives here so that it
// survives a Stop/Start.
type variable struct {
	name     string
	typ      ua.TypeID
	array    bool
	writable bool
	dv       *ua.DataValue
}

// Server is a running test server. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	port int

	mu      sync.Mutex // guards the fields below
	vars    map[string]*variable
	order   []string
	srv     *server.Server
	space   *uaspace.Space
	cancel  context.CancelFunc
	front   *uaproxy.Proxy
	inner   int // the gopcua server's own port
	running bool
	closed  bool
	wg      sync.WaitGroup
}

var (
	certOnce sync.Once
	certDER  []byte
	certKey  *rsa.PrivateKey
	certErr  error
)

// Certificate returns the server certificate (DER) shared by every test
// server of the process; RSA key generation is slow, so it is made once.
func Certificate() ([]byte, *rsa.PrivateKey, error) {
	certOnce.Do(func() {
		certDER, certKey, certErr = uacert.Generate(AppURI, "Vigil OPC UA test server",
			[]string{"localhost", "127.0.0.1"}, time.Now().Add(-time.Hour), 10*365*24*time.Hour)
	})
	return certDER, certKey, certErr
}

// Start starts a test server on a free port and stops it when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("opcuatest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// New starts a test server on a free port. Close it when done.
func New(opts Options) (*Server, error) {
	if opts.ChangeEvery == 0 {
		opts.ChangeEvery = 50 * time.Millisecond
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, port: port, vars: map[string]*variable{}}
	s.defineVars()
	if err := s.boot(); err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) def(name string, v any, writable bool) {
	dv := &ua.DataValue{EncodingMask: ua.DataValueValue | ua.DataValueSourceTimestamp, Value: ua.MustVariant(v), SourceTimestamp: T0}
	s.vars[name] = &variable{name: name, typ: dv.Value.Type(), array: dv.Value.ArrayLength() > 0, writable: writable, dv: dv}
	s.order = append(s.order, name)
}

func (s *Server) defineVars() {
	s.def("Bool", true, false)
	s.def("SByte", int8(-8), false)
	s.def("Byte", uint8(200), false)
	s.def("Int16", int16(-1600), false)
	s.def("UInt16", uint16(1600), false)
	s.def("Int32", int32(-320000), false)
	s.def("UInt32", uint32(320000), false)
	s.def("Int64", int64(-6400000000), false)
	s.def("UInt64", uint64(6400000000), false)
	s.def("Float", float32(0.1), false)
	s.def("Double", 2.25, false)
	s.def("String", "hello", false)
	s.def("DateTime", T0, false)
	s.def("ByteString", []byte{1, 2, 255}, false)
	s.def("Int32Array", []int32{1, 2, 3}, false)
	s.def("ReadOnly", 9.5, false)
	s.def("BadSensor", 1.0, false)
	s.vars["BadSensor"].dv.EncodingMask |= ua.DataValueStatusCode
	s.vars["BadSensor"].dv.Status = ua.StatusBadSensorFailure
	s.def("LastUsable", 7.0, false)
	s.vars["LastUsable"].dv.EncodingMask |= ua.DataValueStatusCode
	s.vars["LastUsable"].dv.Status = ua.StatusUncertainLastUsableValue
	s.def("Counter", uint32(0), false)
	s.def("Ramp", 0.0, false)
	s.def("SetDouble", 0.0, true)
	s.def("SetFloat", float32(0), true)
	s.def("SetInt16", int16(0), true)
	s.def("SetUInt16", uint16(0), true)
	s.def("SetInt32", int32(0), true)
	s.def("SetBool", false, true)
	s.def("SetString", "", true)
	for i := 0; i < s.opts.Extra; i++ {
		s.def(ExtraName(i), float64(i), true)
	}
}

// freePort returns a loopback port nobody listens on (the gopcua server
// cannot report the port it got from ":0").
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ExtraName is the name of the i-th extra variable.
func ExtraName(i int) string { return fmt.Sprintf("V%04d", i) }

// Endpoint returns the server's URL, opc.tcp://127.0.0.1:PORT.
func (s *Server) Endpoint() string { return "opc.tcp://127.0.0.1:" + strconv.Itoa(s.port) }

// NodeID returns the NodeID text of a test variable: "ns=2;s=<name>".
func NodeID(name string) string { return fmt.Sprintf("ns=%d;s=%s", NS, name) }

// Names returns the names of the test variables in definition order.
func (s *Server) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// boot builds and starts the gopcua server on an inner port. It runs until
// Close; Stop and Start only take its public port down and up, because
// building a gopcua server imports the whole standard node set (seconds
// under -race).
func (s *Server) boot() error {
	der, key, err := Certificate()
	if err != nil {
		return err
	}
	inner, err := freePort()
	if err != nil {
		return err
	}
	opts := []server.Option{
		server.EndPoint("127.0.0.1", inner),  // where it listens, behind the proxy
		server.EndPoint("127.0.0.1", s.port), // what it advertises
		server.Certificate(der),
		server.PrivateKey(key),
		server.EnableAuthMode(ua.UserTokenTypeAnonymous),
		server.EnableAuthMode(ua.UserTokenTypeUserName),
		server.ServerName("Vigil OPC UA test server"),
	}
	if !s.opts.OnlySecure {
		opts = append(opts, server.EnableSecurity("None", ua.MessageSecurityModeNone))
	}
	if s.opts.Secure || s.opts.OnlySecure {
		for _, p := range []string{"Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"} {
			opts = append(opts,
				server.EnableSecurity(p, ua.MessageSecurityModeSign),
				server.EnableSecurity(p, ua.MessageSecurityModeSignAndEncrypt))
		}
	}
	srv := server.New(opts...)
	quirk := server.NewNodeNameSpace(srv, "urn:vigil:opcuatest:gopcua")
	q := quirk.AddNewVariableStringNode("Quirky", 1.5)
	quirk.Objects().AddRef(q, server.RefTypeIDHasComponent, true)
	if ns0, err := srv.Namespace(0); err == nil {
		ns0.Objects().AddRef(quirk.Objects(), server.RefTypeIDOrganizes, true)
	}
	space := uaspace.New(srv, "urn:vigil:opcuatest", "Test")
	for _, name := range s.order {
		v := s.vars[name]
		uv := uaspace.Var{Name: name, Type: v.typ, Array: v.array, Get: s.getter(name)}
		if v.writable {
			uv.Set = s.setter(name)
		}
		space.Add(uv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Start(ctx); err != nil {
		cancel()
		return fmt.Errorf("opcuatest: start server on port %d: %w", inner, err)
	}
	if s.opts.Users != nil {
		// Start made the handlers; no client can reach the server before
		// Start opens the public port.
		if err := checkPasswords(srv, key, s.opts.Users); err != nil {
			cancel()
			return err
		}
	}
	s.mu.Lock()
	s.srv, s.space, s.cancel, s.inner = srv, space, cancel, inner
	s.mu.Unlock()
	if s.opts.ChangeEvery > 0 {
		s.wg.Add(1)
		go s.change(ctx, space)
	}
	return nil
}

// Start opens the public port again after Stop (New starts the server).
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running || s.closed {
		return nil
	}
	front, err := uaproxy.Listen("127.0.0.1:"+strconv.Itoa(s.port), "127.0.0.1:"+strconv.Itoa(s.inner))
	if err != nil {
		return fmt.Errorf("opcuatest: listen on port %d: %w", s.port, err)
	}
	s.front, s.running = front, true
	return nil
}

func (s *Server) getter(name string) func() *ua.DataValue {
	return func() *ua.DataValue {
		s.mu.Lock()
		defer s.mu.Unlock()
		dv := *s.vars[name].dv
		return &dv
	}
}

func (s *Server) setter(name string) func(v *ua.Variant) ua.StatusCode {
	return func(v *ua.Variant) ua.StatusCode {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.vars[name].dv = &ua.DataValue{EncodingMask: ua.DataValueValue | ua.DataValueSourceTimestamp, Value: v, SourceTimestamp: time.Now()}
		return ua.StatusOK
	}
}

// change advances Counter and Ramp every ChangeEvery.
func (s *Server) change(ctx context.Context, space *uaspace.Space) {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.ChangeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.mu.Lock()
			c := s.vars["Counter"].dv.Value.Value().(uint32) + 1
			s.vars["Counter"].dv = &ua.DataValue{EncodingMask: ua.DataValueValue | ua.DataValueSourceTimestamp, Value: ua.MustVariant(c), SourceTimestamp: now}
			s.vars["Ramp"].dv = &ua.DataValue{EncodingMask: ua.DataValueValue | ua.DataValueSourceTimestamp, Value: ua.MustVariant(float64(c) / 10), SourceTimestamp: now}
			s.mu.Unlock()
			space.Changed(ua.NewStringNodeID(NS, "Counter"))
			space.Changed(ua.NewStringNodeID(NS, "Ramp"))
		}
	}
}

// Value returns the current value of a test variable (nil for an unknown name).
func (s *Server) Value(name string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vars[name]
	if v == nil {
		return nil
	}
	return v.dv.Value.Value()
}

// Set sets a test variable as if the process changed it (source time now)
// and notifies subscribers. v must have the variable's type.
func (s *Server) Set(name string, v any) {
	s.SetAt(name, v, time.Now())
}

// SetAt is Set with a given source time.
func (s *Server) SetAt(name string, v any, at time.Time) {
	s.mu.Lock()
	vr := s.vars[name]
	if vr == nil {
		s.mu.Unlock()
		panic("opcuatest: unknown variable " + name) // a bug in the calling test
	}
	vr.dv = &ua.DataValue{EncodingMask: ua.DataValueValue | ua.DataValueSourceTimestamp, Value: ua.MustVariant(v), SourceTimestamp: at}
	space := s.space
	s.mu.Unlock()
	if space != nil {
		space.Changed(ua.NewStringNodeID(NS, name))
	}
}

// KillSubscriptions deletes every subscription on the server without telling
// the clients: their sessions and channels stay up but no data or keep-alive
// arrives any more, the failure a client watchdog must catch.
func (s *Server) KillSubscriptions() int {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	return killSubscriptions(srv)
}

func killSubscriptions(srv *server.Server) int {
	if srv == nil || srv.SubscriptionService == nil {
		return 0
	}
	srv.SubscriptionService.Mu.Lock()
	var ids []uint32
	for id := range srv.SubscriptionService.Subs {
		ids = append(ids, id)
	}
	srv.SubscriptionService.Mu.Unlock()
	for _, id := range ids {
		srv.SubscriptionService.DeleteSubscription(id)
	}
	return len(ids)
}

// Stop takes the server down as a restart does: the port refuses
// connections, every connection is cut and every subscription is gone.
// Start brings it back on the same port with the same values.
func (s *Server) Stop() {
	s.mu.Lock()
	front, srv, running := s.front, s.srv, s.running
	s.running = false
	s.mu.Unlock()
	if running {
		front.Close()
	}
	killSubscriptions(srv)
}

// Drop cuts every client connection, as a network failure does; the server
// keeps running and its sessions stay until they time out. It returns the
// number of connections cut.
func (s *Server) Drop() int {
	s.mu.Lock()
	front, running := s.front, s.running
	s.mu.Unlock()
	if !running {
		return 0
	}
	return front.Drop()
}

// Close stops the server for good and waits for its goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	srv, cancel := s.srv, s.cancel
	s.mu.Unlock()
	s.Stop()
	if srv != nil {
		srv.Close()
		killSubscriptions(srv) // their goroutines outlive Close otherwise
		cancel()
	}
	s.wg.Wait()
}

// checkPasswords puts a password check in front of the ActivateSession
// handler of srv, which Start has made. gopcua's server has no hook for it
// and RegisterHandler cannot replace a handler, so its handler table is
// reached by reflection: this is a test fixture pinned to gopcua v0.9.0,
// and it fails loudly here if the table moves.
func checkPasswords(srv *server.Server, key *rsa.PrivateKey, users map[string]string) error {
	f := reflect.ValueOf(srv).Elem().FieldByName("handlers")
	if !f.IsValid() || f.Kind() != reflect.Map {
		return fmt.Errorf("opcuatest: gopcua's server has no handler table to check passwords in")
	}
	table := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
	k := reflect.ValueOf(uint16(id.ActivateSessionRequest_Encoding_DefaultBinary))
	hv := table.MapIndex(k)
	if !hv.IsValid() {
		return fmt.Errorf("opcuatest: gopcua's server has no ActivateSession handler")
	}
	next, ok := hv.Interface().(server.Handler)
	if !ok {
		return fmt.Errorf("opcuatest: ActivateSession handler of type %s", hv.Type())
	}
	check := server.Handler(func(sc *uasc.SecureChannel, r ua.Request, reqID uint32) (ua.Response, error) {
		if req, ok := r.(*ua.ActivateSessionRequest); ok && req.UserIdentityToken != nil {
			if tok, ok := req.UserIdentityToken.Value.(*ua.UserNameIdentityToken); ok {
				want, known := users[tok.UserName]
				if !known || password(key, tok) != want {
					return nil, ua.StatusBadUserAccessDenied
				}
			}
		}
		return next(sc, r, reqID)
	})
	table.SetMapIndex(k, reflect.ValueOf(check))
	return nil
}

// tokenPolicies maps the user token policy IDs gopcua's server offers to
// the security policy that encrypts their password.
var tokenPolicies = map[string]string{
	"username_basic256sha256":        ua.SecurityPolicyURIBasic256Sha256,
	"username_aes128_sha256_rsaoaep": ua.SecurityPolicyURIAes128Sha256RsaOaep,
	"username_aes256_sha256_rsapss":  ua.SecurityPolicyURIAes256Sha256RsaPss,
}

// password decrypts a user name token's password: a little-endian length,
// the password and the server nonce (32 bytes), encrypted with the server's
// key. It returns "" (no password matches it) for anything else.
func password(key *rsa.PrivateKey, tok *ua.UserNameIdentityToken) string {
	uri, ok := tokenPolicies[tok.PolicyID]
	if !ok {
		return ""
	}
	enc, err := uapolicy.Asymmetric(uri, key, nil)
	if err != nil {
		return ""
	}
	secret, err := enc.Decrypt(tok.Password)
	const nonceLen = 32
	if err != nil || len(secret) < 4 {
		return ""
	}
	n := int(binary.LittleEndian.Uint32(secret))
	if n < nonceLen || 4+n > len(secret) {
		return ""
	}
	return string(secret[4 : 4+n-nonceLen])
}
