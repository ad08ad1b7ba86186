// Package trend is Vigil's trend chart: a custom Fyne widget that draws up to
// eight pens (tags) against time, live or historical, from the historian.
//
// Data flow: the chart asks its Source (a history.Store in the application)
// for each pen's points in the visible time range, decimated to the plot's
// pixel width (history.Query's M4: first, min, max, last per pixel), so a week
// of 1 s samples costs a few thousand points per pen. Queries run on a
// goroutine the chart owns; results are applied on the UI goroutine with
// fyne.Do, and a new request supersedes one still pending. The plot itself is
// drawn into an image (canvas.Raster) in one pass; axis and legend labels are
// canvas.Text objects around it.
//
// A point whose Value is NaN is a gap (bad quality): the line breaks there.
package trend
