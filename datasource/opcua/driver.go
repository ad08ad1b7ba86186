package opcua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopcua/opcua"
	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"
	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/opcua/internal/uacert"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// ErrSecurityRefused is wrapped by the error of a Connect to a server that
// does not offer the configured security policy and mode, or refuses it.
var ErrSecurityRefused = errors.New("security refused")

// ErrLoginRefused is wrapped by the error of a Connect whose user name and
// password (or anonymous login) the server refuses.
var ErrLoginRefused = errors.New("login refused")

// Options are the driver's settings that do not come from the project file.
type Options struct {
	// PKIDir holds the client certificate, the default trust list and the
	// rejected server certificates; "" means DefaultPKIDir(). Tests point it
	// at a temporary directory.
	PKIDir string
	// Logger receives connection events and per-tag problems; nil discards.
	Logger *slog.Logger
	// Clock drives the watchdog, polling and certificate validity checks;
	// nil means the real clock.
	Clock clockwork.Clock
}

// Driver is the OPC UA driver of one device. It implements poll.Driver and
// poll.Subscriber; its methods are safe for concurrent use (the engine runs
// one Subscribe per scan class next to its Read and Write calls).
type Driver struct {
	dev    *datasource.Device
	set    Settings // dev's opcua section
	pki    string
	log    *slog.Logger
	clock  clockwork.Clock
	policy string
	mode   ua.MessageSecurityMode

	mu   sync.Mutex // guards conn
	conn *conn
}

// conn is one session with the server; a reconnect makes a new one.
type conn struct {
	c       *opcua.Client
	maxRead int // nodes per Read request, 0 for no limit
	broken  atomic.Bool
	reads   atomic.Int64 // Read requests sent, for tests

	mu       sync.Mutex // guards the fields below
	types    map[string]nodeType
	acks     []*ua.SubscriptionAcknowledgement
	subs     map[uint32]*subChan
	reported map[datasource.TagID]ua.StatusCode
}

type nodeType struct {
	typ   ua.TypeID
	array bool
}

// New checks a device's OPC UA settings and returns its driver. It does no
// I/O; the client certificate is made on the first secure Connect.
func New(dev *datasource.Device, opts Options) (*Driver, error) {
	if dev == nil {
		return nil, errors.New("opcua: nil device")
	}
	set := SettingsOf(dev)
	policy, mode, err := parseSecurity(set.SecurityPolicy, set.SecurityMode)
	if err != nil {
		return nil, fmt.Errorf("device %q: %w", dev.Name, err)
	}
	d := &Driver{dev: dev, set: set, pki: opts.PKIDir, log: opts.Logger, clock: opts.Clock, policy: policy, mode: mode}
	if d.pki == "" {
		if d.pki, err = DefaultPKIDir(); err != nil {
			return nil, fmt.Errorf("device %q: %w", dev.Name, err)
		}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.log = d.log.With("device", dev.Name)
	if d.clock == nil {
		d.clock = clockwork.NewRealClock()
	}
	return d, nil
}

// Factory returns a poll.Factory making drivers with opts. For a device with
// Settings.Poll the driver it returns hides Subscribe, so the engine
// polls it with registered reads at the scan rate.
func Factory(opts Options) poll.Factory {
	return func(dev *datasource.Device) (poll.Driver, error) {
		d, err := New(dev, opts)
		if err != nil {
			return nil, err
		}
		if d.set.Poll {
			return pollOnly{d}, nil
		}
		return d, nil
	}
}

// pollOnly is a Driver without the Subscriber method set.
type pollOnly struct{ d *Driver }

func (p pollOnly) Prepare(tags []*datasource.Tag) (poll.Plan, error) { return p.d.Prepare(tags) }
func (p pollOnly) Connect(ctx context.Context) error                 { return p.d.Connect(ctx) }
func (p pollOnly) Read(ctx context.Context, pl poll.Plan, dst []datasource.Sample) ([]datasource.Sample, error) {
	return p.d.Read(ctx, pl, dst)
}
func (p pollOnly) Write(ctx context.Context, t *datasource.Tag, v datasource.Value) error {
	return p.d.Write(ctx, t, v)
}
func (p pollOnly) Close() error { return p.d.Close() }

// timeout is the device's request timeout (default 1s).
func (d *Driver) timeout() time.Duration {
	if d.dev.Timeout > 0 {
		return d.dev.Timeout
	}
	return time.Second
}

// Connect discovers the server's endpoints, checks its certificate when the
// policy is not None, and opens a session. A previous session is closed.
func (d *Driver) Connect(ctx context.Context) error {
	d.Close()
	cn, err := d.connect(ctx)
	if err != nil {
		return fmt.Errorf("device %q: connect %s: %w", d.dev.Name, d.dev.Address, err)
	}
	d.mu.Lock()
	d.conn = cn
	d.mu.Unlock()
	d.log.Debug("connected", "endpoint", d.dev.Address, "security", policyName(d.policy)+"/"+modeName(d.mode), "max_nodes_per_read", cn.maxRead)
	return nil
}

func (d *Driver) connect(ctx context.Context) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, max(5*d.timeout(), 5*time.Second))
	defer cancel()
	addr := d.dev.Address
	eps, err := opcua.GetEndpoints(ctx, addr, opcua.DialTimeout(d.timeout()))
	if err != nil {
		return nil, fmt.Errorf("get endpoints: %w", err)
	}
	ep, err := selectEndpoint(eps, d.policy, d.mode)
	if err != nil {
		return nil, err
	}
	s := d.set
	opts := []opcua.Option{
		opcua.AutoReconnect(false), // the engine reconnects; see the package doc
		opcua.SecurityPolicy(d.policy),
		opcua.SecurityMode(d.mode),
		opcua.DialTimeout(d.timeout()),
		// Every request carries its own context deadline; this only bounds
		// publish requests, which wait for a keep-alive.
		opcua.RequestTimeout(10 * time.Minute),
		opcua.SessionTimeout(time.Minute),
		opcua.ApplicationName("Vigil HMI"),
		opcua.ProductURI("urn:vigil-hmi:vigil"),
		opcua.SessionName("vigil " + d.dev.Name),
	}
	var clientDER []byte
	if d.policy != ua.SecurityPolicyURINone {
		if err := d.checkServerCert(ep.ServerCertificate); err != nil {
			return nil, err
		}
		der, key, err := d.clientCert()
		if err != nil {
			return nil, err
		}
		clientDER = der
		opts = append(opts, opcua.Certificate(der), opcua.PrivateKey(key))
	}
	opts = append(opts, opcua.RemoteCertificate(ep.ServerCertificate))
	if s.Username != "" {
		if !offersToken(ep, ua.UserTokenTypeUserName) {
			return nil, fmt.Errorf("%w: endpoint %s/%s offers no user name login", ErrSecurityRefused, policyName(d.policy), modeName(d.mode))
		}
		opts = append(opts, opcua.AuthUsername(s.Username, s.Password), opcua.SecurityFromEndpoint(ep, ua.UserTokenTypeUserName))
	} else {
		if !offersToken(ep, ua.UserTokenTypeAnonymous) {
			return nil, fmt.Errorf("%w: endpoint %s/%s offers no anonymous login; set username and password", ErrSecurityRefused, policyName(d.policy), modeName(d.mode))
		}
		opts = append(opts, opcua.AuthAnonymous(), opcua.SecurityFromEndpoint(ep, ua.UserTokenTypeAnonymous))
	}
	c, err := opcua.NewClient(addr, opts...)
	if err != nil {
		return nil, err
	}
	if err := safeConnect(ctx, c); err != nil {
		c.Close(context.Background())
		var code ua.StatusCode
		if errors.As(err, &code) {
			switch code {
			case ua.StatusBadCertificateUntrusted, ua.StatusBadCertificateInvalid, ua.StatusBadSecurityChecksFailed,
				ua.StatusBadCertificateURIInvalid, ua.StatusBadCertificateUseNotAllowed:
				if clientDER != nil {
					return nil, fmt.Errorf("%w: %v: the server does not accept Vigil's client certificate (thumbprint %s); trust %s on the server",
						ErrSecurityRefused, err, uacert.Thumbprint(clientDER), d.clientCertPath())
				}
				return nil, fmt.Errorf("%w: %v", ErrSecurityRefused, err)
			case ua.StatusBadIdentityTokenRejected, ua.StatusBadIdentityTokenInvalid, ua.StatusBadUserAccessDenied:
				if s.Username != "" {
					return nil, fmt.Errorf("%w for user %q (%v): check the device's username and password", ErrLoginRefused, s.Username, err)
				}
				return nil, fmt.Errorf("%w for an anonymous user (%v): set the device's username and password", ErrLoginRefused, err)
			case ua.StatusBadSecurityPolicyRejected, ua.StatusBadSecurityModeRejected:
				return nil, fmt.Errorf("%w: %v", ErrSecurityRefused, err)
			}
		}
		return nil, err
	}
	cn := &conn{c: c, maxRead: s.MaxNodesPerRead, types: map[string]nodeType{}, subs: map[uint32]*subChan{}, reported: map[datasource.TagID]ua.StatusCode{}}
	if cn.maxRead <= 0 {
		cn.maxRead = d.serverMaxNodesPerRead(ctx, c)
	}
	return cn, nil
}

// safeConnect runs gopcua's Connect, turning a panic on a malformed server
// answer (v0.9.0 dereferences a nil session when the server's session
// signature does not verify) into an error.
func safeConnect(ctx context.Context, c *opcua.Client) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("session could not be created (server signature or answer invalid): %v", r)
		}
	}()
	return c.Connect(ctx)
}

func offersToken(ep *ua.EndpointDescription, t ua.UserTokenType) bool {
	for _, p := range ep.UserIdentityTokens {
		if p.TokenType == t {
			return true
		}
	}
	return false
}

// serverMaxNodesPerRead reads the server's OperationLimits; 0 means none.
func (d *Driver) serverMaxNodesPerRead(ctx context.Context, c *opcua.Client) int {
	rctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	res, err := c.Read(rctx, &ua.ReadRequest{NodesToRead: []*ua.ReadValueID{{
		NodeID: ua.NewNumericNodeID(0, id.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead), AttributeID: ua.AttributeIDValue,
	}}})
	if err != nil || len(res.Results) != 1 || res.Results[0].Status != ua.StatusOK || res.Results[0].Value == nil {
		return 0
	}
	if n, ok := res.Results[0].Value.Value().(uint32); ok && n < 1<<20 {
		return int(n)
	}
	return 0
}

// current returns the live connection or ErrNotConnected.
func (d *Driver) current() (*conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil || d.conn.broken.Load() {
		return nil, fmt.Errorf("device %q: %w", d.dev.Name, poll.ErrNotConnected)
	}
	return d.conn, nil
}

// fail marks cn unusable after a link failure and returns err wrapped with
// the device name; the engine then closes and reconnects.
func (d *Driver) fail(cn *conn, op string, err error) error {
	cn.broken.Store(true)
	return fmt.Errorf("device %q: %s: %w", d.dev.Name, op, err)
}

// Close closes the session and the connection. It is safe to call more than
// once.
func (d *Driver) Close() error {
	d.mu.Lock()
	cn := d.conn
	d.conn = nil
	d.mu.Unlock()
	if cn == nil {
		return nil
	}
	cn.broken.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout())
	defer cancel()
	// A dead link makes CloseSession fail; the socket is closed regardless.
	_ = cn.c.Close(ctx)
	return nil
}

// Prepare parses every tag's address as a NodeID ("ns=2;s=Tank1.Level",
// "ns=2;i=42", "i=2258"). It does no I/O.
func (d *Driver) Prepare(tags []*datasource.Tag) (poll.Plan, error) {
	p := &plan{}
	var err error
	p.tags, p.ids, err = poll.ParseAddresses(tags, parseAddress)
	return p, err
}

func parseAddress(addr string) (*ua.NodeID, error) {
	if addr == "" {
		return nil, errors.New("missing: an OPC UA NodeID such as ns=2;s=Tank1.Level or ns=2;i=42")
	}
	nid, err := ua.ParseNodeID(addr)
	if err == nil && !nodeIDSyntax.MatchString(addr) {
		err = errors.New("missing i=, s=, g= or b= identifier")
	}
	if err != nil {
		return nil, fmt.Errorf("%q is not an OPC UA NodeID (want ns=2;s=Name, ns=2;i=42, ns=2;g=GUID or ns=2;b=BASE64): %v", addr, err)
	}
	return nid, nil
}

// nodeIDSyntax is the NodeID text form: an optional namespace index and
// one identifier (gopcua alone also reads bare text as a string identifier).
var nodeIDSyntax = regexp.MustCompile(`^(ns=[0-9]+;)?[isgb]=.+$`)

// plan is the driver's poll.Plan: the tags and their parsed NodeIDs.
type plan struct {
	tags []*datasource.Tag
	ids  []*ua.NodeID

	mu      sync.Mutex // guards the registration
	regConn *conn
	reg     []*ua.NodeID
}

// Tags returns the tags of a plan made by Prepare, in sample order.
func (p *plan) Tags() []*datasource.Tag { return p.tags }
