package poll

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/vigil-hmi/vigil/datasource"
)

// TestNewGivesTheTableTheEnginesClock checks that a sample published into
// the engine's table without a time is stamped by the engine's clock, not
// the system's: a fake clock governs every time a test sees.
func TestNewGivesTheTableTheEnginesClock(t *testing.T) {
	tags := []*datasource.Tag{{ID: 0, Name: "Tank1.Level", Type: datasource.TypeFloat64, Calc: &datasource.CalcDef{}}} // a calculated tag needs no device
	table := datasource.NewTable(tags)
	at := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	if _, err := New(Config{Tags: tags, Table: table, Clock: clockwork.NewFakeClockAt(at)}); err != nil {
		t.Fatal(err)
	}
	table.Publish([]datasource.Sample{{Tag: 0, Value: datasource.Float(1)}})
	if got := table.Get(0).Time; !got.Equal(at) {
		t.Fatalf("sample stamped %v, want the engine's clock %v", got, at)
	}
}
