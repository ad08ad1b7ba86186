package trend

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-hmi/vigil/history"
)

// defaultPlotWidth decimates before the first layout tells the real width.
const defaultPlotWidth = 1000

// request is one reload of every pen for a range.
type request struct {
	gen      uint64
	from, to time.Time
	tags     []string
	maxPts   int
}

// requestLoad queues a reload of the visible range. A request still pending
// is replaced: only the newest range matters to the operator.
func (c *Chart) requestLoad() {
	c.mu.Lock()
	c.gen++
	w := c.plotW
	if w <= 0 {
		w = defaultPlotWidth
	}
	r := &request{gen: c.gen, from: c.to.Add(-c.span), to: c.to, maxPts: 4 * w}
	for _, p := range c.pens {
		r.tags = append(r.tags, p.Tag)
	}
	c.pending = r
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // a wake-up is already queued; it will take the newest request
	}
}

// loadLoop runs the queries, one request at a time, until Close.
func (c *Chart) loadLoop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.wake:
		}
		c.mu.Lock()
		r := c.pending
		c.pending = nil
		c.mu.Unlock()
		if r == nil {
			continue
		}
		pts, err := c.query(r)
		if c.ctx.Err() != nil {
			return
		}
		c.do(func() { c.apply(r, pts, err) })
	}
}

// query loads every pen of r; it stops early when a newer request arrives.
func (c *Chart) query(r *request) (map[string][]history.Point, error) {
	out := make(map[string][]history.Point, len(r.tags))
	for _, tag := range r.tags {
		if c.superseded(r) {
			return nil, nil
		}
		pts, err := c.src.Query(c.ctx, tag, r.from, r.to, r.maxPts)
		if err != nil {
			return out, fmt.Errorf("trend %s: %w", tag, err)
		}
		if pts, err = c.withValueAtStart(tag, r.from, pts); err != nil {
			return out, fmt.Errorf("trend %s: %w", tag, err)
		}
		out[tag] = pts
	}
	return out, nil
}

// ValueAtSource is a Source that also gives the value in force at a time;
// history.Store is one. The chart then draws a value that last changed
// before the visible range from the range's left edge, instead of leaving
// the plot empty until the next change (a setpoint changed yesterday).
type ValueAtSource interface {
	ValueAt(ctx context.Context, tag string, t time.Time) (history.Point, error)
}

// withValueAtStart prepends the value in force at from, placed at from,
// when pts do not start there and the Source can tell it.
func (c *Chart) withValueAtStart(tag string, from time.Time, pts []history.Point) ([]history.Point, error) {
	va, ok := c.src.(ValueAtSource)
	if !ok || (len(pts) > 0 && !pts[0].Time.After(from)) {
		return pts, nil
	}
	pt, err := va.ValueAt(c.ctx, tag, from)
	if errors.Is(err, history.ErrNoData) {
		return pts, nil // nothing stored before the range: the plot starts at the first sample
	}
	if err != nil {
		return pts, err
	}
	pt.Time = from
	return append([]history.Point{pt}, pts...), nil
}

func (c *Chart) superseded(r *request) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen != r.gen
}

// apply stores the result of r (on the UI goroutine) unless a newer request
// superseded it.
func (c *Chart) apply(r *request, pts map[string][]history.Point, err error) {
	c.mu.Lock()
	fresh := r.gen == c.gen
	if fresh {
		for _, p := range c.pens {
			if v, ok := pts[p.Tag]; ok {
				p.pts = v
			}
		}
		c.loadErr = err
		c.scalesStale = true
	}
	c.mu.Unlock()
	if fresh {
		c.Refresh()
	}
	// Signal after the repaint, so a waiter sees the new picture.
	c.mu.Lock()
	c.doneGen = max(c.doneGen, r.gen)
	c.mu.Unlock()
}

// tickLoop advances a live chart every d until Close.
func (c *Chart) tickLoop(d time.Duration) {
	defer c.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			c.do(c.Advance)
		}
	}
}
