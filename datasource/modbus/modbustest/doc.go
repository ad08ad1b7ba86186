// Package modbustest runs real Modbus peers in-process for tests and
// benchmarks of the Modbus driver and its users: a Modbus TCP server
// (github.com/simonvetter/modbus) on a free loopback port with a register
// map per unit and fault injection (stop/start, delay, exception codes per
// address range, busy N times), and a small RTU responder that serves the
// same map over a serial line (a socat pseudo-terminal pair) or over TCP
// like a serial gateway.
//
// It is test support: it sits beside the data flow, playing the device.
package modbustest
