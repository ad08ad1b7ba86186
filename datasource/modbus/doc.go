// Package modbus is Vigil's Modbus driver: it reads and writes the tags of one
// Modbus device (a PLC, meter or drive) for the poll engine.
//
// It sits between the device and the engine in the data flow
// (device -> driver -> poll engine -> tag table): Prepare parses each tag's
// address ("40001", "hr:0", "40001.3"), compiles its decoder (type, word
// order, scaling) once, and plans the fewest read requests within the
// protocol's limits and the device's gap rule; Read issues those requests
// and turns the answers into samples; Write encodes one engineering value.
//
// Transports are Modbus TCP (tcp://host:502), RTU over a serial line
// (rtu:///dev/ttyUSB0) and RTU framed over TCP for serial gateways
// (rtuovertcp://host:4001), all on github.com/goburrow/modbus. Devices with
// the same address and different unit IDs share one connection.
//
// The driver knows the protocol and nothing else: reconnecting with backoff,
// quality over time and read-back after writes are the engine's job.
package modbus
