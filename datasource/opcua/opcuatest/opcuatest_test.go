package opcuatest

import (
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource/opcua/internal/uacert"
)

func TestMain(m *testing.M) {
	log.SetOutput(io.Discard) // gopcua's server logs its node set import to the standard logger
	goleak.VerifyTestMain(m)
}

func TestCertificateHasTheSANsOPCUANeeds(t *testing.T) {
	der, key, err := Certificate()
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != uacert.Bits {
		t.Fatalf("key has %d bits, want %d", key.N.BitLen(), uacert.Bits)
	}
	_, c, err := uacert.ParseCert(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.URIs) != 1 || c.URIs[0].String() != AppURI {
		t.Fatalf("URI SANs %v, want the application URI %s", c.URIs, AppURI)
	}
	if len(c.DNSNames) == 0 || c.DNSNames[0] != "localhost" || len(c.IPAddresses) == 0 || !c.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("DNS SANs %v, IP SANs %v; want localhost and 127.0.0.1", c.DNSNames, c.IPAddresses)
	}
	if again, _, _ := Certificate(); &again[0] != &der[0] {
		t.Fatal("the certificate was generated twice")
	}
}

func TestStopRefusesConnectionsAndStartRestores(t *testing.T) {
	s := Start(t, Options{ChangeEvery: -1})
	addr := strings.TrimPrefix(s.Endpoint(), "opc.tcp://")
	dial := func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(); err != nil {
		t.Fatalf("running server refuses: %v", err)
	}
	s.Set("SetDouble", 4.5)
	s.Stop()
	if err := dial(); err == nil {
		t.Fatal("a stopped server accepts connections")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := dial(); err != nil {
		t.Fatalf("restarted server refuses: %v", err)
	}
	if v := s.Value("SetDouble"); v != 4.5 {
		t.Fatalf("value after restart %v, want 4.5 kept", v)
	}
}
