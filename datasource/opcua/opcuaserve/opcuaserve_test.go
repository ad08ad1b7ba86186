package opcuaserve

import (
	"context"
	"errors"
	"io"
	"log"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopcua/opcua/ua"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/opcua"
	"github.com/vigil-hmi/vigil/datasource/opcua/opcuatest"
)

func TestMain(m *testing.M) {
	log.SetOutput(io.Discard) // gopcua's server logs its node set import to the standard logger
	goleak.VerifyTestMain(m)
}

// plant is a Source of a few tags with a write path that enforces limits.
type plant struct {
	mu      sync.Mutex
	samples map[datasource.TagID]datasource.Sample
	writes  []datasource.Value
}

var errLimit = errors.New("outside the write limits 0..100")

func (p *plant) Get(id datasource.TagID) datasource.Sample {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.samples[id]
}

func (p *plant) Write(_ context.Context, id datasource.TagID, v datasource.Value) error {
	f, _ := v.AsFloat()
	if f < 0 || f > 100 {
		return errLimit
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes = append(p.writes, v)
	s := p.samples[id]
	s.Value, s.Time = v, time.Now()
	p.samples[id] = s
	return nil
}

func (p *plant) set(id datasource.TagID, s datasource.Sample) {
	p.mu.Lock()
	s.Tag = id
	p.samples[id] = s
	p.mu.Unlock()
}

func TestServedTagsReadWriteAndSubscribeThroughTheDriver(t *testing.T) {
	t0 := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	tags := []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Type: datasource.TypeFloat32},
		{ID: 1, Name: "Tank1.LevelSP", Type: datasource.TypeFloat64, Writable: true},
		{ID: 2, Name: "Pump1.Running", Type: datasource.TypeBool},
		{ID: 3, Name: "Pump1.Starts", Type: datasource.TypeUint32},
		{ID: 4, Name: "Meter1.Flow", Type: datasource.TypeFloat32},
		{ID: 5, Name: "Line.Name", Type: datasource.TypeString},
	}
	src := &plant{samples: map[datasource.TagID]datasource.Sample{}}
	src.set(0, datasource.Sample{Value: datasource.Float(42.5), Time: t0})
	src.set(1, datasource.Sample{Value: datasource.Float(50), Time: t0})
	src.set(2, datasource.Sample{Value: datasource.Bool(true), Time: t0})
	src.set(3, datasource.Sample{Value: datasource.Uint(7), Time: t0})
	src.set(4, datasource.Sample{Quality: datasource.BadQuality(datasource.CommFailure), Time: t0})
	src.set(5, datasource.Sample{Value: datasource.String("north"), Quality: datasource.UncertainQuality(datasource.LastKnown), Time: t0})
	der, key, err := opcuatest.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(tags, src, Options{Addr: "127.0.0.1:0", Rate: 20 * time.Millisecond, Certificate: der, PrivateKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	dev := &datasource.Device{Name: "sim", Driver: "opcua", Address: srv.Endpoint(), Timeout: time.Second}
	d, err := opcua.New(dev, opcua.Options{PKIDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	client := make([]*datasource.Tag, len(tags))
	for i, tg := range tags {
		c := *tg
		c.Address = srv.NodeID(tg.Name)
		client[i] = &c
	}
	if !strings.HasPrefix(client[0].Address, "ns=") || !strings.HasSuffix(client[0].Address, ";s=Tank1.Level") {
		t.Fatalf("NodeID %q, want ns=<n>;s=Tank1.Level", client[0].Address)
	}
	pl, err := d.Prepare(client)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Read(context.Background(), pl, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		v datasource.Value
		q datasource.Quality
	}{
		{datasource.Float(42.5), datasource.QualityGood},
		{datasource.Float(50), datasource.QualityGood},
		{datasource.Bool(true), datasource.QualityGood},
		{datasource.Uint(7), datasource.QualityGood},
		{datasource.Value{}, datasource.BadQuality(datasource.CommFailure)},
		{datasource.String("north"), datasource.UncertainQuality(datasource.LastKnown)},
	}
	for i, w := range want {
		if got[i].Value != w.v || got[i].Quality != w.q || !got[i].Time.Equal(t0) {
			t.Errorf("%s = %v %v %v, want %v %v %v", tags[i].Name, got[i].Value, got[i].Quality, got[i].Time, w.v, w.q, t0)
		}
	}

	// A write within limits reaches the source and reads back at once.
	if err := d.Write(context.Background(), client[1], datasource.Float(61.5)); err != nil {
		t.Fatal(err)
	}
	got, _ = d.Read(context.Background(), pl, got[:0])
	if got[1].Value != datasource.Float(61.5) {
		t.Fatalf("read back %v, want 61.5", got[1].Value)
	}
	// The source's refusal is the client's BadNotWritable.
	if err := d.Write(context.Background(), client[1], datasource.Float(150)); !errors.Is(err, ua.StatusBadNotWritable) {
		t.Fatalf("write outside the limits = %v, want BadNotWritable", err)
	}
	// A tag that is not writable refuses.
	if err := d.Write(context.Background(), client[0], datasource.Float(1)); !errors.Is(err, ua.StatusBadNotWritable) {
		t.Fatalf("write of a read-only tag = %v, want BadNotWritable", err)
	}
	src.mu.Lock()
	nw := len(src.writes)
	src.mu.Unlock()
	if nw != 1 {
		t.Fatalf("the source saw %d writes, want 1", nw)
	}

	// Changes in the source reach a subscriber.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := make(chan datasource.Sample, 100)
	done := make(chan error, 1)
	go func() {
		done <- d.Subscribe(ctx, pl, 20*time.Millisecond, func(b []datasource.Sample) {
			for _, s := range b {
				select {
				case changed <- s:
				default:
				}
			}
		})
	}()
	src.set(0, datasource.Sample{Value: datasource.Float(43.25), Time: time.Now()})
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		select {
		case s := <-changed:
			seen = s.Tag == 0 && s.Value == datasource.Float(43.25)
		case <-deadline:
			t.Fatal("the source's change did not reach the subscriber")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestNewRefusesABadAddress(t *testing.T) {
	for _, addr := range []string{"localhost", "127.0.0.1:http", "127.0.0.1:70000"} {
		if _, err := New(nil, &plant{}, Options{Addr: addr, Certificate: []byte{1}, PrivateKey: nil}); err == nil {
			t.Errorf("New with address %q succeeded", addr)
		}
	}
}
