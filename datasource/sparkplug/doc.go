// Package sparkplug speaks Eclipse Sparkplug B over MQTT for Vigil's control
// room: several stations watching one plant through a broker, one station
// acquiring from the devices and publishing, the others viewing.
//
// It holds the parts both ends share and the publishing end:
//
//   - the payload codec (Payload, Metric, Encode, Decode) on the Sparkplug B
//     protobuf schema (internal/spb, generated from sparkplug_b.proto);
//   - the topic namespace (Topic, ParseTopic): spBv1.0/group/TYPE/node[/device];
//   - the MQTT connection (Broker, Dial) on github.com/eclipse/paho.golang,
//     MQTT v5, with TLS and username/password;
//   - the edge node (Node): it turns the samples of a datasource.Table into
//     NBIRTH/DBIRTH/DDATA, leaves NDEATH as the MQTT will, answers rebirth
//     requests, buffers while the broker is away and forwards the backlog
//     with is_historical set, and runs DCMD writes through a Commander (the
//     station's own write path) and publishes their results; with a
//     primary host (NodeConfig.PrimaryHost) it publishes only while that
//     host's STATE (HostState, JSON) says online.
//
// The viewing end, the Sparkplug host application that turns metrics back
// into tags, is the datasource/mqtt driver.
//
// Vigil's conventions on top of Sparkplug B (docs/control-room.md): one
// Sparkplug device per Vigil device, one metric per tag named by the tag;
// every metric carries the properties "Quality" (an OPC DA quality code,
// QualityCode) and, in births, "engUnit", "engLow"/"engHigh" and
// "description"; a write result is the device metric WriteResultMetric.
package sparkplug
