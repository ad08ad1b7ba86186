package opcua

import (
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/opcua/opcuatest"
)

// testPKI is shared by every test of the binary so that the 2048-bit client
// key is generated once (slow under -race).
var testPKI string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-opcua-pki-")
	if err != nil {
		panic(err)
	}
	testPKI = dir
	log.SetOutput(io.Discard) // gopcua's server logs its node set import to the standard logger
	code := m.Run()
	for _, s := range []*opcuatest.Server{shared, fault} {
		if s != nil {
			s.Close()
		}
	}
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var (
	sharedOnce sync.Once
	shared     *opcuatest.Server
	faultOnce  sync.Once
	fault      *opcuatest.Server
)

// sharedServer returns the test server shared by the tests that neither stop
// it nor kill its subscriptions (starting one costs seconds under -race).
func sharedServer(t testing.TB) *opcuatest.Server {
	t.Helper()
	sharedOnce.Do(func() {
		s, err := opcuatest.New(opcuatest.Options{Secure: true, Users: map[string]string{"operator": "secret"}})
		if err != nil {
			t.Fatal(err)
		}
		shared = s
	})
	if shared == nil {
		t.Fatal("the shared test server did not start")
	}
	return shared
}

func testDevice(srv *opcuatest.Server) *datasource.Device {
	return &datasource.Device{
		Name:        "plc1",
		Driver:      "opcua",
		Address:     srv.Endpoint(),
		Timeout:     time.Second,
		ScanClasses: []datasource.ScanClass{{Name: "default", Rate: 50 * time.Millisecond}},
		Backoff:     datasource.Backoff{Min: 10 * time.Millisecond, Max: 100 * time.Millisecond},
	}
}

func testTag(id int, name, addr string, typ datasource.DataType) *datasource.Tag {
	return &datasource.Tag{ID: datasource.TagID(id), Name: name, Device: "plc1", Address: addr, Type: typ, Decimals: -1}
}

func newDriver(t testing.TB, dev *datasource.Device, opts Options) *Driver {
	t.Helper()
	if opts.PKIDir == "" {
		opts.PKIDir = testPKI
	}
	d, err := New(dev, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
