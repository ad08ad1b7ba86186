package opcua

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/opcua/internal/uacert"
	"github.com/vigil-hmi/vigil/datasource/opcua/opcuatest"
)

// trustDir returns a trust list directory holding the test server's certificate.
func trustDir(t *testing.T) string {
	t.Helper()
	der, _, err := opcuatest.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "opcuatest.der"), der, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readDouble(t *testing.T, d *Driver) {
	t.Helper()
	pl, _ := d.Prepare([]*datasource.Tag{testTag(0, "D", opcuatest.NodeID("Double"), datasource.TypeFloat64)})
	got, err := d.Read(context.Background(), pl, nil)
	if err != nil || got[0].Value != datasource.Float(2.25) {
		t.Fatalf("read over the secure session = %v, %v", got, err)
	}
}

func TestSecurePoliciesAndModesConnect(t *testing.T) {
	srv := sharedServer(t)
	trust := trustDir(t)
	tests := []struct {
		name, policy, mode, user string
	}{
		{"Basic256Sha256 with Sign", "Basic256Sha256", "Sign", ""},
		{"Basic256Sha256 with SignAndEncrypt", "Basic256Sha256", "SignAndEncrypt", ""},
		{"Aes128_Sha256_RsaOaep with SignAndEncrypt", "Aes128_Sha256_RsaOaep", "SignAndEncrypt", ""},
		{"Aes256_Sha256_RsaPss with Sign", "Aes256_Sha256_RsaPss", "Sign", ""},
		{"Basic256Sha256 with SignAndEncrypt and a user name", "Basic256Sha256", "SignAndEncrypt", "operator"},
		{"None with a user name (password encrypted with the server key)", "None", "None", "operator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := testDevice(srv)
			dev.Settings = Settings{SecurityPolicy: tt.policy, SecurityMode: tt.mode, TrustDir: trust, Username: tt.user, Password: "secret"}
			d := newDriver(t, dev, Options{})
			connect(t, d)
			readDouble(t, d)
		})
	}
	if _, err := os.Stat(filepath.Join(testPKI, ownCertFile)); err != nil {
		t.Fatalf("the client certificate was not kept in the PKI directory: %v", err)
	}
}

// TestWrongPasswordIsReportedAsRefusedLogin checks that a server refusing
// the password gives an error that says so, naming the user, over a None
// channel and a secure one.
func TestWrongPasswordIsReportedAsRefusedLogin(t *testing.T) {
	srv := sharedServer(t)
	trust := trustDir(t)
	for _, policy := range []string{"None", "Basic256Sha256"} {
		mode := "SignAndEncrypt"
		if policy == "None" {
			mode = "None"
		}
		for _, user := range []string{"operator", "nobody"} {
			dev := testDevice(srv)
			dev.Settings = Settings{SecurityPolicy: policy, SecurityMode: mode, TrustDir: trust, Username: user, Password: "wrong"}
			d := newDriver(t, dev, Options{})
			err := d.Connect(context.Background())
			if !errors.Is(err, ErrLoginRefused) || !strings.Contains(err.Error(), `login refused for user "`+user+`"`) {
				t.Fatalf("%s: Connect as %s with a wrong password = %v, want ErrLoginRefused naming the user", policy, user, err)
			}
		}
	}
}

func TestUntrustedServerCertificateNamesThumbprintAndWhereToPutIt(t *testing.T) {
	srv := sharedServer(t)
	der, _, _ := opcuatest.Certificate()
	pki := t.TempDir()
	// Share the client pair so that no new key is generated.
	for _, f := range []string{ownCertFile, ownKeyFile} {
		b, err := os.ReadFile(filepath.Join(testPKI, f))
		if err != nil {
			sharedClientCert(t)
			b, _ = os.ReadFile(filepath.Join(testPKI, f))
		}
		os.MkdirAll(filepath.Join(pki, "own"), 0o700)
		os.WriteFile(filepath.Join(pki, f), b, 0o600)
	}
	dev := testDevice(srv)
	dev.Settings = Settings{SecurityPolicy: "Basic256Sha256", SecurityMode: "SignAndEncrypt"}
	d := newDriver(t, dev, Options{PKIDir: pki})
	err := d.Connect(context.Background())
	if !errors.Is(err, ErrUntrusted) {
		t.Fatalf("Connect to an untrusted server = %v, want ErrUntrusted", err)
	}
	thumb := uacert.Thumbprint(der)
	rejected := filepath.Join(pki, "rejected", thumb+".der")
	trusted := filepath.Join(pki, "trusted")
	for _, want := range []string{`device "plc1"`, thumb, rejected, trusted} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not contain %q", err, want)
		}
	}
	// Doing what the message says trusts the server.
	os.MkdirAll(trusted, 0o700)
	if err := os.Rename(rejected, filepath.Join(trusted, thumb+".der")); err != nil {
		t.Fatal(err)
	}
	connect(t, d)
	readDouble(t, d)
}

// sharedClientCert makes sure the shared PKI directory has a client pair.
func sharedClientCert(t *testing.T) {
	t.Helper()
	d := newDriver(t, &datasource.Device{Name: "x"}, Options{})
	if _, _, err := d.clientCert(); err != nil {
		t.Fatal(err)
	}
}

func TestExpiredServerCertificateIsRefused(t *testing.T) {
	srv := sharedServer(t)
	sharedClientCert(t)
	dev := testDevice(srv)
	dev.Settings = Settings{SecurityPolicy: "Basic256Sha256", SecurityMode: "Sign", TrustDir: trustDir(t)}
	future := clockwork.NewFakeClockAt(time.Now().AddDate(50, 0, 0))
	d := newDriver(t, dev, Options{Clock: future})
	err := d.Connect(context.Background())
	if !errors.Is(err, ErrCertExpired) || !strings.Contains(err.Error(), `device "plc1"`) {
		t.Fatalf("Connect with the server certificate expired = %v, want ErrCertExpired naming the device", err)
	}
}

func TestServerWithoutThePolicyIsRefusedClearly(t *testing.T) {
	srv := opcuatest.Start(t, opcuatest.Options{ChangeEvery: -1, OnlySecure: true})
	tests := []struct {
		name, policy, mode string
		want               string
	}{
		{"a None client meets a secure-only server", "None", "None", "does not offer security None/None"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev := testDevice(srv)
			dev.Settings = Settings{SecurityPolicy: tt.policy, SecurityMode: tt.mode}
			d := newDriver(t, dev, Options{})
			err := d.Connect(context.Background())
			if !errors.Is(err, ErrSecurityRefused) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "Basic256Sha256/Sign") {
				t.Fatalf("Connect = %v, want ErrSecurityRefused listing what the server offers", err)
			}
		})
	}
}
