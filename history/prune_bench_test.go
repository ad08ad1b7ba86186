package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.etcd.io/bbolt"
)

// BenchmarkPrune is the store's pruning pass once a minute on a station's
// file when nothing is due: 10,000 tags with 50 sealed chunks each
// (500,000 chunks), under an age bound and a size bound that both keep
// everything. It is what retention costs a running station every minute:
// ns/op, chunks/s of file covered, B/op.
func BenchmarkPrune(b *testing.B) {
	const tags, chunks, per = 10_000, 50, 20
	path := filepath.Join(b.TempDir(), "prune.db")
	end := t0.Add(time.Duration(chunks*per) * time.Second)
	clock := clockwork.NewFakeClockAt(end)
	s, err := Open(path, Options{Logger: quiet, Clock: clock, NoSync: true, FlushInterval: time.Hour, ChunkSamples: per,
		Retention: Retention{MaxAge: 365 * 24 * time.Hour, MaxBytes: 1 << 40, Every: time.Hour}})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	names := make([]string, tags)
	for i := range names {
		names[i] = fmt.Sprintf("Plant.Unit%03d.Tag%03d", i/1000, i%1000)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	batch := make([]Sample, tags)
	for i := range chunks*per + 1 {
		tm := t0.Add(time.Duration(i) * time.Second)
		for k := range batch {
			batch[k] = Sample{Tag: names[k], Time: tm, Value: rng.Float64()}
		}
		if err := s.Append(batch); err != nil {
			b.Fatal(err)
		}
		if i%100 == 99 {
			if err := s.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	b.Run("nothing-due", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Prune(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(tags*chunks)*float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
	})
	// The size pass when the file is 1 % over its bound: the merge of the
	// tags' chunk lists that picks the oldest chunks, without deleting them.
	b.Run("size-pass-1%", func(b *testing.B) {
		var live int64
		if err := s.db.View(func(tx *bbolt.Tx) error { live = tx.Size(); return nil }); err != nil {
			b.Fatal(err)
		}
		picked := 0
		b.ReportAllocs()
		for b.Loop() {
			if err := s.db.View(func(tx *bbolt.Tx) error {
				keys, _, err := oldestChunks(context.Background(), tx, live/100, nil, prunePerPass)
				picked = len(keys)
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(picked), "chunks-picked")
	})
	if got := len(stored(b, s, names[0])); got != chunks*per+1 {
		b.Fatalf("%d samples kept of %d: the pass removed some", got, chunks*per+1)
	}
}
