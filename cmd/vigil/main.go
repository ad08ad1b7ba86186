// Command vigil is the Vigil operator HMI/SCADA: with no arguments it opens
// the GUI on the embedded demo project; its verbs check, run and inspect
// projects (`vigil help`). The verbs live in internal/cli; this file only
// supplies the GUI and the process exit code.
package main

import (
	"context"
	"os"

	"github.com/vigil-hmi/vigil/cmd/vigil/internal/cli"
	_ "github.com/vigil-hmi/vigil/cmd/vigil/internal/clocale" // before Fyne's init: see its doc
)

// version is stamped by the Makefile: -ldflags "-X main.version=...".
var version = ""

func main() {
	env := cli.Env{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		OpenGUI:    openGUI,
		HasDisplay: hasDisplay,
		Version:    version,
	}
	os.Exit(cli.Main(context.Background(), env, os.Args[1:]))
}
