// Package inspector is the live Modbus register inspector of the Devices
// screen: a commissioning engineer picks a Modbus device, types a first
// register (40001, 30001, 00001, 10001 or hr:0 style) and a count, and sees
// those registers read about once a second, raw and decoded in every data
// type and word order side by side — `vigil probe`, live.
//
// It reads through the poll engine, never a driver: Deps.Reader is the
// engine, whose ReadRaw hands each read to the device's own session
// goroutine, between two scans, over the engine's connection, under the
// device's timeout and watchdog. So the inspector never opens a second
// socket or a second handle on a serial port, and a device that is down
// shows the engine's reason. See docs/inspector.md.
//
// Each answer is laid out by modbus.DecodeDump, the decoding table of
// `vigil probe` as data (pure code, no I/O).
package inspector
