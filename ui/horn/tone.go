package horn

import (
	"math"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
)

// SampleRate is the rate of the generated tones, in samples per second.
const SampleRate = 44100

// Pattern is one priority's tone: a sine of Freq hertz, on for On, off for
// Off, repeated. Each priority has its own pitch and rhythm, so an operator
// knows the priority by ear, as ISA-18.2 asks.
type Pattern struct {
	Freq    float64
	On, Off time.Duration
}

// Patterns are the tones by priority: the more urgent, the higher and the
// faster.
var Patterns = map[datasource.Priority]Pattern{
	datasource.PriorityCritical: {Freq: 1000, On: 250 * time.Millisecond, Off: 250 * time.Millisecond},
	datasource.PriorityHigh:     {Freq: 750, On: 500 * time.Millisecond, Off: 500 * time.Millisecond},
	datasource.PriorityMedium:   {Freq: 560, On: 300 * time.Millisecond, Off: 2 * time.Second},
	datasource.PriorityLow:      {Freq: 420, On: 200 * time.Millisecond, Off: 5 * time.Second},
}

// tone generates a Pattern as signed 16-bit little-endian mono PCM.
type tone struct {
	p Pattern
	n int // samples generated since the pattern began
}

// fill writes whole samples of the tone into b and returns the bytes
// written. The start and end of every beep ramp over 5 ms so it does not
// click.
func (t *tone) fill(b []byte) int {
	on := int(t.p.On.Seconds() * SampleRate)
	period := on + int(t.p.Off.Seconds()*SampleRate)
	ramp := SampleRate / 200
	if on <= 0 || period <= 0 {
		clear(b) // no pattern: silence
		return len(b) &^ 1
	}
	w := 0
	for ; w+1 < len(b); w += 2 {
		i := t.n % period
		var v float64
		if i < on {
			env := 1.0
			if i < ramp {
				env = float64(i) / float64(ramp)
			} else if on-i < ramp {
				env = float64(on-i) / float64(ramp)
			}
			v = env * 0.5 * math.Sin(2*math.Pi*t.p.Freq*float64(t.n)/SampleRate)
		}
		s := int16(v * math.MaxInt16)
		b[w], b[w+1] = byte(s), byte(s>>8)
		t.n++
	}
	return w
}
