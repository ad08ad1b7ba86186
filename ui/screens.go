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
	// called on the UI goroutine at the refresh rate while it is shown.
	update func(snapshot []datasource.Sample, now time.Time)
	// follow, when set, is called instead while the screen is hidden: screens
	// that keep history (sparklines) feed it without repainting.
	follow func(snapshot []datasource.Sample)
}
