// Package display draws a compiled process display (package
// datasource/project/displays) in ISA-101 symbols: grey equipment whose
// state is shape and fill, colour only for alarms, Bad and Uncertain
// quality always marked. It sits at the end of the data flow: the shell
// hands a View the table snapshot and the active alarms on the UI
// goroutine; the View changes only the canvas objects whose look the
// snapshot changed, and never looks a tag up by name while drawing.
//
// A View's canvas objects are built once, when it is made from a Display;
// a reload makes a new View. The canvas is scaled to the widget's size,
// keeping the display's aspect ratio. Tapping an element opens its tag's
// faceplate; buttons go to another display or ask the shell to write.
package display
