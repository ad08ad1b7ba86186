// Package mqtt is the datasource driver "mqtt": a Sparkplug B host
// application that turns the metrics of an edge node — another Vigil station
// publishing its tags (publish: in its project), or any Sparkplug B edge node
// — into Vigil tags, so a viewing station polls no device itself.
//
// One Vigil device of driver mqtt is one edge node (group and node id) on
// one broker; a tag's address names the Sparkplug device and the metric,
// "PLC1/Tank1.Level" (a leading "/" addresses a node metric). The driver is
// a poll.Subscriber: values arrive as the node publishes them (DBIRTH, DDATA),
// with the quality the node sends in the "Quality" property. NDEATH, DDEATH
// and a lost broker turn the tags Bad/NotConnected; a gap in seq or data
// before a birth asks the node for a rebirth. With Settings.PrimaryHost the
// device's connection is a Sparkplug 3.0 primary host application: it
// publishes its retained STATE, so a node that waits for it forwards its
// outage backlog only once this station listens.
//
// A write becomes a DCMD to the node, carrying the viewer's user (poll.Operator: Engine.Write puts the request's user into the context)
// and a request id; the acquiring station runs it through its own write path
// and answers with its WriteResultMetric, whose refusal text the viewer's
// operator sees verbatim (RemoteError). See docs/control-room.md.
package mqtt
