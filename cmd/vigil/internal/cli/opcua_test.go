package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/vigil-hmi/vigil/datasource/opcua/opcuatest"
)

func runBrowse(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cmdBrowse(context.Background(), Env{Stdout: &out, Stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestBrowseVerb(t *testing.T) {
	srv := opcuatest.Start(t, opcuatest.Options{ChangeEvery: -1})
	pki := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"--help prints the usage and exits 0", []string{"--help"}, ExitOK, "", "Usage: vigil browse opc.tcp://HOST:PORT"},
		{"no endpoint is a usage error", nil, ExitUsage, "", "want 1 argument"},
		{"a non-OPC UA URL is a usage error", []string{"http://x"}, ExitUsage, "", "not an OPC UA endpoint"},
		{"the tree shows NodeID, name, type and access", []string{srv.Endpoint(), "--node", "ns=2;s=Test", "--depth", "1", "--pki", pki},
			ExitOK, "  ns=2;s=SetDouble  SetDouble  Variable  Double  rw\n", ""},
		{"--yaml prints tag entries", []string{srv.Endpoint(), "--node", "ns=2;s=Test", "--yaml", "--device", "plc1", "--pki", pki},
			ExitOK, "  - name: SetDouble\n    device: plc1\n    address: ns=2;s=SetDouble\n    type: float64\n    writable: true\n", ""},
		{"an unreachable server fails with exit 1", []string{"opc.tcp://127.0.0.1:1", "--timeout", "200ms", "--pki", pki}, ExitFailure, "", `device "opcua": connect opc.tcp://127.0.0.1:1`},
		{"an unknown start node fails with exit 1", []string{srv.Endpoint(), "--node", "ns=2;s=Nope", "--pki", pki}, ExitFailure, "", "BadNodeIdUnknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runBrowse(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, stdout containing %q, stderr containing %q", code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
