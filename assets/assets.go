// Package assets embeds what the vigil binary carries with it: the demo
// project (a simulated plant, so Vigil runs with no hardware) and the icon.
package assets

import _ "embed"

// DemoFile is the name the embedded demo project has in messages.
const DemoFile = "demo.yaml"

// Demo is the demo project file: one simulated-plant device, its tags and
// their alarms. `vigil` with no arguments opens it.
//
//go:embed demo.yaml
var Demo []byte

// Icon is the application icon (PNG, 512x512).
//
//go:embed icon.png
var Icon []byte
