package sparkplug

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// HostState is the payload of a primary host application's STATE message
// (Sparkplug B 3.0): JSON {"online":true,"timestamp":<ms since 1970>}. The
// host publishes it online, retained at QoS 1, once it has subscribed, and
// leaves the same with online false and the same timestamp as its MQTT
// will; edge nodes that name the host publish only while it is online.
type HostState struct {
	Online    bool  `json:"online"`
	Timestamp int64 `json:"timestamp"` // ms since 1970, UTC: the host's connect time
}

// StateTopic returns the topic of host's STATE message.
func StateTopic(host string) Topic { return Topic{Type: STATE, HostID: host} }

// EncodeState encodes a STATE payload.
func EncodeState(online bool, at time.Time) []byte {
	b, _ := json.Marshal(HostState{Online: online, Timestamp: at.UnixMilli()}) // two plain fields: cannot fail
	return b
}

// DecodeState decodes a STATE payload: both fields are required.
func DecodeState(b []byte) (HostState, error) {
	var raw struct {
		Online    *bool  `json:"online"`
		Timestamp *int64 `json:"timestamp"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return HostState{}, fmt.Errorf("sparkplug: STATE payload: %w", err)
	}
	if raw.Online == nil || raw.Timestamp == nil {
		return HostState{}, errors.New(`sparkplug: STATE payload: want {"online":BOOL,"timestamp":MS}`)
	}
	return HostState{Online: *raw.Online, Timestamp: *raw.Timestamp}, nil
}

// hostWatch follows the STATE of the primary host on one connection of an
// edge node. A message counts only when it is newer than the last one that
// counted: a later timestamp, or the same one going offline (the will of a
// session carries the timestamp of its birth). Without a message yet the
// host is offline.
type hostWatch struct {
	changed chan struct{} // cap 1: the state may have changed

	mu    sync.Mutex
	seen  bool
	state HostState
}

func newHostWatch() *hostWatch { return &hostWatch{changed: make(chan struct{}, 1)} }

// observe takes one STATE payload.
func (w *hostWatch) observe(payload []byte) error {
	s, err := DecodeState(payload)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err != nil:
		return err
	case w.seen && (s.Timestamp < w.state.Timestamp || s.Timestamp == w.state.Timestamp && s.Online):
		return nil // stale: an older session's, or a repeat
	}
	w.seen, w.state = true, s
	select {
	case w.changed <- struct{}{}:
	default: // one is pending already
	}
	return nil
}

// online reports whether the host is online, and the timestamp of the
// STATE that said so.
func (w *hostWatch) online() (bool, int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen && w.state.Online, w.state.Timestamp
}
