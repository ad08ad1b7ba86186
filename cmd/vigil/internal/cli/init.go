package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigil-hmi/vigil/assets"
)

// demoProjectLine is the demo's project name line, which init replaces.
const demoProjectLine = "\nproject: Demo plant\n"

// cmdInit writes the embedded demo to a file, the way to start a project
// of one's own (or to edit the demo's displays, which the embedded copy
// cannot save): the binary is all an installed Vigil has, so
// assets/demo.yaml is nowhere else on the machine.
func cmdInit(_ context.Context, env Env, args []string) int {
	fset := newFlags(env, "init", "init FILE",
		"Write the demo project to FILE as a starting point of your own: the simulated plant's device,\n"+
			"tags, alarms, calculated tags and displays, with their comments (docs/project-file.md).\n"+
			"The project is named after FILE, so its history file is not the demo's. FILE must not exist.")
	pos, code, done := parseN(fset, args, 1)
	if done {
		return code
	}
	path := pos[0]
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if name == "" || name == "." {
		name = "My plant"
	}
	if !bytes.Contains(assets.Demo, []byte(demoProjectLine)) {
		fmt.Fprintf(env.Stderr, "vigil init: internal: the demo has no %q line\n", strings.TrimSpace(demoProjectLine))
		return ExitFailure
	}
	data := bytes.Replace(assets.Demo, []byte(demoProjectLine), []byte("\nproject: "+strconv.Quote(name)+"\n"), 1)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		fmt.Fprintf(env.Stderr, "vigil init: %s exists; nothing was written (give a new file's name)\n", path)
		return ExitFailure
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil init: %v\n", err)
		return ExitFailure
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // a half-written project would only mislead
		fmt.Fprintf(env.Stderr, "vigil init: %v; nothing was kept\n", err)
		return ExitFailure
	}
	fmt.Fprintf(env.Stdout, "%s: the demo plant as project %q\n"+
		"  vigil open %s     to run it (edit its displays with Edit)\n"+
		"  vigil check %s    after you change it (docs/project-file.md)\n", path, name, path, path)
	return ExitOK
}
