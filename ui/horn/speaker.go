package horn

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ebitengine/oto/v3"

	"github.com/vigil-hmi/vigil/datasource"
)

// Speaker is the Sink of a real station: the tones of Patterns through the
// system's audio output. It opens the device in the background, so a
// station starts at once even when the audio system is slow or absent;
// until the device is open, or when there is none, it cannot sound and
// says so (Err), and the station carries on.
type Speaker struct {
	mu     sync.Mutex // guards what follows
	ctx    *oto.Context
	player *oto.Player
	src    *source
	err    error // why it cannot sound; nil once it can
	want   datasource.Priority
}

// ErrOpening is Speaker.Err while the audio device is still being opened.
var ErrOpening = errors.New("opening the audio device")

// NewSpeaker starts opening the audio output. Only one Speaker can exist in
// a process (the audio library allows one context).
func NewSpeaker() *Speaker {
	s := &Speaker{err: ErrOpening}
	ctx, ready, err := oto.NewContext(&oto.NewContextOptions{SampleRate: SampleRate, ChannelCount: 1, Format: oto.FormatSignedInt16LE,
		BufferSize: 100 * time.Millisecond})
	if err != nil {
		s.err = fmt.Errorf("no audio output: %w", err)
		return s
	}
	go func() {
		<-ready // closed by the library once the device is open or failed
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := ctx.Err(); err != nil {
			s.err = fmt.Errorf("no audio output: %w", err)
			return
		}
		s.ctx, s.err = ctx, nil
		// Nothing plays while the horn is quiet: the device is suspended so
		// an idle station does not mix silence.
		_ = ctx.Suspend() // an error here leaves it running, which is harmless
		s.apply()
	}()
	return s
}

// Err says why the speaker cannot sound; nil when it can.
func (s *Speaker) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Sound implements Sink.
func (s *Speaker) Sound(p datasource.Priority) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.want = p
	s.apply()
}

// apply plays the wanted tone, if the device is open. s.mu is held.
func (s *Speaker) apply() {
	if s.ctx == nil {
		return
	}
	if s.player != nil {
		s.player.Pause()
	}
	if s.want == 0 {
		_ = s.ctx.Suspend()
		return
	}
	_ = s.ctx.Resume()
	if s.src == nil {
		s.src = &source{}
		s.player = s.ctx.NewPlayer(s.src)
	}
	s.src.set(Patterns[s.want])
	s.player.Play()
}

// source is the endless PCM stream the player reads: the current tone.
type source struct {
	mu sync.Mutex
	t  tone
}

func (r *source) set(p Pattern) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.t.p != p {
		r.t = tone{p: p}
	}
}

// Read implements io.Reader for the player.
func (r *source) Read(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.t.fill(b), nil
}
