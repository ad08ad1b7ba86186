package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/opcua"
)

// cmdBrowse is `vigil browse`: it connects to an OPC UA server and prints its
// address space as a tree, or with --yaml as project-file tag entries.
func cmdBrowse(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "browse", "browse opc.tcp://HOST:PORT [--node ns=0;i=85] [--depth N] [--yaml]",
		"Print an OPC UA server's address space as a tree: NodeID, browse name, node class,\n"+
			"and for variables data type and access (r, w, rw; ? when the server does not say).\n"+
			"With --yaml, print a tags: section for the project file with one entry per variable.")
	node := fs.String("node", "i=85", "NodeID to start from (the Objects folder by default)")
	depth := fs.Int("depth", 3, "levels to descend below the start node")
	asYAML := fs.Bool("yaml", false, "print ready-to-paste project-file tag entries instead of the tree")
	device := fs.String("device", "opcua", "device name used in the --yaml entries")
	policy := fs.String("security-policy", "None", "None, Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss")
	mode := fs.String("security-mode", "None", "None, Sign or SignAndEncrypt")
	user := fs.String("user", "", "user name (anonymous when empty)")
	password := fs.String("password", "", "password, or env:NAME or file:PATH")
	trust := fs.String("trust-dir", "", "directory of trusted server certificates (default: PKI dir/trusted)")
	pki := fs.String("pki", "", "PKI directory with the client certificate (default: user config dir/vigil/pki)")
	timeout := fs.Duration("timeout", 5*time.Second, "request timeout")
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	if !strings.HasPrefix(pos[0], "opc.tcp://") {
		fmt.Fprintf(env.Stderr, "vigil browse: %q is not an OPC UA endpoint (want opc.tcp://HOST:PORT)\n", pos[0])
		return ExitUsage
	}
	if *depth < 0 {
		fmt.Fprintln(env.Stderr, "vigil browse: --depth must be 0 or more")
		return ExitUsage
	}
	pass, err := opcuaSecret(*password)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil browse: --password: %v\n", err)
		return ExitUsage
	}
	dev := &datasource.Device{
		Name: *device, Driver: "opcua", Address: pos[0], Timeout: *timeout,
		Settings: opcua.Settings{SecurityPolicy: *policy, SecurityMode: *mode, Username: *user, Password: pass, TrustDir: *trust},
	}
	d, err := opcua.New(dev, opcua.Options{PKIDir: *pki})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil browse: %v\n", err)
		return ExitUsage
	}
	if err := d.Connect(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "vigil browse: %v\n", err)
		return ExitFailure
	}
	defer d.Close()
	nodes, berr := d.Browse(ctx, *node, *depth)
	if *asYAML {
		err = opcua.WriteYAML(env.Stdout, *device, nodes)
	} else {
		err = opcua.WriteTree(env.Stdout, nodes)
	}
	if berr == nil {
		berr = err
	}
	if berr != nil {
		fmt.Fprintf(env.Stderr, "vigil browse: %v\n", berr)
		return ExitFailure
	}
	return ExitOK
}

// opcuaSecret reads "env:NAME" from the environment and "file:PATH" from a
// file (trailing newline dropped); anything else is the secret itself.
func opcuaSecret(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "env:"):
		v, ok := os.LookupEnv(strings.TrimPrefix(s, "env:"))
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", strings.TrimPrefix(s, "env:"))
		}
		return v, nil
	case strings.HasPrefix(s, "file:"):
		b, err := os.ReadFile(strings.TrimPrefix(s, "file:"))
		if err != nil {
			return "", err
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return s, nil
}
