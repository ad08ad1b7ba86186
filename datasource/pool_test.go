package datasource

import "testing"

// After a lagging consumer gave back many arrays at once, the pool keeps
// only what the steady state uses, a period later; the steady state itself
// is never allocated again, across the periods.
func TestPoolLetsGoOfArraysNotNeededForAPeriod(t *testing.T) {
	p := &bufferPool{limit: 1000}
	var spike []*chunk
	for range 40 { // a lag: 40 arrays in flight at once
		spike = append(spike, p.get(16))
	}
	for _, c := range spike {
		p.put(c) // as release does after the last reference
	}
	if p.kept != 40*16 {
		t.Fatalf("kept %d samples after the lag, want %d", p.kept, 40*16)
	}
	// The steady state: two arrays in flight, taken in turn (one being
	// read, one published), for two periods.
	a, b := p.get(16), p.get(16)
	for range 2 * p.limit / 16 {
		p.put(a)
		a, b = b, p.get(16)
	}
	if p.kept != 0 {
		t.Fatalf("kept %d samples free with two arrays in use, want 0: the lag's arrays were never let go", p.kept)
	}
	p.put(a)
	p.put(b)
	allocs := testing.AllocsPerRun(2*p.limit/16, func() {
		a, b := p.get(16), p.get(16)
		p.put(a)
		p.put(b)
	})
	if allocs != 0 {
		t.Fatalf("the steady state allocated %.1f times per scan across periods, want 0", allocs)
	}
	if p.kept != 2*16 {
		t.Fatalf("kept %d samples, want the steady state's 2 arrays (32)", p.kept)
	}
}
