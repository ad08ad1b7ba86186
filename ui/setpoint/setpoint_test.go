package setpoint

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/alarms"
	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/ui/theme"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// levelSP is the tank level setpoint of the examples in docs/faceplate.md.
func levelSP() *datasource.Tag {
	return &datasource.Tag{ID: 3, Name: "Tank1.LevelSP", Device: "plant", Type: datasource.TypeFloat32,
		Units: "%", Decimals: 1, Span: datasource.Range{Min: 0, Max: 100}, Writable: true,
		WriteLimits: &datasource.Range{Min: 0, Max: 100},
		Alarms: []datasource.AlarmDef{
			{Name: "Hi", Kind: datasource.AlarmHi, Limit: 90, Priority: datasource.PriorityHigh},
			{Name: "Lo", Kind: datasource.AlarmLo, Limit: 10, Priority: datasource.PriorityLow},
		}}
}

// fakeWriter records requests and answers each with res and err. It stands
// in for the engine in UI tests; the engine itself is exercised in
// TestWriteThroughARealEngine.
type fakeWriter struct {
	mu   sync.Mutex
	reqs []poll.WriteRequest
	res  poll.WriteResult
	err  error
}

func (w *fakeWriter) Write(_ context.Context, req poll.WriteRequest) (poll.WriteResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reqs = append(w.reqs, req)
	return w.res, w.err
}

func (w *fakeWriter) requests() []poll.WriteRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]poll.WriteRequest(nil), w.reqs...)
}

// open shows a faceplate of tag in a test window with the value 50.0 %.
func open(t *testing.T, tag *datasource.Tag, w Writer) (*Faceplate, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(600, 500))
	f, closer := Show(win, tag, Deps{Writer: w, User: "alice", CanWrite: true, Theme: theme.New(false)})
	t.Cleanup(closer)
	f.Update(datasource.Sample{Tag: tag.ID, Value: datasource.Float(50), Quality: datasource.Quality{Status: datasource.Good}})
	return f, win
}

func TestEntryRefusesWhatCannotBeWritten(t *testing.T) {
	cases := []struct {
		name, typed, message string
		canWrite             bool
	}{
		{"text is refused", "abc", "not a number: type digits with an optional sign and point", false},
		{"NaN is refused", "NaN", "NaN is not a value: type a number", false},
		{"a value above the write limits shows the limits", "150", "must be between 0 and 100 %", false},
		{"a negative value below the limits shows the limits", "-1", "must be between 0 and 100 %", false},
		{"a decimal comma is refused with the reason", "55,5", "use a point as the decimal separator (55.5, not 55,5)", false},
		{"an exponent is refused", "1e3", "type the number in full, without an exponent", false},
		{"a valid value enables Write", "55", " ", true},
		{"a valid value with decimals enables Write", "55.25", " ", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, _ := open(t, levelSP(), &fakeWriter{})
			test.Type(f.entry, c.typed)
			if got := f.message.Text; got != c.message {
				t.Errorf("message under the field = %q, want %q", got, c.message)
			}
			if got := !f.write.Disabled(); got != c.canWrite {
				t.Errorf("Write enabled = %v, want %v", got, c.canWrite)
			}
		})
	}
}

func TestIntegerTagRefusesFractions(t *testing.T) {
	tag := &datasource.Tag{Name: "Pump1.Speed", Type: datasource.TypeInt16, Writable: true}
	if _, msg := parseEntry(tag, "1.5"); msg != "needs a whole number, not 1.5" {
		t.Errorf("1.5 for an int16 tag: message %q", msg)
	}
	if _, msg := parseEntry(tag, "40000"); msg != "must be between -32768 and 32767 on the device (type int16)" {
		t.Errorf("40000 for an int16 tag: message %q", msg)
	}
	if v, msg := parseEntry(tag, "-12"); msg != "" || v != datasource.Int(-12) {
		t.Errorf("-12 for an int16 tag: %v, %q", v, msg)
	}
}

func TestConfirmationShowsOldAndNewAndCancelIsTheDefault(t *testing.T) {
	keys := []struct {
		name string
		key  fyne.KeyName
	}{{"Return cancels", fyne.KeyReturn}, {"Enter cancels", fyne.KeyEnter}, {"Esc cancels", fyne.KeyEscape}}
	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			w := &fakeWriter{}
			f, win := open(t, levelSP(), w)
			test.Type(f.entry, "55")
			test.Tap(f.write)
			if f.confirm == nil {
				t.Fatal("tapping Write shows no confirmation")
			}
			if got, want := f.confirmQuestion.Text, "Tank1.LevelSP: 50.0 % → 55.0 %"; got != want {
				t.Errorf("confirmation = %q, want %q", got, want)
			}
			win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k.key})
			if f.confirm != nil {
				t.Error("the confirmation is still open")
			}
			f.wg.Wait()
			if n := len(w.requests()); n != 0 {
				t.Errorf("%d writes sent after cancel", n)
			}
			if f.result.Text != "" {
				t.Errorf("result %q after cancel", f.result.Text)
			}
		})
	}
}

func TestCancelButtonSendsNothing(t *testing.T) {
	w := &fakeWriter{}
	f, _ := open(t, levelSP(), w)
	test.Type(f.entry, "55")
	test.Tap(f.write)
	test.Tap(f.confirmCancel)
	f.wg.Wait()
	if n := len(w.requests()); n != 0 {
		t.Errorf("%d writes sent after Cancel", n)
	}
}

func TestWriteResultIsShownVerbatim(t *testing.T) {
	tag := levelSP()
	good := datasource.Quality{Status: datasource.Good}
	mismatch := &poll.MismatchError{Device: "plant", Tag: tag, Requested: datasource.Float(55),
		ReadBack: datasource.Sample{Tag: tag.ID, Value: datasource.Float(54), Quality: good}}
	limit := &poll.LimitError{Tag: tag, Value: datasource.Float(55), Limits: datasource.Range{Min: 0, Max: 50}}
	down := &poll.DeviceError{Device: "plant", Tag: tag.Name, Op: "write", Err: poll.ErrDeviceNotConnected}
	cases := []struct {
		name string
		res  poll.WriteResult
		err  error
		want string
	}{
		{"success shows what was written and read back",
			poll.WriteResult{Tag: tag.ID, Requested: datasource.Float(55), Match: true,
				ReadBack: datasource.Sample{Tag: tag.ID, Value: datasource.Float(55), Quality: good}}, nil,
			"Tank1.LevelSP: wrote 55.0 %, read back 55.0 %"},
		{"a mismatch shows the engine's message", poll.WriteResult{}, mismatch,
			"Tank1.LevelSP: wrote 55 % to device plant, but it reads back 54 %"},
		{"a refusal shows the limits", poll.WriteResult{}, limit,
			"Tank1.LevelSP: 55 % is outside the write limits 0 .. 50 %"},
		{"a device down says nothing was written", poll.WriteResult{}, down,
			"Tank1.LevelSP: device plant is not connected; nothing was written"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := &fakeWriter{res: c.res, err: c.err}
			f, _ := open(t, tag, w)
			test.Type(f.entry, "55")
			test.Tap(f.write)
			test.Tap(f.confirmAct)
			f.wg.Wait()
			reqs := w.requests()
			if len(reqs) != 1 || reqs[0] != (poll.WriteRequest{Tag: tag.ID, Value: datasource.Float(55), User: "alice"}) {
				t.Fatalf("requests = %+v, want one of 55 by alice", reqs)
			}
			if f.result.Text != c.want {
				t.Errorf("result = %q, want %q", f.result.Text, c.want)
			}
			// A write that was read back clears the entry (Write is then
			// disabled until a new value is typed); any other outcome keeps
			// the value to try again.
			wrote := c.err == nil
			if got := f.entry.Text; (got == "") != wrote {
				t.Errorf("entry %q after the write (written %v)", got, wrote)
			}
			if f.write.Disabled() != wrote {
				t.Errorf("Write disabled %v after the write finished, want %v", f.write.Disabled(), wrote)
			}
		})
	}
}

// blockingWriter holds a write until release is closed or ctx ends.
type blockingWriter struct {
	started chan struct{}
	release chan struct{}
}

func (w *blockingWriter) Write(ctx context.Context, req poll.WriteRequest) (poll.WriteResult, error) {
	close(w.started)
	select {
	case <-w.release:
		return poll.WriteResult{}, errors.New("released")
	case <-ctx.Done():
		return poll.WriteResult{}, &poll.AbortedError{Device: "plant", Tag: "Tank1.LevelSP", Started: true, Err: ctx.Err()}
	}
}

func TestWriteIsDisabledWhileAWriteIsInFlight(t *testing.T) {
	w := &blockingWriter{started: make(chan struct{}), release: make(chan struct{})}
	f, _ := open(t, levelSP(), w)
	test.Type(f.entry, "55")
	test.Tap(f.write)
	test.Tap(f.confirmAct)
	<-w.started
	if !f.write.Disabled() {
		t.Error("Write is enabled while a write is in flight")
	}
	if f.result.Text != "writing 55.0 % …" {
		t.Errorf("result while writing = %q", f.result.Text)
	}
	close(w.release)
	f.wg.Wait()
	if f.write.Disabled() || f.result.Text != "released" {
		t.Errorf("after the write: disabled %v, result %q", f.write.Disabled(), f.result.Text)
	}
}

func TestClosingEndsAWriteInFlight(t *testing.T) {
	w := &blockingWriter{started: make(chan struct{}), release: make(chan struct{})}
	f, _ := open(t, levelSP(), w)
	test.Type(f.entry, "55")
	test.Tap(f.write)
	test.Tap(f.confirmAct)
	<-w.started
	f.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) // Esc closes the faceplate and waits
	if !f.closed {
		t.Error("Esc in the entry did not close the faceplate")
	}
}

func TestDigitalTagHasCommandButtons(t *testing.T) {
	tag := &datasource.Tag{ID: 7, Name: "Pump1.Run", Type: datasource.TypeBool, Writable: true,
		States: map[int64]string{0: "STOP", 1: "START"}}
	w := &fakeWriter{res: poll.WriteResult{Tag: 7, Requested: datasource.Bool(true), Match: true,
		ReadBack: datasource.Sample{Tag: 7, Value: datasource.Bool(true)}}}
	f, _ := open(t, tag, w)
	f.Update(datasource.Sample{Tag: 7, Value: datasource.Bool(false)})
	if f.entry != nil {
		t.Error("a digital tag has a numeric entry")
	}
	if len(f.commands) != 2 || f.commands[0].Text != "START" || f.commands[1].Text != "STOP" {
		t.Fatalf("command buttons = %v", f.commands)
	}
	test.Tap(f.commands[0])
	if got, want := f.confirmQuestion.Text, "Pump1.Run: STOP → START"; got != want {
		t.Errorf("confirmation = %q, want %q", got, want)
	}
	test.Tap(f.confirmAct)
	f.wg.Wait()
	if reqs := w.requests(); len(reqs) != 1 || reqs[0].Value != datasource.Bool(true) {
		t.Errorf("requests = %+v", reqs)
	}
	if got, want := f.result.Text, "Pump1.Run: wrote START, read back START"; got != want {
		t.Errorf("result = %q, want %q", got, want)
	}
}

func TestQualityIsNeverSilent(t *testing.T) {
	f, _ := open(t, levelSP(), &fakeWriter{})
	th := theme.New(false)
	f.Update(datasource.Sample{Value: datasource.Float(50), Quality: datasource.BadQuality(datasource.NotConnected)})
	if f.value.Color != th.P.Dim || f.quality.Text != "Bad: "+datasource.NotConnected.String() {
		t.Errorf("bad: colour %v, quality %q", f.value.Color, f.quality.Text)
	}
	f.Update(datasource.Sample{Value: datasource.Float(50), Quality: datasource.UncertainQuality(datasource.Stale)})
	if f.marker.Text != "?" {
		t.Errorf("uncertain reading has marker %q, want ?", f.marker.Text)
	}
	f.Update(datasource.Sample{Value: datasource.Float(50), Quality: datasource.Quality{Status: datasource.Good}})
	if f.marker.Text != "" || f.quality.Text != "Good" {
		t.Errorf("good: marker %q, quality %q", f.marker.Text, f.quality.Text)
	}
}

func TestReadOnlyUserHasNoEntry(t *testing.T) {
	test.NewTempApp(t)
	f := New(levelSP(), Deps{Writer: &fakeWriter{}, CanWrite: false})
	defer f.Close()
	if f.entry != nil || f.write != nil {
		t.Error("a user without permission sees the setpoint entry")
	}
}

func TestAlarmStatesAreListed(t *testing.T) {
	test.NewTempApp(t)
	list := []alarms.Alarm{
		{Name: "Lo", Kind: datasource.AlarmLo, Priority: datasource.PriorityLow, Limit: 10, Units: "%", State: alarms.Normal},
		{Name: "Hi", Kind: datasource.AlarmHi, Priority: datasource.PriorityHigh, Limit: 90, Units: "%", State: alarms.Unack, Annunciated: true},
	}
	f := New(levelSP(), Deps{Alarms: func() []alarms.Alarm { return list }})
	defer f.Close()
	var got []string
	for _, o := range f.alarms.Objects {
		got = append(got, o.(*canvas.Text).Text)
	}
	want := []string{"▲2 Hi 90 % · Active, unacked", "◆4 Lo 10 % · Normal"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("alarm lines = %q, want %q", got, want)
	}
}

func TestEscClosesTheConfirmationFirstThenTheFaceplate(t *testing.T) {
	f, win := open(t, levelSP(), &fakeWriter{})
	test.Type(f.entry, "55")
	test.Tap(f.write)
	esc := func() { win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) }
	esc()
	if f.confirm != nil || f.closed {
		t.Fatalf("after the first Esc: confirmation open %v, faceplate closed %v", f.confirm != nil, f.closed)
	}
	win.Canvas().Unfocus()
	esc()
	if !f.closed {
		t.Error("Esc did not close the faceplate")
	}
}
