package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/ui/alarmview"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// devicePanel lists every device with its connection state, counters and
// last error, so a commissioning engineer sees at once which link is down
// and why. A device that is not connected shows its communication alarm's
// priority shape and its state in capitals, as an alarm would.
type devicePanel struct {
	theme *theme.HMI
	now   func() time.Time
	prio  map[string]datasource.Priority // the devices' communication alarm priorities
	list  *widget.List
	devs  []poll.DeviceStatus

	measure   fyne.CanvasObject // a row no list shows, to measure the height of one
	rowHeight float32           // the template's: a row without an error
	width     float32           // the list's width the rows were fitted to
	fitted    []fittedRow       // by row
}

func newDevicePanel(th *theme.HMI, now func() time.Time, devices []*datasource.Device) *devicePanel {
	p := &devicePanel{theme: th, now: now, prio: map[string]datasource.Priority{}}
	for _, d := range devices {
		if d != nil {
			p.prio[d.Name] = d.CommAlarm
		}
	}
	p.list = widget.NewList(
		func() int { return len(p.devs) },
		newDeviceRow,
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= 0 && i < len(p.devs) {
				p.fill(o, p.devs[i])
			}
		},
	)
	p.measure = newDeviceRow()
	p.rowHeight = p.measure.MinSize().Height
	return p
}

// newDeviceRow makes a row of the list: the communication alarm's shape,
// name and state, and under them the counters and the last error.
func newDeviceRow() fyne.CanvasObject {
	title := widget.NewLabel("")
	title.TextStyle = fyne.TextStyle{Bold: true}
	state := widget.NewLabel("")
	state.TextStyle = fyne.TextStyle{Bold: true}
	detail := widget.NewLabel("")
	detail.Wrapping = fyne.TextWrapWord
	return container.NewVBox(container.NewHBox(container.NewCenter(container.NewStack()), title, state), detail)
}

// fill shows device d in row o.
func (p *devicePanel) fill(o fyne.CanvasObject, d poll.DeviceStatus) {
	title, state, detail := deviceText(d, p.now())
	box := o.(*fyne.Container)
	head := box.Objects[0].(*fyne.Container)
	marker := head.Objects[0].(*fyne.Container).Objects[0].(*fyne.Container)
	var shape []fyne.CanvasObject
	if d.State != poll.Connected && d.State != poll.Disabled {
		shape = []fyne.CanvasObject{alarmview.Shape(p.commPriority(d.Name), 18)}
	}
	if len(marker.Objects) != len(shape) {
		marker.Objects = shape
		marker.Refresh()
	}
	head.Objects[1].(*widget.Label).SetText(title)
	head.Objects[2].(*widget.Label).SetText(state)
	box.Objects[1].(*widget.Label).SetText(detail)
}

// fit gives each row the height its text needs at the list's width. A
// list draws every row at its template's height unless told otherwise, and
// a device's last error adds a line, or several where it wraps: drawn at
// the template's height it ran over the row below (seen: "last error:
// connect tcp://…" struck through by the separator). Only rows with an
// error are measured, and only when the error or the width changed; the
// counters change every second but keep to one line.
func (p *devicePanel) fit() {
	w := p.list.Size().Width
	if w <= 0 {
		return // not laid out yet: the next update fits
	}
	if w != p.width {
		p.width, p.fitted = w, p.fitted[:0]
	}
	for len(p.fitted) < len(p.devs) {
		p.fitted = append(p.fitted, fittedRow{})
	}
	p.fitted = p.fitted[:len(p.devs)]
	for i, d := range p.devs {
		key := ""
		if d.State != poll.Connected {
			key = d.LastError
		}
		if f := &p.fitted[i]; !f.done || f.err != key {
			h := p.rowHeight
			if key != "" {
				p.fill(p.measure, d)
				// A wrapped label's height follows its width: lay the row
				// out at the list's width, then ask.
				p.measure.Resize(fyne.NewSize(w, p.measure.MinSize().Height))
				h = p.measure.MinSize().Height
			}
			*f = fittedRow{done: true, err: key}
			p.list.SetItemHeight(i, h)
		}
	}
}

// fittedRow is what a row's height was fitted to: its device's error.
type fittedRow struct {
	done bool
	err  string
}

// commPriority is the priority of device name's communication alarm; a
// device without one is marked as a Bad reading is, low.
func (p *devicePanel) commPriority(name string) datasource.Priority {
	if pr := p.prio[name]; pr != 0 {
		return pr
	}
	return datasource.PriorityLow
}

// widget is the device list, with tools (the register inspector) below it
// when there are any, or the hint that tells how to get a device to try
// it on.
func (p *devicePanel) widget(tools fyne.CanvasObject) fyne.CanvasObject {
	head := widget.NewLabel("Devices")
	head.TextStyle = fyne.TextStyle{Bold: true}
	list := container.NewBorder(head, nil, nil, nil, p.list)
	if tools == nil {
		hint := widget.NewLabel("Register inspector: this project has no Modbus device. " +
			"`vigil sim` serves the demo plant as a Modbus TCP device on 127.0.0.1:5020 " +
			"(docs/modbus.md); a project with a device of driver modbus at that address gets the inspector here.")
		hint.Wrapping = fyne.TextWrapWord
		return container.NewBorder(nil, hint, nil, nil, list)
	}
	split := container.NewVSplit(list, tools)
	split.Offset = 0.35
	return split
}

func (p *devicePanel) update(devs []poll.DeviceStatus) {
	p.devs = devs
	p.list.Refresh()
	p.fit()
}

// stateWords are the device states as an operator reads them.
var stateWords = map[poll.State]string{
	poll.Connecting: "CONNECTING",
	poll.Connected:  "CONNECTED",
	poll.Backoff:    "NO CONNECTION",
	poll.Disabled:   "DISABLED",
	poll.Stopped:    "STOPPED",
}

// deviceText renders one device's title ("plant (sim)"), its state
// ("NO CONNECTION · retry in 2.5 s") and details (counters, last error).
// The error comes from the driver wrapped in the device's name, often more
// than once; the row already names the device, so the error does not.
func deviceText(d poll.DeviceStatus, now time.Time) (title, state, detail string) {
	title = fmt.Sprintf("%s (%s)", d.Name, d.Driver)
	state = stateWords[d.State]
	if state == "" {
		state = strings.ToUpper(d.State.String())
	}
	if !d.NextRetry.IsZero() && d.NextRetry.After(now) {
		state += fmt.Sprintf(" · retry in %s", d.NextRetry.Sub(now).Round(100*time.Millisecond))
	}
	detail = fmt.Sprintf("%d tags · %d requests · %d errors", d.Tags, d.Requests, d.Errors)
	if rtt := d.LastRTT.Round(100 * time.Microsecond); rtt > 0 {
		detail += fmt.Sprintf(" · rtt %s", rtt)
	}
	if d.State != poll.Connected && d.LastError != "" {
		detail += "\nlast error: " + withoutDevice(d.LastError, d.Name)
	}
	return title, state, detail
}

// withoutDevice removes the device's name from err where it only repeats
// it: `device "plc1": `, `device plc1: ` and a leading `plc1: `.
func withoutDevice(err, name string) string {
	for _, prefix := range []string{fmt.Sprintf("device %q: ", name), "device " + name + ": "} {
		err = strings.ReplaceAll(err, prefix, "")
	}
	return strings.TrimPrefix(err, name+": ")
}
