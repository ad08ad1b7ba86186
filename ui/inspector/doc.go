// Package inspector is the live Modbus register inspector of the Devices
// screen: a commissioning engineer picks a Modbus device, types a first
// register (40001, 30001, 00001, 10001 or hr:0 style) and a count, and sees
// those registers read about once a second, raw and decoded in every data
// type and word order side by side — `vigil probe`, live.
//
// It sits beside the data flow, not in it: it reads the device directly
// with modbus.Driver.ReadRaw, on its own goroutine, while the Devices
// screen is shown. Because the Modbus driver shares one link per device
// address across the process (requests serialized by the link), its reads
// go over the poll engine's connection, interleaved with the engine's
// requests, and never open a second socket or a second handle on a serial
// port. See docs/inspector.md.
//
// modbus.DecodeDump, the decoding table as data, has no Fyne dependency so that it
// can move into datasource/modbus and serve the CLI's probe as well.
package inspector
