// Package uacert makes and reads the self-signed application instance
// certificates OPC UA needs: the Vigil client's own certificate and the
// certificates of the test and simulation servers. OPC UA requires a URI SAN
// equal to the application URI, plus DNS/IP SANs for the hosts it runs on.
package uacert

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strings"
	"time"
)

// Bits is the RSA key size used for every generated certificate: the
// smallest size the Basic256Sha256 and Aes* policies accept.
const Bits = 2048

// Generate makes a self-signed certificate (DER) and its RSA key for the
// application URI appURI, valid from notBefore for validFor, with a DNS or IP
// SAN for every host.
func Generate(appURI, commonName string, hosts []string, notBefore time.Time, validFor time.Duration) ([]byte, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, Bits)
	if err != nil {
		return nil, nil, fmt.Errorf("generate RSA key: %w", err)
	}
	der, err := Sign(key, appURI, commonName, hosts, notBefore, validFor)
	return der, key, err
}

// Sign makes a self-signed certificate for an existing key.
func Sign(key *rsa.PrivateKey, appURI, commonName string, hosts []string, notBefore time.Time, validFor time.Duration) ([]byte, error) {
	uri, err := url.Parse(appURI)
	if err != nil || uri.Scheme == "" {
		return nil, fmt.Errorf("application URI %q is not a URI", appURI)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{"Vigil"}},
		NotBefore:    notBefore,
		NotAfter:     notBefore.Add(validFor),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment |
			x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		URIs:                  []*url.URL{uri},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	return der, nil
}

// Thumbprint returns the SHA-1 thumbprint of a DER certificate as upper-case
// hex, the form OPC UA tools show.
func Thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// EncodeKey returns the PEM (PKCS#1) form of key.
func EncodeKey(key *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// ParseKey reads an RSA key from PEM (PKCS#1 or PKCS#8) or DER.
func ParseKey(data []byte) (*rsa.PrivateKey, error) {
	if b, _ := pem.Decode(data); b != nil {
		data = b.Bytes
	}
	if k, err := x509.ParsePKCS1PrivateKey(data); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(data)
	if err != nil {
		return nil, errors.New("not an RSA private key in PEM or DER form")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, OPC UA needs RSA", k)
	}
	return rk, nil
}

// ParseCert reads a certificate from PEM or DER and returns its DER bytes.
func ParseCert(data []byte) ([]byte, *x509.Certificate, error) {
	if b, _ := pem.Decode(data); b != nil {
		data = b.Bytes
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, nil, fmt.Errorf("not an X.509 certificate in PEM or DER form: %w", err)
	}
	return data, c, nil
}
