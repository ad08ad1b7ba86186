package ui

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/vigil-hmi/vigil/datasource"
)

// screen is one page of the operator window, selected from the navigation
// bar or by its function key.
type screen struct {
	name    string       // "Overview"
	key     fyne.KeyName // fyne.KeyF2
	content fyne.CanvasObject
	// update refreshes the screen from one table snapshot (indexed by TagID);
	// called on the UI goroutine at the refresh rate while it is shown, and
	// for screens that keep history (sparklines) also while hidden.
	update func(snapshot []datasource.Sample, now time.Time)
	// always says update must run even while the screen is hidden.
	always bool
}
