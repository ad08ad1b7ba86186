package cli

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/history"
)

// The edge node reads an outage back from a real history file through the
// adapter: every stored sample, a Bad one as a NaN gap with its quality.
func TestStoredPointsReadTheHistoryFileForTheEdgeNode(t *testing.T) {
	store, err := history.Open(filepath.Join(t.TempDir(), "h.db"), history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	t0 := time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)
	bad := datasource.BadQuality(datasource.NotConnected)
	if err := store.Append([]history.Sample{
		{Tag: "Tank1.Level", Time: t0, Value: 12.5},
		{Tag: "Tank1.Level", Time: t0.Add(time.Second), Value: 13, Quality: bad},
		{Tag: "Tank1.Level", Time: t0.Add(2 * time.Second), Value: 14},
	}); err != nil {
		t.Fatal(err)
	}
	pts, err := storedPoints{store}.StoredPoints(context.Background(), "Tank1.Level", t0, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || !pts[0].Time.Equal(t0) || pts[0].Value != 12.5 || !pts[0].Quality.IsGood() ||
		!math.IsNaN(pts[1].Value) || pts[1].Quality != bad {
		t.Fatalf("stored points %+v, want 12.5 Good at %s then a Bad gap", pts, t0)
	}
}
