package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/vigil-hmi/vigil/datasource/poll"
	"github.com/vigil-hmi/vigil/ui/theme"
)

// devicePanel lists every device with its connection state, counters and
// last error, so a commissioning engineer sees at once which link is down
// and why.
type devicePanel struct {
	theme *theme.HMI
	now   func() time.Time
	list  *widget.List
	devs  []poll.DeviceStatus
}

func newDevicePanel(th *theme.HMI, now func() time.Time) *devicePanel {
	p := &devicePanel{theme: th, now: now}
	p.list = widget.NewList(
		func() int { return len(p.devs) },
		func() fyne.CanvasObject {
			title := widget.NewLabel("")
			title.TextStyle = fyne.TextStyle{Bold: true}
			detail := widget.NewLabel("")
			detail.Wrapping = fyne.TextWrapWord
			return container.NewVBox(title, detail)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < 0 || i >= len(p.devs) {
				return
			}
			title, detail := deviceText(p.devs[i], p.now())
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(title)
			box.Objects[1].(*widget.Label).SetText(detail)
		},
	)
	return p
}

// widget is the device list, with tools (the register inspector) below it
// when there are any.
func (p *devicePanel) widget(tools fyne.CanvasObject) fyne.CanvasObject {
	head := widget.NewLabel("Devices")
	head.TextStyle = fyne.TextStyle{Bold: true}
	list := container.NewBorder(head, nil, nil, nil, p.list)
	if tools == nil {
		return list
	}
	split := container.NewVSplit(list, tools)
	split.Offset = 0.35
	return split
}

func (p *devicePanel) update(devs []poll.DeviceStatus) {
	resize := len(devs) != len(p.devs)
	p.devs = devs
	p.list.Refresh()
	if resize {
		// Item heights depend on the error text; recompute on a count change.
		for i := range devs {
			p.list.RefreshItem(i)
		}
	}
}

// deviceText renders one device's title ("plant (sim) — Connected") and
// details (counters, last error, next retry).
func deviceText(d poll.DeviceStatus, now time.Time) (title, detail string) {
	title = fmt.Sprintf("%s (%s) — %s", d.Name, d.Driver, d.State)
	detail = fmt.Sprintf("%d tags · %d requests · %d errors", d.Tags, d.Requests, d.Errors)
	if rtt := d.LastRTT.Round(100 * time.Microsecond); rtt > 0 {
		detail += fmt.Sprintf(" · rtt %s", rtt)
	}
	if d.State != poll.Connected && d.LastError != "" {
		detail += "\nlast error: " + d.LastError
	}
	if !d.NextRetry.IsZero() && d.NextRetry.After(now) {
		detail += fmt.Sprintf("\nnext retry in %s", d.NextRetry.Sub(now).Round(100*time.Millisecond))
	}
	return title, detail
}
