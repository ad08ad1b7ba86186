// Package historytest makes history files for tests of the code that opens
// them: a sound file with samples and events, and damaged copies of it (cut
// short, pages overwritten with random bytes, pages zeroed, empty, a text
// file), so every command that opens history can be run through the same
// table.
package historytest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/internal/boltwalk"
)

// Start is the time of the first sample in Sound's file.
var Start = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

// Tags are the tags of Sound's file.
var Tags = []string{"Tank1.Level", "Pump1.Speed", "Valve1.Open"}

// Sound writes a sound history file at path: an hour at 1 s of Tags in
// chunks of 256 samples (so the chunks bucket spans several pages), flushed
// every 300 samples (so the tail log has records), and 50 alarm events.
func Sound(tb testing.TB, path string) {
	tb.Helper()
	s, err := history.Open(path, history.Options{NoSync: true, ChunkSamples: 256})
	if err != nil {
		tb.Fatal(err)
	}
	batch := make([]history.Sample, 0, len(Tags))
	for i := range 3600 {
		batch = batch[:0]
		for k, tag := range Tags {
			batch = append(batch, history.Sample{Tag: tag, Time: Start.Add(time.Duration(i) * time.Second), Value: float64(i%97) + float64(k)/3})
		}
		if err := s.Append(batch); err != nil {
			tb.Fatal(err)
		}
		if i%300 == 299 { // as the background flush would
			if err := s.Flush(); err != nil {
				tb.Fatal(err)
			}
		}
	}
	evs := make([]history.Event, 50)
	for i := range evs {
		evs[i] = history.Event{Time: Start.Add(time.Duration(i) * time.Minute), Kind: "alarm", Source: Tags[0], Name: "HI", State: "active", Message: fmt.Sprintf("level high %d", i)}
	}
	if err := s.AppendEvents(evs); err != nil {
		tb.Fatal(err)
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
}

// Case is one damaged file.
type Case struct {
	Name string // says what was done to it: "truncated to 1/2"
	Path string
	// InUse is true when the damage hits the header of a page the file
	// uses (not a free page, a meta page or an overflow page), so opening
	// must refuse the file.
	InUse bool
}

// Damaged writes a sound file and damaged copies of it into dir and
// returns them: cut at several points, each page overwritten with random
// bytes, each page zeroed, 0 bytes, and a text file. The random bytes come
// from a fixed seed, so a failure repeats.
func Damaged(tb testing.TB, dir string) []Case {
	tb.Helper()
	sound := filepath.Join(dir, "sound.db")
	Sound(tb, sound)
	orig, err := os.ReadFile(sound)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := boltwalk.WalkFile(sound, nil)
	if err != nil || !res.OK() {
		tb.Fatalf("the sound file is not sound: %v %v", err, res.Problems)
	}
	pageSize := res.Meta.PageSize
	pages := len(orig) / pageSize
	// A damaged meta page is not in this list: bbolt then opens the file
	// as the other (older) one describes it, one commit earlier.
	inUse := map[int]bool{}
	for _, p := range res.Reached[2:] {
		inUse[int(p)] = true
	}
	var cases []Case
	add := func(name string, b []byte, used bool) {
		p := filepath.Join(dir, fmt.Sprintf("case%03d.db", len(cases)))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			tb.Fatal(err)
		}
		cases = append(cases, Case{Name: name, Path: p, InUse: used})
	}
	end := int(res.Meta.Pages) * pageSize
	for _, cut := range []struct {
		name string
		n    int
	}{
		{"truncated to 100 bytes", 100},
		{"truncated inside the first meta page", pageSize / 2},
		{"truncated after the meta pages", 2 * pageSize},
		{"truncated to 1/4", len(orig) / 4},
		{"truncated to 1/2", len(orig) / 2},
		{"truncated to 3/4", len(orig) * 3 / 4},
		{"truncated by one page", len(orig) - pageSize},
		{"truncated by one byte", len(orig) - 1},
	} {
		add(cut.name, orig[:cut.n], cut.n < end)
	}
	rng := rand.New(rand.NewPCG(17, 17))
	for p := range pages {
		b := append([]byte(nil), orig...)
		for i := p * pageSize; i < (p+1)*pageSize; i++ {
			b[i] = byte(rng.Uint32())
		}
		add(fmt.Sprintf("page %d overwritten with random bytes", p), b, inUse[p])
		z := append([]byte(nil), orig...)
		clear(z[p*pageSize : (p+1)*pageSize])
		add(fmt.Sprintf("page %d zeroed", p), z, inUse[p])
	}
	// Both meta pages gone: nothing says where anything is.
	b := append([]byte(nil), orig...)
	clear(b[:2*pageSize])
	add("both meta pages zeroed", b, true)
	add("0 bytes", nil, true)
	add("a text file", []byte("time,tag,value\n2026-11-28T00:00:00Z,Tank1.Level,1.5\n"), true)
	return cases
}
