package guard

import (
	"sync"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/history/audit"
)

// Trail writes the window's audit records (logins, refused alarm actions,
// the horn's silencing, display edits) off the UI goroutine. Each record
// is a bbolt transaction with an fsync, tens of milliseconds on a busy
// disk, and an operator's click must not wait for it: the methods queue
// the record and return at once, a goroutine of the Trail's own writes the
// queue in order, and a record that fails is handed to the report
// function, which the window shows. Nothing queued is dropped: Close
// writes what is left before it returns.
//
// Trail satisfies ui/login.Recorder and ui/horn.Recorder.
type Trail struct {
	a      *audit.Auditor
	report func(error) // called on the Trail's goroutine

	mu     sync.Mutex
	queue  []func() error
	closed bool
	wake   chan struct{} // one token: the queue has work
	done   chan struct{} // closed when the goroutine has ended
}

// NewTrail starts a Trail writing to a. report is called, on the Trail's
// goroutine, with the error of each record that could not be written; a
// caller that touches widgets from it must post to the UI goroutine.
func NewTrail(a *audit.Auditor, report func(error)) *Trail {
	t := &Trail{a: a, report: report, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go t.run()
	return t
}

// run writes the queue until Close, and what is left in it then.
func (t *Trail) run() {
	defer close(t.done)
	for {
		_, open := <-t.wake
		t.mu.Lock()
		q := t.queue
		t.queue = nil
		t.mu.Unlock()
		for _, rec := range q {
			t.write(rec)
		}
		if !open {
			return
		}
	}
}

// write writes one record and reports its failure.
func (t *Trail) write(rec func() error) {
	if err := rec(); err != nil && t.report != nil {
		t.report(err)
	}
}

// add queues one record.
func (t *Trail) add(rec func() error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		// After Close (the window has gone) the record is still written,
		// here: losing it would be worse than a late caller waiting.
		t.write(rec)
		return
	}
	t.queue = append(t.queue, rec)
	select {
	case t.wake <- struct{}{}:
	default: // a token is already waiting
	}
	t.mu.Unlock()
}

// Close writes every queued record and stops the goroutine. It may be
// called more than once.
func (t *Trail) Close() {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		close(t.wake)
	}
	t.mu.Unlock()
	<-t.done
}

// Login queues the record of a login (err nil) or a failed one.
func (t *Trail) Login(user string, err error, detail string) error {
	t.add(func() error { return t.a.Login(user, err, detail) })
	return nil
}

// Logout queues the record of a logout.
func (t *Trail) Logout(user, reason string) error {
	t.add(func() error { return t.a.Logout(user, reason) })
	return nil
}

// AlarmAction queues the record of an alarm action (a refusal when err is
// not nil).
func (t *Trail) AlarmAction(user string, action alarms.Action, alarm, reason string, err error) error {
	t.add(func() error { return t.a.AlarmAction(user, action, alarm, reason, err) })
	return nil
}

// DisplayEdit queues the record of a display edit (a refusal when err is
// not nil).
func (t *Trail) DisplayEdit(user, display, file, change string, err error) error {
	t.add(func() error { return t.a.DisplayEdit(user, display, file, change, err) })
	return nil
}
