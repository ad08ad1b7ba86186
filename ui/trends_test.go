package ui

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/ui/internal/uitest"
)

func TestTrendsScreenStartsWithPensAndPresetsSetTheWindow(t *testing.T) {
	store, err := history.Open(filepath.Join(t.TempDir(), "h.db"), history.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC)
	var batch []history.Sample
	for i := 0; i < 3600; i++ {
		batch = append(batch, history.Sample{Tag: "Tank1.Level", Time: now.Add(time.Duration(i-3600) * time.Second), Value: 50 + float64(i%100)/10})
	}
	if err := store.Append(batch); err != nil {
		t.Fatal(err)
	}
	tags := []*datasource.Tag{
		{ID: 0, Name: "Tank1.Level", Type: datasource.TypeFloat32, Units: "%", Decimals: 1, Span: datasource.Range{Max: 100}, History: datasource.HistorySettings{Enabled: true},
			Alarms: []datasource.AlarmDef{{Kind: datasource.AlarmHi, Limit: 90}}},
		{ID: 1, Name: "Pump1.Vibration", Type: datasource.TypeFloat32, Units: "mm/s", Decimals: 2, Span: datasource.Range{Max: 10}, History: datasource.HistorySettings{Enabled: true}},
		{ID: 2, Name: "NoHistory", History: datasource.HistorySettings{Enabled: false}},
		{ID: 3, Name: "Pump1.Running", Type: datasource.TypeBool, Writable: true, States: map[int64]string{0: "STOPPED", 1: "RUNNING"},
			History: datasource.HistorySettings{Enabled: true}},
	}
	queue := make(chan func(), 1024)
	drain := func() {
		for {
			select {
			case f := <-queue:
				f()
			default:
				return
			}
		}
	}
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	s := Create(a, w, Deps{Tags: tags, Values: datasource.NewTable(tags), Now: func() time.Time { return now },
		Devices: func() []poll.DeviceStatus { return nil }, Refresh: time.Hour, History: store,
		Do: func(f func()) { queue <- f }})
	defer s.Stop()
	defer drain()
	w.Resize(fyne.NewSize(1200, 700))

	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyF3})
	if s.Screen() != "Trends" {
		t.Fatalf("F3 shows %q, want Trends", s.Screen())
	}
	pens := s.trends.chart.Pens()
	if len(pens) != 3 || pens[0].Tag != "Tank1.Level" || pens[0].Units != "%" || len(pens[0].Limits) != 1 {
		t.Fatalf("initial pens %+v, want the three tags with history, with units and the Hi limit", pens)
	}
	// The analog level ramps; the pump's run state steps, on its own axis
	// of state words.
	if pens[0].Step || pens[0].States != nil {
		t.Errorf("the level pen steps %v / has states %v, want a linear analog pen", pens[0].Step, pens[0].States)
	}
	if !pens[2].Step || pens[2].States[1] != "RUNNING" {
		t.Errorf("the pump pen steps %v with states %v, want steps and RUNNING", pens[2].Step, pens[2].States)
	}
	if got := label(t, w.Content(), "Tank1.Level ✕"); got == "" {
		// Buttons render their text in a label-like object; look for the chip.
		found := false
		for _, o := range s.trends.pens.Objects {
			if b, ok := o.(*widget.Button); ok && b.Text == "Tank1.Level ✕" {
				found = true
			}
		}
		if !found {
			t.Fatal("no removable chip for the Tank1.Level pen")
		}
	}
	// The 8 h preset sets an 8 h window ending now.
	for _, o := range test.LaidOutObjects(w.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "8 h" {
			test.Tap(b)
		}
	}
	time.Sleep(50 * time.Millisecond) // let the chart's loader answer
	drain()
	from, to := s.trends.chart.Range()
	if to.Sub(from) != 8*time.Hour {
		t.Fatalf("after 8 h the window is %v", to.Sub(from))
	}
	// The window shown is named and its preset highlighted.
	s.trends.update(nil, now)
	if got := s.trends.window.Text; got != "8 h · live" {
		t.Errorf("window label %q, want 8 h · live", got)
	}
	for i, b := range s.trends.presets {
		if (b.Importance == widget.HighImportance) != (b.Text == "8 h") {
			t.Errorf("preset %d %q importance %v: only 8 h should be highlighted", i, b.Text, b.Importance)
		}
	}
	// An export confirms with its file's path.
	s.trends.exported("/tmp/x/trend.png", nil, nil)
	if !overlayHas(w, "Exported to /tmp/x/trend.png") {
		t.Error("the export did not confirm with its path")
	}
	// Removing a pen by its chip.
	for _, o := range s.trends.pens.Objects {
		if b, ok := o.(*widget.Button); ok && b.Text == "Pump1.Vibration ✕" {
			test.Tap(b)
		}
	}
	if got := len(s.trends.chart.Pens()); got != 2 {
		t.Fatalf("%d pens after removing one, want 2", got)
	}
}

// overlayHas reports whether a dialog over w shows a label with text.
func overlayHas(w fyne.Window, text string) bool {
	for _, ov := range w.Canvas().Overlays().List() {
		for _, o := range test.LaidOutObjects(ov) {
			if l, ok := o.(*widget.Label); ok && l.Text == text {
				return true
			}
		}
	}
	return false
}

// blockingSource answers trend queries at once until block is set; then a
// query waits for release (or its context), as one waits for a busy disk.
type blockingSource struct {
	block   atomic.Bool
	started chan struct{} // closed by the first blocked query
	release chan struct{}
	once    sync.Once
}

func (b *blockingSource) Query(ctx context.Context, tag string, from, to time.Time, maxPoints int) ([]history.Point, error) {
	if !b.block.Load() {
		return nil, nil
	}
	b.once.Do(func() { close(b.started) })
	select {
	case <-b.release:
		return []history.Point{{Time: to.Add(-time.Minute), Value: 42}}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(10 * time.Second):
		// Only an export that waits for its query gets here (the test
		// cannot release it): it then fails on what it shows.
		return nil, errors.New("released by the fallback")
	}
}

// nopCloser is a file the export writes to.
type nopCloser struct{ bytes.Buffer }

func (*nopCloser) Close() error { return nil }

func TestACSVExportQueriesInTheBackgroundAndConfirmsWhenDone(t *testing.T) {
	src := &blockingSource{started: make(chan struct{}), release: make(chan struct{})}
	now := time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC)
	tags := []*datasource.Tag{{ID: 0, Name: "Tank1.Level", Type: datasource.TypeFloat32, History: datasource.HistorySettings{Enabled: true}}}
	q := uitest.NewQueue()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	ts := newTrendScreen(w, tags, src, func() time.Time { return now }, q.Do, nil)
	defer ts.close()
	ts.add("Tank1.Level")
	src.block.Store(true)

	var file nopCloser
	ts.writeExport("/tmp/x/trend.csv", &file, ts.chart.ExportCSV, true) // returns while the query waits
	<-src.started
	if ts.lastExport != "" || file.Len() != 0 {
		t.Fatalf("the export finished (%q, %d bytes) before its query was answered: it ran on the UI goroutine", ts.lastExport, file.Len())
	}
	close(src.release)
	q.Settle(t, "the export's confirmation", 10*time.Second, func() bool { return ts.lastExport != "" })
	if ts.lastExport != "/tmp/x/trend.csv" || !strings.Contains(file.String(), ",42\r\n") {
		t.Errorf("confirmed %q, wrote %q", ts.lastExport, file.String())
	}
}

func TestClosingTheTrendsScreenCancelsAnExportInFlight(t *testing.T) {
	src := &blockingSource{started: make(chan struct{}), release: make(chan struct{})}
	tags := []*datasource.Tag{{ID: 0, Name: "Tank1.Level", Type: datasource.TypeFloat32, History: datasource.HistorySettings{Enabled: true}}}
	q := uitest.NewQueue()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	ts := newTrendScreen(w, tags, src, time.Now, q.Do, nil)
	ts.add("Tank1.Level")
	src.block.Store(true)
	var file nopCloser
	ts.writeExport("/tmp/x/trend.csv", &file, ts.chart.ExportCSV, true)
	<-src.started
	ts.close() // returns only once the query has seen the cancel
	q.Drain()
	if ts.lastExport != "" {
		t.Errorf("an export cancelled by closing the screen confirmed %q", ts.lastExport)
	}
}
