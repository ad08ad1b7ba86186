package project

import (
	"io/fs"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource/project/displays"
)

// displays compiles the displays: section (package displays) once the tags
// are known, and adds its problems to the file's.
func (p *parser) displays(proj *Project, n *yaml.Node) {
	set, errs := displays.Compile(displays.Input{File: p.file, Node: n, Tags: proj.Tags, FS: p.fsys})
	for _, e := range errs {
		if len(p.errs) >= maxErrors {
			p.truncated = true
			break
		}
		p.errs = append(p.errs, e)
	}
	proj.Displays = set
}

// ParseFS is Parse for a project whose display files and images are read
// from fsys, the project file's directory (the embedded demo), rather than
// from the disk beside file.
func ParseFS(fsys fs.FS, file string, data []byte) (*Project, error) {
	p := newParser(file)
	p.fsys = fsys
	return p.parse(data)
}
