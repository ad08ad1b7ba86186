package ui

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/ui/tagbrowser"
	"github.com/vigil-hmi/vigil/ui/trend"
)

// countQueries is the shell's history, counting the queries per tag.
type countQueries struct {
	trend.Source
	mu    sync.Mutex
	asked map[string]int
}

func (c *countQueries) Query(ctx context.Context, tag string, from, to time.Time, maxPoints int) ([]history.Point, error) {
	c.mu.Lock()
	c.asked[tag]++
	c.mu.Unlock()
	return c.Source.Query(ctx, tag, from, to, maxPoints)
}

func (c *countQueries) count(tag string) (n, total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.asked {
		total += k
	}
	return c.asked[tag], total
}

// TestALargeProjectsLinesAreFilledFromHistoryAsTheirRowsShow: over
// tagbrowser.EagerLines tags the window reads a tag's last hour when its
// sparkline is made, its row first shown, and not every tag's at the start
// (at 100,000 tags that took every page of the history file into the
// window's memory, for lines never made). The names run against the IDs,
// so the tag list's first row (by name) is the overview's last (by ID).
func TestALargeProjectsLinesAreFilledFromHistoryAsTheirRowsShow(t *testing.T) {
	var q *countQueries
	n := tagbrowser.EagerLines + 1
	p := newPlantShell(t, func(_ *plantShell, d *Deps) {
		tags := make([]*datasource.Tag, n)
		for i := range tags {
			tags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: fmt.Sprintf("P%05d.Level", n-1-i), Type: datasource.TypeFloat64,
				Units: "%", History: datasource.HistorySettings{Enabled: true}}
		}
		d.Tags, d.Values = tags, datasource.NewTable(tags)
		q = &countQueries{Source: d.History, asked: map[string]int{}}
		d.History = q
	})
	settle := func(done func() bool) {
		for end := time.Now().Add(5 * time.Second); !done() && time.Now().Before(end); {
			p.drain()
			time.Sleep(5 * time.Millisecond)
		}
		p.drain()
	}
	overviewFirst := fmt.Sprintf("P%05d.Level", n-1) // ID 0
	settle(func() bool { k, _ := q.count(overviewFirst); return k > 0 })
	if k, _ := q.count(overviewFirst); k == 0 {
		t.Fatal("the overview's first line was not filled from history")
	}
	if k, _ := q.count("P00000.Level"); k != 0 {
		t.Fatal("a tag on no screen yet was read from history")
	}
	p.press(fyne.KeyF6) // the tag list: its first rows are made now
	settle(func() bool { k, _ := q.count("P00000.Level"); return k > 0 })
	k, total := q.count("P00000.Level")
	if k == 0 {
		t.Error("the tag list's first line was not filled from history when its row showed")
	}
	if total > 300 {
		t.Errorf("%d history queries for %d tags, want one per line made", total, n)
	}
}
