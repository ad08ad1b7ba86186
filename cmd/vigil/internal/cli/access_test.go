package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/vigil-hmi/vigil/cmd/vigil/internal/sockets"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/opcua"
	"github.com/vigil-hmi/vigil/datasource/opcua/opcuatest"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/audit"
)

// runSecVerb runs one verb function with captured output and stdin as the
// password input.
func runSecVerb(t *testing.T, fn func(context.Context, Env, []string) int, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	passwordInput = strings.NewReader(stdin)
	userHashParams = access.HashParams{Memory: 64, Time: 1, Threads: 1}
	t.Cleanup(func() { passwordInput, userHashParams = os.Stdin, access.DefaultHashParams })
	code := fn(context.Background(), Env{Stdout: &out, Stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestUserVerbs(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "plant.users.yaml")
	hist := filepath.Join(dir, "h.db")
	steps := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string
		stderr string
	}{
		{"help prints the commands", []string{"--help"}, "", 0, "add USERSFILE NAME --role ROLE", ""},
		{"add creates the file", []string{"add", users, "alice", "--role", "operator", "--areas", "Tanks,Pumps", "--history", hist}, "correct horse\n", 0, "alice role operator", ""},
		{"add needs a known role", []string{"add", users, "bob", "--role", "boss"}, "correct horse\n", 2, "", `unknown role "boss"`},
		{"add refuses a short password", []string{"add", users, "bob", "--role", "viewer"}, "short\n", 1, "", "at least 10 are needed"},
		{"add refuses a common password", []string{"add", users, "bob", "--role", "viewer"}, "qwertyuiop\n", 1, "", "most common passwords"},
		{"add refuses the user name as password", []string{"add", users, "bobby12345", "--role", "viewer"}, "BOBBY12345\n", 1, "", "it is the user name"},
		{"add refuses a missing password", []string{"add", users, "bob", "--role", "viewer"}, "", 1, "", "no password on stdin"},
		{"add refuses a second alice", []string{"add", users, "alice", "--role", "viewer"}, "correct horse\n", 1, "", `user "alice" already exists`},
		{"add a viewer", []string{"add", "--password-stdin", users, "vic", "--role", "viewer"}, "viewer pass\n", 0, "vic role viewer", ""},
		{"passwd of an unknown user fails", []string{"passwd", users, "nobody"}, "whatever1\n", 1, "", `no user "nobody"`},
		{"passwd changes the password", []string{"passwd", users, "vic", "--history", hist}, "new viewer pass\n", 0, "password changed", ""},
		{"list shows names, roles and areas, never hashes", []string{"list", users}, "", 0, "alice  operator  Tanks,Pumps", ""},
		{"remove removes", []string{"remove", users, "vic", "--history", hist}, "", 0, "vic removed", ""},
		{"remove of a missing user fails", []string{"remove", users, "vic"}, "", 1, "", `no user "vic"`},
		{"a wrong argument count is a usage error", []string{"list"}, "", 2, "", "want 1 argument(s)"},
		{"an unknown command is a usage error", []string{"rename", users}, "", 2, "", `unknown command "rename"`},
	}
	for _, st := range steps {
		code, stdout, stderr := runSecVerb(t, cmdUser, st.stdin, st.args...)
		if code != st.code || !strings.Contains(stdout, st.stdout) || !strings.Contains(stderr, st.stderr) {
			t.Errorf("%s: code %d, stdout %q, stderr %q; want %d, %q, %q", st.name, code, stdout, stderr, st.code, st.stdout, st.stderr)
		}
		if strings.Contains(stdout+stderr, "$argon2id") || strings.Contains(stdout+stderr, "correct horse") {
			t.Errorf("%s: a hash or password was printed", st.name)
		}
	}
	d, err := access.Load(users, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Authenticate("alice", "correct horse"); err != nil {
		t.Errorf("alice's password: %v", err)
	}
	// The user changes made with --history are in its audit trail, intact.
	code, stdout, stderr := runSecVerb(t, cmdAudit, "", "verify", hist)
	if code != 0 || !strings.Contains(stdout, "4 events, 4 chained") || !strings.Contains(stdout, "starts with its genesis record") || !strings.Contains(stdout, "OK:") {
		t.Errorf("verify: %d %q %q", code, stdout, stderr)
	}
	code, stdout, _ = runSecVerb(t, cmdAudit, "", "export", hist)
	if code != 0 || !strings.Contains(stdout, ",user_add,ok,os:") || !strings.Contains(stdout, ",user_remove,ok,") {
		t.Errorf("export: %d %q", code, stdout)
	}
}

func TestUserVerbsRefuseBadFiles(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.users.yaml")
	if err := os.WriteFile(open, []byte("users: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.users.yaml")
	if err := os.WriteFile(broken, []byte("users:\n  - name: alice\n    role: operator\n    hash: nonsense\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"a world-readable users file is refused with the chmod", []string{"list", open}, "has mode 0644: group or others may read or change it; fix it with: chmod 600 " + open},
		{"adding to a world-readable file is refused too", []string{"add", open, "x", "--role", "viewer"}, "chmod 600 " + open},
		{"a broken line names file and line", []string{"list", broken}, broken + ":4: users[0].hash: not an argon2id"},
	} {
		code, _, stderr := runSecVerb(t, cmdUser, "long enough\n", tt.args...)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: code %d, stderr %q; want 1, %q", tt.name, code, stderr, tt.want)
		}
	}
}

// chainedJournal writes n audit records through a chain into a new
// history file, closes it and returns its path.
func chainedJournal(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := history.Open(path, history.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := audit.NewChain(context.Background(), s, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := audit.NewAuditor(c)
	for i := range n {
		if err := a.Logout("alice", strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// tamperEvents runs fn on the events bucket of the closed history file.
func tamperEvents(t *testing.T, path string, fn func(b *bbolt.Bucket) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bbolt.Tx) error { return fn(tx.Bucket([]byte("events"))) }); err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerifyFindsTampering(t *testing.T) {
	path := chainedJournal(t, 6)
	tamperEvents(t, path, func(b *bbolt.Bucket) error {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			switch binary.BigEndian.Uint64(k[8:]) {
			case 2: // an edit
				var e history.Event
				if err := json.Unmarshal(v[1:], &e); err != nil {
					return err
				}
				e.User = "mallory"
				nv, _ := json.Marshal(e)
				if err := b.Put(bytes.Clone(k), append([]byte{1}, nv...)); err != nil {
					return err
				}
			case 4: // a deletion
				if err := b.Delete(bytes.Clone(k)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	code, _, stderr := runSecVerb(t, cmdAudit, "", "verify", path)
	for _, want := range []string{"seq 2 (chain 2): edited", "seq 4 (chain 4): deleted", "2 problem(s)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if code != 1 {
		t.Errorf("code %d", code)
	}
	out := filepath.Join(t.TempDir(), "audit.csv")
	if code, _, stderr := runSecVerb(t, cmdAudit, "", "export", path, "--out", out); code != 0 || !strings.Contains(stderr, "6 records") {
		t.Errorf("export: %d %q", code, stderr)
	}
	if code, _, stderr := runSecVerb(t, cmdAudit, "", "verify", filepath.Join(t.TempDir(), "none.db")); code != 1 || !strings.Contains(stderr, "none.db") {
		t.Errorf("missing file: %d %q", code, stderr)
	}
}

// TestAuditVerifySaysWhenTheChainsStartIsGone deletes the genesis record
// and the record after it, without retention: verify fails and says so.
func TestAuditVerifySaysWhenTheChainsStartIsGone(t *testing.T) {
	path := chainedJournal(t, 4)
	tamperEvents(t, path, func(b *bbolt.Bucket) error {
		c := b.Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k[8:]) <= 2; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	code, _, stderr := runSecVerb(t, cmdAudit, "", "verify", path)
	want := "seq ? (chain 1): deleted: no genesis: chain start unknown: the oldest record is chain record 3 (seq 3), and no retention marker says that chain records 1..2 were removed"
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("verify: exit %d, stderr %q, want %q", code, stderr, want)
	}
}

// listeningSockets returns this process's listening sockets.
func listeningSockets(t *testing.T) []string {
	t.Helper()
	found, err := sockets.Listening("self")
	if errors.Is(err, sockets.ErrNoProc) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestRunOpensNoListeningSocket(t *testing.T) {
	// The check can fail: a listener of our own is found.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if got := listeningSockets(t); len(got) != 1 {
		t.Fatalf("own listener: found %v", got)
	}
	ln.Close()

	p, err := loadProject(DemoName)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Start(context.Background(), p, RuntimeOptions{HistoryPath: filepath.Join(t.TempDir(), "h.db")})
	if err != nil {
		t.Fatal(err)
	}
	// Run until the engine has published samples (the devices are up).
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !rt.Table.Get(0).Time.IsZero() {
			break
		}
	}
	got := listeningSockets(t)
	if err := rt.Stop(); err != nil {
		t.Fatal(err)
	}
	if rt.Table.Get(0).Time.IsZero() {
		t.Fatal("the demo runtime published nothing")
	}
	if len(got) != 0 {
		t.Errorf("vigil run listens on %v", got)
	}
}

func TestSimListensOnLoopbackOnly(t *testing.T) {
	p, err := loadProject(DemoName)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := Start(context.Background(), p, RuntimeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Free ports on loopback, as the defaults are, so parallel runs do not clash.
		serveSim(ctx, Env{Stdout: pw, Stderr: io.Discard}, rt, "127.0.0.1:0", "127.0.0.1:0")
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "serving") {
	}
	got := listeningSockets(t)
	cancel()
	go io.Copy(io.Discard, pr) //nolint:errcheck // drain until serveSim closes pw
	wg.Wait()
	if err := rt.Stop(); err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("vigil sim listens on nothing")
	}
	for _, s := range got {
		// Loopback in /proc's hex: 0100007F (IPv4) or ::1.
		if !strings.Contains(s, " 0100007F:") && !strings.Contains(s, " 00000000000000000000000001000000:") {
			t.Errorf("vigil sim listens beyond loopback: %s", s)
		}
	}
	for _, addr := range []string{defaultSimModbus, defaultSimOPCUA} {
		if host, _, _ := net.SplitHostPort(addr); !net.ParseIP(host).IsLoopback() {
			t.Errorf("default sim address %s is not loopback", addr)
		}
	}
}

func TestSecretsStayOutOfLogsAndMessages(t *testing.T) {
	const secret = "Tr0ub4dor-SECRET-value"
	t.Setenv("VIGIL_TEST_OPCUA_PASSWORD", secret)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw.txt"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := func(password string) string {
		return `project: Secrets
devices:
  - name: opc
    driver: opcua
    address: opc.tcp://127.0.0.1:1
    timeout: 200ms
    opcua: {username: op, password: "` + password + `"}
tags:
  - {name: X, device: opc, address: "ns=2;s=X", type: float64}
`
	}
	for _, ref := range []string{"env:VIGIL_TEST_OPCUA_PASSWORD", "file:pw.txt"} {
		path := filepath.Join(dir, "p.yaml")
		if err := os.WriteFile(path, []byte(body(ref)), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := loadProject(path)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if opcua.SettingsOf(p.Devices[0]).Password != secret {
			t.Fatalf("%s: password not resolved", ref)
		}
		var logs logBuffer
		rt, err := Start(context.Background(), p, RuntimeOptions{
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		if err != nil {
			t.Fatal(err)
		}
		// Let the driver fail to connect (nothing listens on port 1) and log it.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !strings.Contains(logs.String(), "device failed"); time.Sleep(20 * time.Millisecond) {
		}
		if err := rt.Stop(); err != nil {
			t.Logf("stop: %v", err)
		}
		if !strings.Contains(logs.String(), "device failed") {
			t.Fatalf("%s: nothing logged about the device", ref)
		}
		if strings.Contains(logs.String(), secret) {
			t.Errorf("%s: the secret is in the log:\n%s", ref, logs.String())
		}
	}
	// Against a real OPC UA server the password is sent in the session
	// activation, and the connection, reads and stop are logged at debug.
	// The server offers user-name login only with its certificate, which
	// the client must trust.
	srv := opcuatest.Start(t, opcuatest.Options{Secure: true})
	der, _, err := opcuatest.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "trust"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "trust", "server.der"), der, 0o600); err != nil {
		t.Fatal(err)
	}
	live := strings.Replace(body("env:VIGIL_TEST_OPCUA_PASSWORD"), "opc.tcp://127.0.0.1:1", srv.Endpoint(), 1)
	live = strings.Replace(live, "opcua: {username: op,", "opcua: {trust_dir: trust, username: op,", 1)
	live = strings.Replace(live, `ns=2;s=X`, opcuatest.NodeID("Double"), 1)
	live = strings.Replace(live, "timeout: 200ms", "timeout: 5s", 1)
	path := filepath.Join(dir, "live.yaml")
	if err := os.WriteFile(path, []byte(live), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := loadProject(path)
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	rt, err := Start(context.Background(), p, RuntimeOptions{
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !rt.Table.Get(0).Quality.IsGood(); time.Sleep(20 * time.Millisecond) {
	}
	good := rt.Table.Get(0).Quality.IsGood()
	if err := rt.Stop(); err != nil {
		t.Logf("stop: %v", err)
	}
	if !good {
		t.Fatalf("no Good value from the OPC UA server with username and password; log:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the secret is in the log of a live session:\n%s", logs.String())
	}

	// Messages about a secret name the variable or file, not the value.
	for _, tt := range []struct{ password, want string }{
		{"env:VIGIL_TEST_UNSET_VARIABLE", "environment variable VIGIL_TEST_UNSET_VARIABLE is not set"},
		{"file:missing.txt", "missing.txt: no such file"},
	} {
		path := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(body(tt.password), "type: float64", "type: float128", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCLI(t, context.Background(), Env{}, "check", path)
		if code != 1 || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, secret) {
			t.Errorf("check with %s: %d %q", tt.password, code, stderr)
		}
	}
	// A plain-text password in a project with another mistake is not echoed.
	path = filepath.Join(dir, "plain.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(body(secret), "type: float64", "type: float128", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, stderr := runCLI(t, context.Background(), Env{}, "check", path); strings.Contains(stderr, secret) || stderr == "" {
		t.Errorf("check of a plain password: %q", stderr)
	}
}

// logBuffer is a bytes.Buffer safe for the logger's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *logBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *logBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
