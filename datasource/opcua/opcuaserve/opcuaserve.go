// Package opcuaserve serves a set of Vigil tags as an OPC UA server (gopcua's
// server package): one variable per tag, NodeID ns=<namespace>;s=<tag name>,
// in a folder under Objects. Values, quality (as status codes) and source
// times are refreshed from a Source at a fixed rate and pushed to
// subscribers; writes to writable tags go to Source.Write.
//
// It is how `vigil sim --opcua` offers the simulated plant to OPC UA clients
// for commissioning. It sits beside the data flow, not in it: it reads the
// current samples and hands writes to whatever write path the Source has.
package opcuaserve

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/ua"
	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/opcua"
	"github.com/vigil-hmi/vigil/datasource/opcua/internal/uacert"
	"github.com/vigil-hmi/vigil/datasource/opcua/internal/uaproxy"
	"github.com/vigil-hmi/vigil/datasource/opcua/internal/uaspace"
)

// Source is where the served values come from and where writes go.
type Source interface {
	// Get returns the current sample of a tag.
	Get(id datasource.TagID) datasource.Sample
	// Write writes an engineering value to a writable tag.
	Write(ctx context.Context, id datasource.TagID, v datasource.Value) error
}

// StatusCoder is implemented by Source.Write errors that choose the OPC UA
// status code the client sees; other errors answer BadNotWritable.
type StatusCoder interface {
	StatusCode() ua.StatusCode
}

// Options configure a Server.
type Options struct {
	Addr         string        // host:port to listen on; default 127.0.0.1:4840, port 0 picks a free one
	NamespaceURI string        // default "urn:vigil-hmi:vigil:tags"
	Folder       string        // folder under Objects; default "Vigil"
	Rate         time.Duration // refresh from the Source; default 250ms
	WriteTimeout time.Duration // bound on Source.Write; default 5s
	// Certificate (DER) and PrivateKey identify the server; when nil a
	// self-signed pair is generated on New.
	Certificate []byte
	PrivateKey  *rsa.PrivateKey
	// Secure also offers Basic256Sha256, Aes128_Sha256_RsaOaep and
	// Aes256_Sha256_RsaPss with Sign and SignAndEncrypt besides None.
	Secure bool
	Clock  clockwork.Clock // default: the real clock
	Logger *slog.Logger    // default: discard
}

// Server serves tags over OPC UA.
type Server struct {
	opts  Options
	src   Source
	tags  []*datasource.Tag
	host  string
	port  int
	srv   *server.Server
	space *uaspace.Space
	ids   []*ua.NodeID
	types []ua.TypeID

	mu   sync.Mutex // guards vals and last
	vals []*ua.DataValue
	last []datasource.Sample

	cancel context.CancelFunc
	front  *uaproxy.Proxy
	wg     sync.WaitGroup
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("opcua server: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// killSubscriptions deletes the server's subscriptions, whose goroutines
// outlive gopcua's Close otherwise.
func killSubscriptions(srv *server.Server) {
	if srv.SubscriptionService == nil {
		return
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
}

// New builds a server for tags, reading their values from src. It does not
// listen yet; call Start.
func New(tags []*datasource.Tag, src Source, opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:4840"
	}
	if opts.NamespaceURI == "" {
		opts.NamespaceURI = "urn:vigil-hmi:vigil:tags"
	}
	if opts.Folder == "" {
		opts.Folder = "Vigil"
	}
	if opts.Rate <= 0 {
		opts.Rate = 250 * time.Millisecond
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 5 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	host, portText, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("opcua server address %q: %w", opts.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("opcua server address %q: bad port", opts.Addr)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	if port == 0 {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("opcua server: find a free port: %w", err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	if opts.Certificate == nil || opts.PrivateKey == nil {
		hosts := []string{"localhost", "127.0.0.1"}
		if host != "0.0.0.0" {
			hosts = append(hosts, host)
		}
		opts.Certificate, opts.PrivateKey, err = uacert.Generate(opts.NamespaceURI, "Vigil OPC UA server", hosts,
			opts.Clock.Now().Add(-time.Hour), 10*365*24*time.Hour)
		if err != nil {
			return nil, fmt.Errorf("opcua server certificate: %w", err)
		}
	}
	s := &Server{opts: opts, src: src, tags: tags, host: host, port: port,
		vals: make([]*ua.DataValue, len(tags)), last: make([]datasource.Sample, len(tags))}
	return s, nil
}

// Endpoint returns the URL clients connect to.
func (s *Server) Endpoint() string {
	h := s.host
	if h == "0.0.0.0" {
		h = "127.0.0.1"
	}
	return "opc.tcp://" + net.JoinHostPort(h, strconv.Itoa(s.port))
}

// Namespace returns the namespace index of the tags (valid after Start).
func (s *Server) Namespace() uint16 { return s.space.ID() }

// NodeID returns the NodeID text of a tag, "ns=<ns>;s=<name>" (after Start).
func (s *Server) NodeID(tag string) string { return ua.NewStringNodeID(s.Namespace(), tag).String() }

// Start listens and serves until ctx ends or Close is called.
func (s *Server) Start(ctx context.Context) error {
	inner, err := freePort()
	if err != nil {
		return err
	}
	so := []server.Option{
		server.EndPoint("127.0.0.1", inner), // where gopcua listens, behind the proxy
		server.EndPoint(s.host, s.port),     // what clients are told
		server.Certificate(s.opts.Certificate),
		server.PrivateKey(s.opts.PrivateKey),
		server.EnableSecurity("None", ua.MessageSecurityModeNone),
		server.EnableAuthMode(ua.UserTokenTypeAnonymous),
		server.ServerName("Vigil"),
		server.ProductName("Vigil HMI OPC UA server"),
	}
	// Clients must ask GetEndpoints with a URL the server advertises.
	switch s.host {
	case "127.0.0.1":
		so = append(so, server.EndPoint("localhost", s.port))
	case "localhost":
		so = append(so, server.EndPoint("127.0.0.1", s.port))
	}
	if s.opts.Secure {
		for _, p := range []string{"Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"} {
			so = append(so, server.EnableSecurity(p, ua.MessageSecurityModeSign), server.EnableSecurity(p, ua.MessageSecurityModeSignAndEncrypt))
		}
	}
	srv := server.New(so...)
	space := uaspace.New(srv, s.opts.NamespaceURI, s.opts.Folder)
	s.ids = make([]*ua.NodeID, len(s.tags))
	s.types = make([]ua.TypeID, len(s.tags))
	for i, t := range s.tags {
		typ := opcua.BuiltinType(t.Type)
		if !t.Scaling.IsIdentity() && t.Type.Numeric() {
			typ = ua.TypeIDDouble // engineering values are fractional
		}
		s.types[i] = typ
		v := uaspace.Var{Name: t.Name, Type: typ, Description: t.Description, Get: s.getter(i)}
		if t.Writable {
			v.Set = s.setter(i)
		}
		s.ids[i] = space.Add(v)
	}
	s.srv, s.space = srv, space
	s.refresh(false)
	ctx, cancel := context.WithCancel(ctx)
	if err := srv.Start(ctx); err != nil {
		cancel()
		return fmt.Errorf("opcua server: listen on %s: %w", s.Endpoint(), err)
	}
	front, err := uaproxy.Listen(net.JoinHostPort(s.host, strconv.Itoa(s.port)), "127.0.0.1:"+strconv.Itoa(inner))
	if err != nil {
		srv.Close()
		cancel()
		return fmt.Errorf("opcua server: listen on %s: %w", s.Endpoint(), err)
	}
	s.cancel, s.front = cancel, front
	s.wg.Add(1)
	go s.run(ctx)
	s.opts.Logger.Info("serving tags over OPC UA", "endpoint", s.Endpoint(), "tags", len(s.tags), "namespace", space.ID())
	return nil
}

func (s *Server) run(ctx context.Context) {
	defer s.wg.Done()
	t := s.opts.Clock.NewTicker(s.opts.Rate)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
			s.refresh(true)
		}
	}
}

// refresh reads every tag from the source and stores those that changed,
// notifying subscribers when notify is set.
func (s *Server) refresh(notify bool) {
	for i := range s.tags {
		s.refreshOne(i, notify)
	}
}

func (s *Server) refreshOne(i int, notify bool) {
	smp := s.src.Get(s.tags[i].ID)
	s.mu.Lock()
	if s.vals[i] != nil && smp == s.last[i] {
		s.mu.Unlock()
		return
	}
	s.last[i] = smp
	s.vals[i] = s.dataValue(i, smp)
	s.mu.Unlock()
	if notify {
		s.space.Changed(s.ids[i])
	}
}

// dataValue turns a sample into what clients read. A Bad sample carries no
// value; a value that does not fit the served type reads BadTypeMismatch.
func (s *Server) dataValue(i int, smp datasource.Sample) *ua.DataValue {
	dv := &ua.DataValue{EncodingMask: ua.DataValueStatusCode | ua.DataValueServerTimestamp, ServerTimestamp: s.opts.Clock.Now()}
	dv.Status = opcua.StatusCode(smp.Quality)
	if !smp.Time.IsZero() {
		dv.EncodingMask |= ua.DataValueSourceTimestamp
		dv.SourceTimestamp = smp.Time
	}
	if smp.Quality.IsBad() || smp.Value.IsNone() {
		if !smp.Quality.IsBad() {
			dv.Status = ua.StatusBadWaitingForInitialData
		}
		return dv
	}
	v, err := opcua.VariantOf(smp.Value, s.types[i])
	if err != nil {
		dv.Status = ua.StatusBadTypeMismatch
		return dv
	}
	dv.EncodingMask |= ua.DataValueValue
	dv.Value = v
	return dv
}

func (s *Server) getter(i int) func() *ua.DataValue {
	return func() *ua.DataValue {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.vals[i] == nil {
			return nil
		}
		dv := *s.vals[i]
		return &dv
	}
}

func (s *Server) setter(i int) func(v *ua.Variant) ua.StatusCode {
	return func(v *ua.Variant) ua.StatusCode {
		val, ok := opcua.ValueOf(v)
		if !ok {
			return ua.StatusBadTypeMismatch
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.WriteTimeout)
		defer cancel()
		if err := s.src.Write(ctx, s.tags[i].ID, val); err != nil {
			s.opts.Logger.Warn("OPC UA write refused", "tag", s.tags[i].Name, "value", val.AsString(), "err", err)
			var sc StatusCoder
			switch {
			case errors.As(err, &sc):
				return sc.StatusCode()
			case errors.Is(err, context.DeadlineExceeded):
				return ua.StatusBadTimeout
			}
			return ua.StatusBadNotWritable
		}
		// Let the client's read-back see the written value at once; the
		// space notifies subscribers after a good write.
		s.refreshOne(i, false)
		return ua.StatusOK
	}
}

// Close stops serving and waits for the refresh goroutine.
func (s *Server) Close() error {
	if s.cancel == nil {
		return nil
	}
	s.front.Close() // cut the clients first, or gopcua's Close waits for them
	err := s.srv.Close()
	killSubscriptions(s.srv)
	s.cancel()
	s.wg.Wait()
	s.cancel = nil
	return err
}
