package history

import (
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
)

// Options configure a Store. The zero Options are usable: every zero field
// takes the default documented on it.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// file before failing with ErrLocked. Default 1 s.
	LockTimeout time.Duration
	// FlushInterval is how often the open (not yet full) chunks are written,
	// and so bounds what a crash can lose. Default 5 s.
	FlushInterval time.Duration
	// Retention bounds the history kept; checked every Retention.Every.
	Retention Retention
	// Clock drives flushing, retention and ingest; default the real clock.
	Clock clockwork.Clock
	// ChunkSamples seals a chunk at this many samples. Default 2048. An open
	// chunk is held encoded as it grows (see ChunkBytes), not as samples.
	ChunkSamples int
	// ChunkBytes seals a chunk whose open, growing encoding reaches this
	// many bytes, which bounds the memory an open chunk takes per tag.
	// Default 1024: a noisy tag at 5 bytes per sample seals after about 200
	// samples, a flat one after ChunkSamples.
	ChunkBytes int
	// ChunkSpan seals a chunk that spans this long, so retention by age
	// works in steps no coarser than it. Default 6 h.
	ChunkSpan time.Duration
	// TimeResolution, when > 0, truncates appended times to a multiple of
	// it (e.g. time.Millisecond). Poll times carry scheduling jitter of
	// microseconds that costs 2-3 bytes per sample; truncated to 1 ms a
	// regular scan costs bits. A sample that then falls on its tag's
	// previous time is dropped as out of order. Default 0: times are kept
	// to the nanosecond.
	TimeResolution time.Duration
	// Logger receives corrupt-chunk reports and background errors; default
	// slog.Default().
	Logger *slog.Logger
	// NoSync skips fsync on commit. For tests and benchmarks only: a power
	// loss can then corrupt the file.
	NoSync bool
	// MaxWaiting bounds the bytes of sealed chunks kept in memory while
	// the file cannot be written (a full disk): past it the oldest are
	// dropped and logged. Default 64 MiB: about 3 minutes of 100,000 tags
	// at 1 s, hours of a small plant.
	MaxWaiting int
	// ReadOnly opens the file for reading (info, export): no background
	// work, appends fail.
	ReadOnly bool
}

// Retention bounds the history kept. Zero fields disable that bound.
type Retention struct {
	MaxAge      time.Duration // samples older than this are removed, a chunk at a time
	MaxBytes    int64         // the file's live size is kept under this; oldest chunks of all tags go first
	EventMaxAge time.Duration // journal events older than this are removed; 0 keeps them forever
	Every       time.Duration // how often the background pruning runs; default 1 min
}

func (o Options) withDefaults() Options {
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 5 * time.Second
	}
	if o.Retention.Every <= 0 {
		o.Retention.Every = time.Minute
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.ChunkSamples <= 0 {
		o.ChunkSamples = 2048
	}
	if o.ChunkSamples > 1<<20 {
		o.ChunkSamples = 1 << 20
	}
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = 1024
	}
	if o.ChunkBytes > 1<<24 { // a stream counts its bytes in an int32
		o.ChunkBytes = 1 << 24
	}
	if o.ChunkSpan <= 0 {
		o.ChunkSpan = 6 * time.Hour
	}
	if o.MaxWaiting <= 0 {
		o.MaxWaiting = 64 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
