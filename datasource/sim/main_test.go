package sim

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start is a fixed local time of day for tests: 06:00 UTC, dawn.
var start = time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)

// newTestPlant makes a plant on a fake clock at start.
func newTestPlant(t testing.TB, seed int64, speed float64) (*Plant, *clockwork.FakeClock) {
	t.Helper()
	clk := clockwork.NewFakeClockAt(start)
	p, err := NewPlant(clk, seed, speed)
	if err != nil {
		t.Fatal(err)
	}
	return p, clk
}

// num returns a float signal's current value.
func num(t testing.TB, p *Plant, name string) float64 {
	t.Helper()
	r, err := p.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := r.Value.AsFloat()
	if !ok || r.Value.Kind() != datasource.KindFloat {
		t.Fatalf("%s = %v (%s), want a float", name, r.Value, r.Quality)
	}
	return f
}

// flag returns a bool signal's current value.
func flag(t testing.TB, p *Plant, name string) bool {
	t.Helper()
	r, err := p.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	if r.Value.Kind() != datasource.KindBool {
		t.Fatalf("%s = %v (%s), want a bool", name, r.Value, r.Quality)
	}
	return r.Value.AsBool()
}

// set writes a signal and fails the test on error.
func set(t testing.TB, p *Plant, name string, v datasource.Value) {
	t.Helper()
	if err := p.Set(name, v); err != nil {
		t.Fatalf("set %s = %v: %v", name, v, err)
	}
}
