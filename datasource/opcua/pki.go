package opcua

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vigil-hmi/vigil/datasource/opcua/internal/uacert"
)

// The layout of the PKI directory:
//
//	<pki>/own/cert.der   the client's application instance certificate
//	<pki>/own/key.pem    its RSA key (mode 0600)
//	<pki>/trusted/       trusted server certificates (DER or PEM), unless the
//	                     device names its own trust_dir
//	<pki>/rejected/      server certificates seen but not trusted, named by
//	                     thumbprint, to be moved into the trust list
const (
	ownCertFile = "own/cert.der"
	ownKeyFile  = "own/key.pem"
	trustedDir  = "trusted"
	rejectedDir = "rejected"
)

// ClientAppURI is the application URI of Vigil's client certificate.
const ClientAppURI = "urn:vigil-hmi:vigil:client"

// ErrUntrusted is wrapped by the error of a Connect whose server certificate
// is not in the trust list.
var ErrUntrusted = errors.New("server certificate is not trusted")

// ErrCertExpired is wrapped by the error of a Connect whose server
// certificate is expired or not yet valid.
var ErrCertExpired = errors.New("server certificate is outside its validity period")

// DefaultPKIDir returns os.UserConfigDir()/vigil/pki.
func DefaultPKIDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config directory for the OPC UA certificates: %w", err)
	}
	return filepath.Join(dir, "vigil", "pki"), nil
}

// genMu serialises first-use generation so that two devices starting at
// once do not each write a different key.
var genMu sync.Mutex

// clientCert returns the client certificate and key: the device's
// cert_file/key_file when set, else the PKI directory's own pair, generated
// on first use.
func (d *Driver) clientCert() ([]byte, *rsa.PrivateKey, error) {
	s := d.set
	if s.CertFile != "" || s.KeyFile != "" {
		return loadPair(s.CertFile, s.KeyFile)
	}
	certPath := filepath.Join(d.pki, ownCertFile)
	keyPath := filepath.Join(d.pki, ownKeyFile)
	genMu.Lock()
	defer genMu.Unlock()
	if _, err := os.Stat(certPath); err == nil {
		return loadPair(certPath, keyPath)
	}
	host, _ := os.Hostname()
	der, key, err := uacert.Generate(ClientAppURI, "Vigil HMI client", []string{host, "localhost"},
		d.clock.Now().Add(-time.Hour), 20*365*24*time.Hour)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(filepath.Dir(certPath), 0o700); err != nil {
		return nil, nil, fmt.Errorf("create the client certificate directory: %w", err)
	}
	if err := os.WriteFile(keyPath, uacert.EncodeKey(key), 0o600); err != nil {
		return nil, nil, fmt.Errorf("write the client key: %w", err)
	}
	if err := os.WriteFile(certPath, der, 0o644); err != nil {
		return nil, nil, fmt.Errorf("write the client certificate: %w", err)
	}
	d.log.Info("generated the OPC UA client certificate", "file", certPath, "thumbprint", uacert.Thumbprint(der))
	return der, key, nil
}

// clientCertPath is the file of the client certificate, for messages.
func (d *Driver) clientCertPath() string {
	if d.set.CertFile != "" {
		return d.set.CertFile
	}
	return filepath.Join(d.pki, ownCertFile)
}

func loadPair(certPath, keyPath string) ([]byte, *rsa.PrivateKey, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read the client certificate: %w", err)
	}
	der, _, err := uacert.ParseCert(cb)
	if err != nil {
		return nil, nil, fmt.Errorf("client certificate %s: %w", certPath, err)
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read the client key: %w", err)
	}
	key, err := uacert.ParseKey(kb)
	if err != nil {
		return nil, nil, fmt.Errorf("client key %s: %w", keyPath, err)
	}
	return der, key, nil
}

// trustDir returns the device's trust list directory.
func (d *Driver) trustDir() string {
	if d.set.TrustDir != "" {
		return d.set.TrustDir
	}
	return filepath.Join(d.pki, trustedDir)
}

// checkServerCert checks the validity period of the server certificate and
// that it is in the trust list. An untrusted certificate is copied to the
// rejected directory and the error says where to move it.
func (d *Driver) checkServerCert(der []byte) error {
	if len(der) == 0 {
		return fmt.Errorf("%w: the server sent no certificate", ErrUntrusted)
	}
	_, cert, err := uacert.ParseCert(der)
	if err != nil {
		return fmt.Errorf("server certificate: %w", err)
	}
	thumb := uacert.Thumbprint(der)
	now := d.clock.Now()
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return fmt.Errorf("%w: %q (thumbprint %s) is valid from %s to %s",
			ErrCertExpired, cert.Subject.CommonName, thumb, cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339))
	}
	dir := d.trustDir()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read the trust list %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // an unreadable file trusts nothing
		}
		if tder, _, err := uacert.ParseCert(b); err == nil && bytes.Equal(tder, der) {
			return nil
		}
	}
	rejected := filepath.Join(d.pki, rejectedDir, thumb+".der")
	if err := os.MkdirAll(filepath.Dir(rejected), 0o700); err == nil {
		if err := os.WriteFile(rejected, der, 0o644); err != nil {
			rejected = "" // still say what to trust, without a file to move
		}
	}
	msg := fmt.Sprintf("%q (thumbprint %s)", cert.Subject.CommonName, thumb)
	if rejected != "" {
		return fmt.Errorf("%w: %s; to trust it, move %s into %s", ErrUntrusted, msg, rejected, dir)
	}
	return fmt.Errorf("%w: %s; to trust it, put its DER file into %s", ErrUntrusted, msg, dir)
}
