package inspector

import (
	"fmt"
	"io"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/modbus"
	"github.com/vigil-hmi/vigil/datasource/modbus/modbustest"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/datasource/poll/polltest"
	"github.com/vigil-hmi/vigil/ui/internal/uitest"
	"github.com/vigil-hmi/vigil/ui/theme"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rig is an inspector of one device served by a real in-process Modbus TCP
// server, in a test window, paced by a fake clock.
type rig struct {
	t   *testing.T
	srv *modbustest.Server
	dev *datasource.Device
	clk *clockwork.FakeClock
	eng *poll.Engine // polls dev; the inspector reads through it
	ui  *uitest.Queue
	in  *Inspector
	win fyne.Window
}

func newRig(t *testing.T, mod func(*datasource.Device)) *rig {
	t.Helper()
	a := test.NewTempApp(t)
	th := theme.New(false)
	a.Settings().SetTheme(th)
	r := &rig{t: t, srv: modbustest.New(t), clk: clockwork.NewFakeClock(), ui: uitest.NewQueue()}
	r.dev = &datasource.Device{Name: "plc1", Driver: "modbus", Address: r.srv.URL(), Timeout: 2 * time.Second,
		Settings: modbus.Settings{Unit: 1},
		Backoff:  datasource.Backoff{Min: 10 * time.Millisecond, Max: 20 * time.Millisecond}}
	if mod != nil {
		mod(r.dev)
	}
	r.eng = runEngine(t, r.dev)
	plant := &datasource.Device{Name: "plant", Driver: "sim"}
	r.in = New([]*datasource.Device{plant, r.dev}, Deps{Reader: r.eng, Theme: th, Do: r.ui.Do, Clock: r.clk})
	t.Cleanup(r.in.Close)
	r.win = test.NewTempWindow(t, r.in.Content())
	r.win.Resize(fyne.NewSize(1500, 1000))
	return r
}

// runEngine runs a poll engine over the Modbus devices devs, which have no
// tags: the engine connects and then sends nothing of its own, so that
// every request the server sees is the inspector's. It stops when the test
// ends, before goleak looks.
//
// It returns once every device is connected: a read through a device not
// yet connected fails at once, and the inspector then waits for the next
// tick of the rig's fake clock, which the tests do not advance (under load
// the picker's test started its inspector before its new engine had
// connected, and waited out its 10 s).
func runEngine(t *testing.T, devs ...*datasource.Device) *poll.Engine {
	t.Helper()
	eng := polltest.Start(t, poll.Config{Devices: devs,
		Drivers: map[string]poll.Factory{"modbus": modbus.NewFactory()}, StaleCheck: -1})
	deadline := time.Now().Add(10 * time.Second)
	for _, d := range devs {
		for {
			st, _ := eng.DeviceStatus(d.Name)
			if st.State == poll.Connected {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("device %s not connected within 10s: %s", d.Name, st.LastError)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return eng
}

// settle runs the UI callbacks until cond holds, failing after 10 s.
func (r *rig) settle(what string, cond func() bool) {
	r.t.Helper()
	r.ui.Settle(r.t, what, 10*time.Second, cond)
}

// settleRead waits for a good read of the range shown in the fields.
func (r *rig) settleRead() {
	r.t.Helper()
	r.settle("a good read", func() bool { return r.in.marker.Text == "" && strings.Contains(r.in.status.Text, ", read ") })
}

// typeInto replaces an entry's text by typing it, key by key, as a user would.
func typeInto(e *widget.Entry, text string) {
	e.SetText("")
	test.Type(e, text)
}

// labels walks the rendered tree of o (the renderers a window uses, not
// fresh ones as test.LaidOutObjects makes) and calls f with every visible
// label and its position relative to o.
func labels(o fyne.CanvasObject, at fyne.Position, f func(*widget.Label, fyne.Position)) {
	if !o.Visible() {
		return
	}
	at = at.Add(o.Position())
	switch c := o.(type) {
	case *widget.Label:
		f(c, at)
	case fyne.Widget:
		for _, child := range test.WidgetRenderer(c).Objects() {
			labels(child, at, f)
		}
	case *fyne.Container:
		for _, child := range c.Objects {
			labels(child, at, f)
		}
	}
}

// visibleRows returns what a user sees in a table: each row as a map from
// column heading to cell text, in screen order.
func (r *rig) visibleRows(tbl *widget.Table) []map[string]string {
	r.t.Helper()
	byY := map[float32]map[float32]string{}
	labels(tbl, fyne.NewPos(-tbl.Position().X, -tbl.Position().Y), func(l *widget.Label, p fyne.Position) {
		if p.Y >= tbl.Size().Height || p.X >= tbl.Size().Width {
			return // scrolled out of view
		}
		if byY[p.Y] == nil {
			byY[p.Y] = map[float32]string{}
		}
		byY[p.Y][p.X] = l.Text
	})
	var ys []float32
	for y := range byY {
		ys = append(ys, y)
	}
	sort.Slice(ys, func(i, j int) bool { return ys[i] < ys[j] })
	if len(ys) == 0 {
		return nil
	}
	header := byY[ys[0]] // the header row is on top
	var rows []map[string]string
	for _, y := range ys[1:] {
		row := map[string]string{}
		for x, text := range byY[y] {
			row[header[x]] = text
		}
		rows = append(rows, row)
	}
	return rows
}

// visibleLabel returns the visible label of tbl showing text, or nil.
func visibleLabel(tbl *widget.Table, text string) *widget.Label {
	var found *widget.Label
	labels(tbl, fyne.Position{}, func(l *widget.Label, _ fyne.Position) {
		if l.Text == text {
			found = l
		}
	})
	return found
}

// cell finds the visible row whose cells include match and returns its cell
// in column col.
func (r *rig) cell(tbl *widget.Table, match map[string]string, col string) string {
	r.t.Helper()
	rows := r.visibleRows(tbl)
next:
	for _, row := range rows {
		for k, v := range match {
			if row[k] != v {
				continue next
			}
		}
		return row[col]
	}
	r.t.Fatalf("no visible row with %v among %d rows: %v", match, len(rows), rows)
	return ""
}

// float32Text is how the table prints a float32 given as its bits.
func float32Text(bits uint32) string {
	return strconv.FormatFloat(float64(math.Float32frombits(bits)), 'g', 8, 64)
}

func TestTypedAddressIsReadAndDecodedInEveryWordOrder(t *testing.T) {
	r := newRig(t, nil)
	r.srv.SetHolding(1, 100, 0x0FDB, 0x4049, 0x4142, 0xFFFF)
	r.in.Start()
	r.settleRead() // the default range, 40001..40004
	r.srv.ResetRequests()

	typeInto(r.in.address, "40101")
	r.settle("40101..40104", func() bool {
		return strings.HasPrefix(r.in.status.Text, "holding registers 40101..40104 (hr:100..hr:103) of plc1, read")
	})

	float := map[string]string{"START": "40101", "TYPE": "float32"}
	for _, c := range []struct{ order, want string }{
		{"CDAB", "3.1415927"}, // pi, low word first
		{"ABCD", float32Text(0x0FDB4049)},
		{"BADC", float32Text(0xDB0F4940)},
		{"DCBA", float32Text(0x4940DB0F)},
	} {
		if got := r.cell(r.in.dec, float, c.order); got != c.want {
			t.Errorf("float32 %s from 40101 shows %q, want %q", c.order, got, c.want)
		}
	}
	if got := r.cell(r.in.dec, map[string]string{"START": "40104", "TYPE": "int16"}, "ABCD"); got != "-1" {
		t.Errorf("int16 at 40104 shows %q, want -1", got)
	}
	raw := map[string]string{"REFERENCE": "40103"}
	for col, want := range map[string]string{"OFFSET": "hr:102", "HEX": "4142", "UINT16": "16706", "BINARY": "0100000101000010", "ASCII": "AB"} {
		if got := r.cell(r.in.raw, raw, col); got != want {
			t.Errorf("raw %s of 40103 shows %q, want %q", col, got, want)
		}
	}
	for _, q := range r.srv.Requests() {
		if q != (modbustest.Request{Unit: 1, Function: 3, Addr: 100, Quantity: 4}) {
			t.Errorf("request %+v sent while typing: only the complete address 40101 may be read", q)
		}
	}

	t.Run("it refreshes at the next tick", func(t *testing.T) {
		r.srv.SetHolding(1, 100, 0x0000, 0x3F80) // 1.0 as float32 CDAB
		r.clk.Advance(DefaultPeriod)
		r.settle("the new value", func() bool { return r.cell(r.in.dec, float, "CDAB") == "1" })
	})
}

func TestOtherTablesAreReadWithTheirOwnColumns(t *testing.T) {
	cases := []struct {
		name, address string
		setup         func(*modbustest.Server)
		match         map[string]string
		col, want     string
	}{
		{"an input register 30001 is read with FC4", "30001", func(s *modbustest.Server) { s.SetInput(1, 0, 0xBEEF) },
			map[string]string{"REFERENCE": "30001"}, "HEX", "BEEF"},
		{"a coil 00002 shows its bit", "00002", func(s *modbustest.Server) { s.SetCoils(1, 1, true) },
			map[string]string{"REFERENCE": "00002"}, "VALUE", "1"},
		{"a discrete input di:0 shows its bit", "di:0", func(s *modbustest.Server) { s.SetDiscretes(1, 0, false, true) },
			map[string]string{"REFERENCE": "10002"}, "VALUE", "1"},
		{"hr:0 is holding register 40001", "hr:0", func(s *modbustest.Server) { s.SetHolding(1, 0, 7) },
			map[string]string{"REFERENCE": "40001"}, "UINT16", "7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, nil)
			c.setup(r.srv)
			typeInto(r.in.address, c.address)
			r.in.Start()
			r.settleRead()
			if got := r.cell(r.in.raw, c.match, c.col); got != c.want {
				t.Errorf("%s of %v shows %q, want %q", c.col, c.match, got, c.want)
			}
		})
	}
}

func TestAStoppedServerShowsTheErrorMarksTheDataStaleAndRecovers(t *testing.T) {
	r := newRig(t, nil)
	r.srv.SetHolding(1, 0, 1234)
	r.in.Start()
	r.settleRead()

	r.srv.Stop()
	r.clk.Advance(DefaultPeriod)
	r.settle("the read error", func() bool { return r.in.marker.Text == "? STALE" })
	if !strings.HasPrefix(r.in.status.Text, `device "plc1": `) || !strings.Contains(r.in.status.Text, "the values shown are from the last good read") {
		t.Errorf("status %q: want the driver's error verbatim and when the data shown was read", r.in.status.Text)
	}
	if got := r.cell(r.in.raw, map[string]string{"REFERENCE": "40001"}, "UINT16"); got != "1234" {
		t.Errorf("the last good value is gone: %q", got)
	}
	if l := visibleLabel(r.in.raw, "1234"); l == nil || l.Importance != widget.LowImportance {
		t.Errorf("the stale value 1234 is not shown dimmed: %+v", l)
	}

	// The engine fails the device and reconnects on its own; each tick
	// reads again until the engine's reason for the device is shown.
	r.settle("the connect error", func() bool {
		r.clk.Advance(DefaultPeriod)
		return strings.Contains(r.in.status.Text, "connection refused")
	})
	if !strings.HasPrefix(r.in.status.Text, "device plc1 is not connected: connect tcp://") || strings.Count(r.in.status.Text, "plc1") != 1 {
		t.Errorf("status %q: want the engine's reason, the connect error, naming the device once", r.in.status.Text)
	}

	if err := r.srv.Start(); err != nil {
		t.Fatal(err)
	}
	r.srv.SetHolding(1, 0, 4321)
	r.settle("a good read after the device is back", func() bool {
		r.clk.Advance(DefaultPeriod)
		return r.in.marker.Text == "" && strings.Contains(r.in.status.Text, ", read ")
	})
	if got := r.cell(r.in.raw, map[string]string{"REFERENCE": "40001"}, "UINT16"); got != "4321" {
		t.Errorf("after recovery 40001 shows %q, want 4321", got)
	}
	if l := visibleLabel(r.in.raw, "4321"); l == nil || l.Importance == widget.LowImportance {
		t.Errorf("the current value 4321 is not shown in the normal colour: %+v", l)
	}
}

func TestAnExceptionIsShownVerbatim(t *testing.T) {
	r := newRig(t, nil)
	r.srv.SetException(modbustest.HoldingRegisters, 200, 10, modbus.ExceptionIllegalDataAddress)
	typeInto(r.in.address, "40201")
	r.in.Start()
	r.settle("the exception", func() bool { return r.in.marker.Text == "✕ NO DATA" })
	want := `device "plc1": read holding registers 40201..40204 (hr:200 x4): exception 02 (illegal data address) to function 3`
	if r.in.status.Text != want {
		t.Errorf("status %q, want %q", r.in.status.Text, want)
	}
	if rows := r.visibleRows(r.in.raw); len(rows) != 0 {
		t.Errorf("no data was ever read, yet the table shows %v", rows)
	}
}

func TestRefusedInputIsExplainedAndSendsNothing(t *testing.T) {
	cases := []struct {
		name, address, count, message string
		maxRegisters                  int
	}{
		{"four digits are not a Modicon reference", "4000", "4", "a Modicon reference has 5 or 6 digits", 0},
		{"an unknown table is named", "xx:0", "4", `unknown table "xx"`, 0},
		{"a bit of a register is refused", "40001.3", "4", "is a bit of a register: give the register (40001)", 0},
		{"a count that is no number is refused", "40001", "four", `count "four": type a whole number of holding registers (1..125)`, 0},
		{"a count past the protocol's limit is refused", "40001", "126", "count 126: one read takes 1..125 holding registers", 0},
		{"a count past the device's limit names the setting", "40001", "40", `count 40: device "plc1" reads 1..32 holding registers at once (modbus.max_registers)`, 32},
		{"a range past the last register is refused", "465535", "4", "runs past the last holding register (offset 65535): at most 2 here", 0},
		{"a zero count is refused", "00001", "0", "count 0: one read takes 1..2000 coils", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, func(d *datasource.Device) { s := modbus.SettingsOf(d); s.MaxRegisters = c.maxRegisters; d.Settings = s })
			r.in.Start()
			r.settleRead()
			r.srv.ResetRequests()
			// Pasted, not typed: a valid prefix of a refused address (46553
			// of 465535) would be read while typing, as it should.
			r.in.address.SetText("")
			r.in.count.SetText(c.count)
			r.in.address.SetText(c.address)
			if !r.in.message.Visible() || !strings.Contains(r.in.message.Text, c.message) {
				t.Errorf("message %q (visible %v), want it to say %q", r.in.message.Text, r.in.message.Visible(), c.message)
			}
			if rows := r.visibleRows(r.in.raw); len(rows) != 0 {
				t.Errorf("the table still shows %d rows of another range", len(rows))
			}
			r.clk.Advance(DefaultPeriod)
			r.in.Stop()
			r.in.wg.Wait() // the reading goroutine has ended: whatever it sent is in Requests
			if reqs := r.srv.Requests(); len(reqs) != 0 {
				t.Errorf("sent %+v for a refused range", reqs)
			}
		})
	}
}

func TestStopEndsReadingAndStartResumesAtOnce(t *testing.T) {
	r := newRig(t, nil)
	r.in.Start()
	r.settleRead()
	r.in.Stop()
	r.in.wg.Wait()
	r.srv.ResetRequests()
	r.clk.Advance(10 * DefaultPeriod)
	if reqs := r.srv.Requests(); len(reqs) != 0 {
		t.Errorf("read %d times while stopped", len(reqs))
	}
	r.srv.SetHolding(1, 0, 99)
	r.in.Start()
	r.settle("a read after Start", func() bool {
		rows := r.visibleRows(r.in.raw)
		return len(rows) > 0 && rows[0]["UINT16"] == "99"
	})
}

func TestWithoutModbusDevicesItSaysSo(t *testing.T) {
	test.NewTempApp(t)
	in := New([]*datasource.Device{{Name: "plant", Driver: "sim"}}, Deps{})
	defer in.Close()
	in.Start() // nothing to read: no goroutine
	w := test.NewTempWindow(t, in.Content())
	found := false
	for _, o := range test.LaidOutObjects(w.Content()) {
		if l, ok := o.(*widget.Label); ok && l.Text == noDevices {
			found = true
		}
	}
	if !found {
		t.Errorf("no %q shown", noDevices)
	}
}

func TestTheDevicePickerListsOnlyModbusDevicesAndSwitchesTheLink(t *testing.T) {
	r := newRig(t, nil)
	other := modbustest.New(t)
	other.SetHolding(1, 0, 42)
	dev2 := &datasource.Device{Name: "meter", Driver: "modbus", Address: other.URL(), Settings: modbus.Settings{Unit: 1}}
	dev1 := *r.dev
	eng := runEngine(t, &dev1, dev2)
	in := New([]*datasource.Device{{Name: "plant", Driver: "sim"}, r.dev, dev2}, Deps{Reader: eng, Do: r.ui.Do, Clock: r.clk})
	defer in.Close()
	want := []string{"plc1 — " + r.dev.Address + " unit 1", "meter — " + other.URL() + " unit 1"}
	if fmt.Sprint(in.device.Options) != fmt.Sprint(want) {
		t.Errorf("devices %q, want %q", in.device.Options, want)
	}
	r.in.Stop()
	r.in = in
	in.Start()
	r.settleRead()
	in.device.SetSelectedIndex(1)
	r.settle("the meter's registers", func() bool { return in.dump.Count > 0 && in.dump.Raw[0][3] == "42" })
}

// countingProxy forwards TCP connections to a Modbus server and counts them.
type countingProxy struct {
	ln    net.Listener
	conns atomic.Int32
	wg    sync.WaitGroup
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{ln: ln}
	var open sync.Map
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			open.Store(c, s)
			p.wg.Add(2)
			go func() { defer p.wg.Done(); _, _ = io.Copy(s, c); s.Close() }()
			go func() { defer p.wg.Done(); _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		open.Range(func(c, s any) bool { c.(net.Conn).Close(); s.(net.Conn).Close(); return true })
		p.wg.Wait()
	})
	return p
}

func TestItReadsOverTheConnectionThePollEngineAlreadyHas(t *testing.T) {
	th := theme.New(false)
	test.NewTempApp(t).Settings().SetTheme(th)
	srv := modbustest.New(t)
	proxy := newCountingProxy(t, srv.Addr())
	srv.SetHolding(1, 0, 7)
	dev := &datasource.Device{Name: "plc1", Driver: "modbus", Address: "tcp://" + proxy.ln.Addr().String(),
		Timeout: 2 * time.Second, Settings: modbus.Settings{Unit: 1}}
	// The engine polls one tag of the device, so both read the link.
	tags := []*datasource.Tag{{ID: 0, Name: "T", Device: "plc1", Address: "40001", Type: datasource.TypeUint16}}
	dev.ScanClasses = []datasource.ScanClass{{Name: "fast", Rate: 10 * time.Millisecond}}
	table := datasource.NewTable(tags)
	eng := polltest.Start(t, poll.Config{Devices: []*datasource.Device{dev}, Tags: tags, Table: table,
		Drivers: map[string]poll.Factory{"modbus": modbus.NewFactory()}, StaleCheck: -1})

	q, clk := uitest.NewQueue(), clockwork.NewFakeClock()
	in := New([]*datasource.Device{dev}, Deps{Reader: eng, Theme: th, Do: q.Do, Clock: clk})
	defer in.Close()
	in.Start()
	q.Settle(t, "two good reads", 10*time.Second, func() bool {
		if in.dump.Count > 0 && in.dump.Raw[0][3] == "7" && !in.stale {
			return true
		}
		clk.Advance(DefaultPeriod)
		return false
	})
	if s := table.Get(0); !s.Quality.IsGood() || s.Value != datasource.Uint(7) {
		t.Errorf("the engine's own tag reads %+v, want Good 7", s)
	}
	if n := proxy.conns.Load(); n != 1 {
		t.Errorf("%d TCP connections to the device, want the engine's one", n)
	}
}
