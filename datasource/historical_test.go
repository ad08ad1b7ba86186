package datasource

import (
	"context"
	"testing"
	"time"
)

// TestHistoricalSamplesReachOnlyTheSubscriptionsThatAskForThem: a
// historical batch changes no current value, runs no deriver, and reaches
// only a subscription that called ReceiveHistorical, apart from its live
// samples; a plain subscription (alarms, the UI) never sees it.
func TestHistoricalSamplesReachOnlyTheSubscriptionsThatAskForThem(t *testing.T) {
	tab := NewTable(tagsN(2))
	d := &countingDeriver{}
	tab.Engine().SetDeriver(d)
	live := tab.Subscribe("alarms", 100)
	hist := tab.Subscribe("history", 100)
	hist.ReceiveHistorical()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	tab.Publish([]Sample{{Tag: 0, Value: Float(9), Quality: QualityGood, Time: now}})
	runs := d.runs
	tab.Engine().PublishHistorical([]Sample{
		{Tag: 0, Value: Float(1), Quality: QualityGood, Time: now.Add(-2 * time.Second)},
		{Tag: 1, Value: Float(2), Quality: QualityGood, Time: now.Add(-time.Second)},
	})
	if s := tab.Get(0); s.Value != Float(9) || !s.Time.Equal(now) {
		t.Errorf("tag 0 is %v at %v after a historical batch, want 9 at %v", s.Value, s.Time, now)
	}
	if s := tab.Get(1); s.Quality != BadQuality(WaitingForInitialData) {
		t.Errorf("tag 1 is %v %v after a historical batch, want still waiting", s.Value, s.Quality)
	}
	if d.runs != runs {
		t.Errorf("the deriver ran %d times for a historical batch", d.runs-runs)
	}
	if got := live.TryRecv(nil); len(got) != 1 || got[0].Value != Float(9) {
		t.Errorf("plain subscription got %v, want the one live sample", got)
	}
	if got := live.TryRecvHistorical(nil); len(got) != 0 {
		t.Errorf("plain subscription got historical %v", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := hist.Recv(ctx, nil)
	if err != nil || len(got) != 1 || got[0].Value != Float(9) {
		t.Fatalf("history's live samples %v %v, want the one live sample", got, err)
	}
	if got := hist.TryRecvHistorical(nil); len(got) != 2 || got[0].Value != Float(1) || got[1].Value != Float(2) {
		t.Errorf("history's historical samples %v, want 1 and 2", got)
	}
	// Only historical samples waiting: Recv returns (with none) instead of
	// waiting for the next live batch.
	tab.Engine().PublishHistorical([]Sample{{Tag: 1, Value: Float(3), Time: now.Add(-time.Second / 2)}})
	if got, err := hist.Recv(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("Recv with only historical samples waiting: %v %v", got, err)
	}
	if got := hist.TryRecvHistorical(nil); len(got) != 1 || got[0].Value != Float(3) {
		t.Errorf("history's historical samples %v, want 3", got)
	}
}

type countingDeriver struct{ runs int }

func (d *countingDeriver) Derive(_ []Sample, _ time.Time, out []Sample) []Sample {
	d.runs++
	return out
}
