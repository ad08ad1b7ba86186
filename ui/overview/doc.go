// Package overview is the Overview screen (F2) of a project without
// displays of its own: a generated list of the project's tag groups with a
// row per tag (name, value with units and quality, alarm indicator,
// sparkline). Projects with displays get them instead (ui/display). It sits
// at the end of the data flow: the shell hands it the latest table snapshot
// and the active alarms at its refresh rate on the UI goroutine, and it
// only draws them.
//
// The list is virtualized: only the rows on screen hold widgets, so a
// project of 10,000 tags costs the same to draw as one of 30. Colour
// appears only for abnormal states (alarm priority colours, bad quality),
// always doubled by a shape, a digit or a word (ISA-101).
package overview
