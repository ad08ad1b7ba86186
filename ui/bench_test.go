package ui

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// BenchmarkShellRefresh measures one UI refresh tick (snapshot of the table,
// every visible cell updated, status line) with 2,000 tags whose values all
// changed since the last tick, in a window tall enough to show every row.
func BenchmarkShellRefresh(b *testing.B) {
	const n = 2000
	tags := make([]*datasource.Tag, n)
	for i := range tags {
		tags[i] = &datasource.Tag{ID: datasource.TagID(i), Name: fmt.Sprintf("Area%d.Tag%04d", i%10, i),
			Description: "benchmark tag", Units: "°C", Decimals: 2}
	}
	table := datasource.NewTable(tags)
	a := test.NewApp()
	defer a.Quit()
	w := a.NewWindow("bench")
	defer w.Close()
	s := Create(a, w, Deps{Tags: tags, Values: table, Refresh: time.Hour,
		Devices: func() []poll.DeviceStatus { return []poll.DeviceStatus{{Name: "plc", State: poll.Connected}} }})
	defer s.Stop()
	s.ShowScreen("Tags")
	w.Resize(fyne.NewSize(1280, n*30))
	batch := make([]datasource.Sample, n)
	now := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range batch {
			batch[j] = datasource.Sample{Tag: datasource.TagID(j), Value: datasource.Float(float64(i + j)), Time: now}
		}
		table.Publish(batch)
		s.refresh()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/tick")
}
