package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-hmi/vigil/datasource/poll"
)

// qualityCounts is the number of tags per quality status.
type qualityCounts struct{ good, uncertain, bad int }

// statusLine is the text of the bottom line: devices, tag health and clock.
func statusLine(devs []poll.DeviceStatus, q qualityCounts, now time.Time) string {
	ok := 0
	for _, d := range devs {
		if d.State == poll.Connected {
			ok++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "devices %d/%d ok · tags %d good", ok, len(devs), q.good)
	if q.uncertain > 0 {
		fmt.Fprintf(&b, " · %d uncertain", q.uncertain)
	}
	if q.bad > 0 {
		fmt.Fprintf(&b, " · %d bad", q.bad)
	}
	_, off := now.Zone()
	fmt.Fprintf(&b, " · %s (UTC%+d)", now.Format("2006-01-02 15:04:05"), off/3600)
	return b.String()
}
