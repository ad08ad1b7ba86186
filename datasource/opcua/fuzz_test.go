package opcua

import "testing"

// FuzzParseAddress feeds tag addresses from project files to the NodeID
// parser: it must never panic, and an accepted address must print as a
// NodeID that parses back to the same node.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"ns=2;s=Tank1.Level", "ns=2;i=42", "i=85", "ns=1;g=5eac051c-c313-43d7-b790-24aa2c3cfd37", "ns=3;b=YWJj", "s=", "ns=;i=1", "ns=99999999;i=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		nid, err := parseAddress(addr)
		if err != nil {
			return
		}
		back, err := parseAddress(nid.String())
		if err != nil {
			t.Fatalf("%q parsed as %s, which does not parse: %v", addr, nid, err)
		}
		if back.String() != nid.String() {
			t.Fatalf("%q: %s printed and parsed as %s", addr, nid, back)
		}
	})
}
