// Package opcua is Vigil's OPC UA client driver (gopcua v0.9.0 underneath).
//
// It sits between an OPC UA server and the poll engine (datasource/poll): the
// engine calls Prepare, Connect, Read, Write and Close as for every driver,
// and, because the driver implements poll.Subscriber, Subscribe once per scan
// class so that the server pushes changes through monitored items. A device
// with Settings.Poll uses registered reads at the scan rate instead.
//
// Connecting discovers the server's endpoints (GetEndpoints), picks the one
// with the configured security policy and mode, checks the server certificate
// against the device's trust list, and opens a session, anonymous or with
// user name and password. The client certificate and key are generated on
// first use under the PKI directory (os.UserConfigDir()/vigil/pki).
//
// Health is never guessed: gopcua's auto-reconnect is off, every failure is
// returned to the engine (which owns backoff), and Subscribe runs its own
// publish loop with a watchdog that fails the subscription when neither data
// nor a keep-alive arrives within a few publishing intervals, because gopcua
// can keep a "connected" client whose subscription is dead.
//
// Status codes map to datasource.Quality as documented on Quality.
package opcua
