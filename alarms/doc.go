// Package alarms is Vigil's ISA-18.2 alarm engine. It consumes the tag table
// through a datasource.Subscription, evaluates every alarm a project defines
// (limit, discrete, deviation, rate of change, bad quality, device
// communication and predictive time-to-limit), runs each alarm through the
// ISA-18.2 states (Normal, Unacknowledged, Acknowledged, Returned-to-normal
// unacknowledged) with latching, shelving, suppression by design and
// out-of-service, and writes every transition and operator action to the
// history event journal, from which it restores its state after a restart
// and computes the alarm-management KPIs.
//
// Data flow: tag table -> Subscription -> Engine.Process -> journal, and the
// UI reads Engine.Active / Engine.Summary at its own pace and calls the
// operator actions (Ack, Shelve, ...). The evaluation core (state.evaluate)
// is a pure function of the alarm's state, one reading and the time, so every
// behaviour is table-tested on a fake clock.
package alarms
