// Package sim is Vigil's simulated plant: a small, believable process (a
// level-controlled tank fed by a pump, the pump's motor with thermal lag and
// bearing wear, an energy meter, and an irrigation loop with a day/night
// cycle) that runs on an injected clock, deterministically from a seed.
//
// It sits at the device end of the data flow (device -> driver -> poll
// engine -> tag table): Driver is the poll.Driver of a `driver: sim` device,
// so Vigil runs and can be commissioned with no hardware, and Plant is the
// process itself, which `vigil sim` can also serve over Modbus TCP and OPC UA.
//
// Tag addresses are the plant's signal names ("tank1.level",
// "pump1.running"); Signals lists them. Values are engineering values: the
// driver applies no scaling. docs/sim.md describes every signal, the
// physics, and fault injection (drop the connection, freeze a signal, bad
// quality) on schedule from the project file or by API.
package sim
