package datasource

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// chunk is one published batch, shared read-only by the subscriptions it
// was delivered to. refs counts the holders; the last one to let go
// returns the array to the pool.
//
// A feed's batch is published as the driver wrote it: its samples without
// a time are stamped with the publish time (at), in place, by the first
// reader, whichever it is, exactly once (read). So the publish makes no
// pass over the batch, and a batch nobody reads is never stamped. Every
// other batch is stamped before it is published (Table.store).
type chunk struct {
	samples []Sample // read them with read: a feed's are stamped on first read
	refs    atomic.Int32
	// pending says the samples without a time are not yet stamped with at.
	// It is set before the chunk is shared and cleared, under mu, after
	// they are: a reader that sees it clear sees the stamps.
	pending atomic.Bool
	mu      sync.Mutex // held while stamping
	at      time.Time  // the publish time, for the samples without one
}

// read returns the chunk's samples, every one with its time: the one
// accessor of a shared chunk's samples, for every reader (current values,
// subscriptions, the deriver, stale marking). The first call on a feed's
// batch stamps it; the others only load a flag.
func (c *chunk) read() []Sample {
	if c.pending.Load() {
		c.stamp()
	}
	return c.samples
}

// stamp gives the samples without a time the publish time, once, however
// many readers ask at the same moment. The chunk is shared, but until
// pending is cleared no reader looks at its samples' times: they all wait
// here.
func (c *chunk) stamp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.pending.Load() {
		return
	}
	at := c.at
	for i := range c.samples {
		if s := &c.samples[i]; s.Time.IsZero() {
			s.Time = at
		}
	}
	c.pending.Store(false)
}

// stampLater makes the first read of c stamp its samples without a time
// with at. The caller has c to itself: it is not yet shared.
func (c *chunk) stampLater(at time.Time) {
	c.at = at
	c.pending.Store(true)
}

// bufferPool recycles the sample arrays of chunks, so that publishing a scan
// allocates nothing in the steady state. Arrays are kept by capacity class
// (powers of two) up to limit samples in all; beyond that they are left to
// the GC. Recycled arrays are not cleared: their strings stay reachable until
// overwritten, which bounded memory makes acceptable.
//
// What the pool keeps follows what is in use, not its peak. A consumer that
// lags for a while (history while it commits a flush) leaves many chunks in
// flight, which all come back at once when it catches up; kept for good,
// they held the pool at its bound, 51 MB at 100,000 tags, for the rest of
// the run. So every time the pool has handed out limit samples (a period:
// about 8 scans of every tag), the arrays of a class that stayed in its free
// list for the whole period, never needed, are let go (trimLocked). The
// steady state (an array per feed being read, one per feed being
// published) is taken every scan, so it stays and is never allocated again.
type bufferPool struct {
	mu      sync.Mutex
	limit   int          // samples kept at most
	kept    int          // samples in free
	free    [64][]*chunk // by bits.Len(cap)
	headers []*chunk     // chunks without an array
	// idle is, per class, the fewest arrays its free list held since the
	// period began: that many were not needed in it.
	idle   [64]int
	handed int // samples handed out by get since the period began
}

// maxHeaders bounds the spare chunk headers; minBuffer is the smallest
// array the pool makes, so that single-sample publishes share one class.
const (
	maxHeaders = 64
	minBuffer  = 16
)

// get returns a chunk whose array is empty with capacity for n samples.
func (p *bufferPool) get(n int) *chunk {
	n = max(n, minBuffer)
	p.mu.Lock()
	defer p.mu.Unlock()
	k := capClass(n)
	// Class k holds capacities in [2^(k-1), 2^k): some fit n; class k+1 all do
	// and wastes at most 4x.
	for cl := k; cl <= k+1 && cl < len(p.free); cl++ {
		free := p.free[cl]
		for i := len(free) - 1; i >= 0; i-- {
			if c := free[i]; cap(c.samples) >= n {
				free[i] = free[len(free)-1]
				free[len(free)-1] = nil
				p.free[cl] = free[:len(free)-1]
				p.idle[cl] = min(p.idle[cl], len(free)-1)
				p.kept -= cap(c.samples)
				p.handedLocked(cap(c.samples))
				return c
			}
		}
	}
	c := p.headerLocked()
	c.samples = make([]Sample, 0, n)
	p.handedLocked(n)
	return c
}

// handedLocked counts n samples handed out and ends the period when they
// reach limit. The caller holds p.mu.
func (p *bufferPool) handedLocked(n int) {
	p.handed += n
	if p.handed >= p.limit {
		p.trimLocked()
	}
}

// trimLocked lets go of the arrays that were not needed in the period
// ending now (see bufferPool) and begins the next. The free lists are
// stacks, so the arrays that stayed are at their bottoms. The caller holds
// p.mu.
func (p *bufferPool) trimLocked() {
	for cl, free := range p.free {
		if k := p.idle[cl]; k > 0 {
			for _, c := range free[:k] {
				p.kept -= cap(c.samples)
				c.samples = nil
				if len(p.headers) < maxHeaders {
					p.headers = append(p.headers, c)
				}
			}
			m := copy(free, free[k:])
			clear(free[m:])
			p.free[cl] = free[:m]
		}
		p.idle[cl] = len(p.free[cl])
	}
	p.handed = 0
}

// capClass is the class of capacity n: its bit length.
func capClass(n int) int { return bits.Len(uint(n)) }

// header returns a chunk without an array.
func (p *bufferPool) header() *chunk {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.headerLocked()
}

func (p *bufferPool) headerLocked() *chunk {
	if n := len(p.headers); n > 0 {
		c := p.headers[n-1]
		p.headers[n-1] = nil
		p.headers = p.headers[:n-1]
		return c
	}
	return new(chunk)
}

// putHeader keeps c's header and forgets its array (lent out by Buffer).
func (p *bufferPool) putHeader(c *chunk) {
	c.samples = nil
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.headers) < maxHeaders {
		p.headers = append(p.headers, c)
	}
}

// putArray keeps an array given back without being published.
func (p *bufferPool) putArray(buf []Sample) {
	c := p.header()
	c.samples = buf
	p.put(c)
}

// release drops one reference to c and recycles it after the last.
func (p *bufferPool) release(c *chunk) {
	if c.refs.Add(-1) == 0 {
		p.put(c)
	}
}

// put keeps c's array (and header) for reuse when there is room. Nobody
// holds c any more, so it starts afresh: nothing to stamp.
func (p *bufferPool) put(c *chunk) {
	c.samples = c.samples[:0]
	c.pending.Store(false)
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := capClass(cap(c.samples)); p.kept+cap(c.samples) <= p.limit && k < len(p.free) {
		p.free[k] = append(p.free[k], c)
		p.kept += cap(c.samples)
		return
	}
	c.samples = nil
	if len(p.headers) < maxHeaders {
		p.headers = append(p.headers, c)
	}
}
