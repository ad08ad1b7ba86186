// Package overview is the Overview screen (F2): the demo plant as a process
// graphic (tank, pump, meter, irrigation field) and, for any project, a grid
// of the project's tag groups with a card and sparkline per tag. It sits at
// the end of the data flow: the shell hands it the latest table snapshot and
// the active alarms at 4 Hz on the UI goroutine, and it only draws them.
// Colour appears only for abnormal states (alarm priority colours, bad
// quality), always doubled by a shape, a digit or a word (ISA-101).
package overview
