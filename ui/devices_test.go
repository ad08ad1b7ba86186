package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/ui/theme"
)

func TestAFailedDeviceReadsAsAnAlarmAndItsErrorNamesItOnce(t *testing.T) {
	now := time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC)
	d := poll.DeviceStatus{Name: "plc2", Driver: "modbus", State: poll.Backoff, NextRetry: now.Add(2500 * time.Millisecond),
		LastError: `device "plc2": connect 127.0.0.1:1502: device "plc2": dial tcp 127.0.0.1:1502: connection refused`, Tags: 4, Errors: 3}
	title, state, detail := deviceText(d, now)
	if title != "plc2 (modbus)" || state != "NO CONNECTION · retry in 2.5s" {
		t.Errorf("title %q, state %q", title, state)
	}
	if strings.Count(detail, "plc2") != 0 || !strings.Contains(detail, "last error: connect 127.0.0.1:1502: dial tcp 127.0.0.1:1502: connection refused") {
		t.Errorf("detail %q: the row names the device, the error should not", detail)
	}

	test.NewTempApp(t)
	p := newDevicePanel(theme.New(false), func() time.Time { return now }, []*datasource.Device{{Name: "plc2", Driver: "modbus", CommAlarm: datasource.PriorityHigh}})
	w := test.NewTempWindow(t, p.widget(nil))
	w.Resize(fyne.NewSize(800, 400))
	p.update([]poll.DeviceStatus{d, {Name: "plant", Driver: "sim", State: poll.Connected}})
	// The rows as the list draws them, and the screen around them.
	rows := []fyne.CanvasObject{p.list.CreateItem(), p.list.CreateItem()}
	p.list.UpdateItem(0, rows[0])
	p.list.UpdateItem(1, rows[1])
	labels := map[string]bool{}
	shapes := 0
	walk(t, container.NewVBox(append(rows, w.Content())...), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			labels[l.Text] = true
		}
		if l, ok := o.(*canvas.Line); ok && l.StrokeColor == theme.High {
			shapes++ // the high priority's fill lines
		}
	})
	if !labels["NO CONNECTION · retry in 2.5s"] || !labels["CONNECTED"] {
		t.Errorf("the list shows %v", labels)
	}
	if shapes == 0 {
		t.Error("the failed device shows no shape of its communication alarm's priority")
	}
	hint := false
	for l := range labels {
		hint = hint || strings.Contains(l, "vigil sim")
	}
	if !hint {
		t.Error("a project without a Modbus device gets no hint how to try the register inspector")
	}
}

// A device's last error, wrapped onto lines of its own in a narrow window,
// gets a row tall enough for it: the next device's row starts below it
// rather than over it.
func TestAFailedDevicesRowHoldsItsWholeError(t *testing.T) {
	now := time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC)
	failed := poll.DeviceStatus{Name: "PLC9", Driver: "modbus", State: poll.Backoff, Tags: 1, Requests: 6, Errors: 6,
		LastError: `connect: device "PLC9": connect tcp://127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused, and then a long while of nothing at all, ` +
			`as a device far away on a radio link says when its link is down for the night`}
	test.NewTempApp(t)
	p := newDevicePanel(theme.New(false), func() time.Time { return now }, nil)
	w := test.NewTempWindow(t, p.widget(widget.NewLabel("the register inspector")))
	w.Resize(fyne.NewSize(640, 1200))
	p.update([]poll.DeviceStatus{failed, {Name: "D000", Driver: "sim", State: poll.Connected, Tags: 1000}})
	p.update([]poll.DeviceStatus{failed, {Name: "D000", Driver: "sim", State: poll.Connected, Tags: 1000}})
	w.Canvas().Refresh(w.Content())
	var errLabel, nextTitle *widget.Label
	walk(t, w.Content(), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && l.Visible() {
			switch {
			case strings.Contains(l.Text, "last error"):
				errLabel = l
			case l.Text == "D000 (sim)":
				nextTitle = l
			}
		}
	})
	if errLabel == nil || nextTitle == nil {
		t.Fatalf("rows not drawn: error label %v, next title %v", errLabel != nil, nextTitle != nil)
	}
	d := fyne.CurrentApp().Driver()
	errBottom := d.AbsolutePositionForObject(errLabel).Y + errLabel.MinSize().Height
	nextTop := d.AbsolutePositionForObject(nextTitle).Y
	if lines := errLabel.MinSize().Height / nextTitle.MinSize().Height; lines < 2.5 {
		t.Fatalf("the error takes %.1f lines at this width; the test needs one that wraps", lines)
	}
	if errBottom > nextTop {
		t.Errorf("the error's text ends at y=%.0f, below the start of the next row (y=%.0f)", errBottom, nextTop)
	}
}
