package project

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/calc"
	"github.com/vigil-hmi/vigil/datasource/project/displays"
)

// MaxFileSize is the largest project file Load and Parse accept. Real
// projects are well below it; the bound keeps a wrong file (a log, a
// database) from being parsed at length.
const MaxFileSize = 16 << 20

// DefaultStaleFactor is the stale_factor of a project that does not set it.
const DefaultStaleFactor = 3

// MaxStaleFactor bounds stale_factor: beyond it a tag would practically
// never turn stale, which is what 0 says plainly.
const MaxStaleFactor = 1000

// Project is a compiled, validated project file.
type Project struct {
	Name        string
	File        string  // the path it was loaded from, as given
	StaleFactor float64 // a tag is stale after StaleFactor x its scan rate; 0 disables
	Devices     []*datasource.Device
	// Tags are indexed by TagID: the user tags in file order, then one
	// system tag per device (datasource.ConnectedTagName) in device order.
	Tags  []*datasource.Tag
	Users []User
	Roles []Role
	// Publish is the publish section: this station publishes its tags as a
	// Sparkplug B edge node. nil when absent.
	Publish *Publish
	// Location is the project's time zone (time_zone; default the
	// machine's), for calculated tags' resets and clock functions.
	Location *time.Location
	// Shifts are the shift start times (shifts), as offsets from local
	// midnight, sorted.
	Shifts []time.Duration
	// Retention is how much history the station keeps (retention); zero
	// fields keep that part forever.
	Retention Retention
	// Calc is the compiled calculated tags; nil when there are none.
	Calc *calc.Set
	// Displays are the project's process displays (the displays: section
	// and the files it names), compiled; an empty Set when there are none.
	Displays *displays.Set

	tagIndex  datasource.TagIndex // Tag's: a map would be 3 MB at 100,000 tags, for a few lookups
	devByName map[string]*datasource.Device
	tagsOfDev map[string][]*datasource.Tag
}

// User is an operator account as the project file lists it. The security
// model (datasource/access) gives it meaning; this package only checks that
// it is well formed.
type User struct {
	Name string
	Role string
	Pos  datasource.Pos
}

// Role is a role as the project file lists it (see User).
type Role struct {
	Name string
	Pos  datasource.Pos
}

// Tag returns the tag named name.
func (p *Project) Tag(name string) (*datasource.Tag, bool) {
	return p.tagIndex.Lookup(name)
}

// Device returns the device named name.
func (p *Project) Device(name string) (*datasource.Device, bool) {
	d, ok := p.devByName[name]
	return d, ok
}

// TagsOf returns the tags read from device, system tag included, in TagID
// order. The slice is shared: do not modify it.
func (p *Project) TagsOf(device string) []*datasource.Tag { return p.tagsOfDev[device] }

// Load reads and compiles the project file at path. Its error is an Errors
// listing every problem, or the error of reading the file.
func Load(path string) (*Project, error) {
	data, err := readProject(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// LoadPartial is Load that also returns what could be compiled when the file
// has errors: every tag with the fields that were valid, linked to its
// device, so that the drivers can check the tags' addresses too and every
// problem of a tag is reported at once (`vigil check`). The project is nil
// only when the file cannot be read or is not a YAML mapping. A project
// returned with an error must never be run.
func LoadPartial(path string) (*Project, error) {
	data, err := readProject(path)
	if err != nil {
		return nil, err
	}
	return ParsePartial(path, data)
}

// ParsePartial is Parse as LoadPartial compiles.
func ParsePartial(file string, data []byte) (*Project, error) {
	p := &parser{file: file, dir: filepath.Dir(file), lookupEnv: os.LookupEnv, readFile: os.ReadFile}
	proj := p.compile(data)
	if err := p.result(); err != nil {
		return proj, err
	}
	return proj, nil
}

func readProject(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("project: %w", err)
	}
	defer f.Close() // read-only: a close error cannot lose data
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("project %s: %w", path, err)
	}
	return data, nil
}

// Parse compiles the project file contents data; file names it in messages
// and is the base for relative paths in it (secret files, certificates).
// Environment variables of secrets are read from the process environment.
func Parse(file string, data []byte) (*Project, error) {
	return newParser(file).parse(data)
}

// newParser returns a parser of file reading secrets and display files
// from the disk.
func newParser(file string) *parser {
	return &parser{file: file, dir: filepath.Dir(file), lookupEnv: os.LookupEnv, readFile: os.ReadFile}
}

func (p *parser) parse(data []byte) (*Project, error) {
	proj := p.compile(data)
	if err := p.result(); err != nil {
		return nil, err
	}
	return proj, nil
}

// result returns the problems found, in file order, or nil (not a nil
// Errors in an error) when there are none.
func (p *parser) result() error {
	if len(p.errs) == 0 {
		return nil
	}
	p.errs.sortByLine(p.file)
	if p.truncated {
		last := p.errs[len(p.errs)-1].Pos.Line
		p.errs = append(p.errs, &Error{Pos: datasource.Pos{File: p.file, Line: last}, Msg: "too many errors; fix these first"})
	}
	return p.errs
}

// compile decodes data and walks it; problems go to p.errs.
func (p *parser) compile(data []byte) *Project {
	if len(data) > MaxFileSize {
		p.errorAt(1, "", fmt.Sprintf("file is larger than %d MiB; is it a project file?", MaxFileSize>>20))
		return nil
	}
	root, ok := p.decode(data)
	if !ok {
		return nil
	}
	proj := &Project{File: p.file, StaleFactor: DefaultStaleFactor}
	m := p.mapping(root, "", "project", "stale_factor", "time_zone", "shifts", "retention", "devices", "tags", "users", "roles", "publish", "displays")
	if m == nil {
		return nil
	}
	if n := m.get("project"); n != nil {
		if s, ok := p.str(n, "project"); ok && s == "" {
			p.errorf(n, "project", "must not be empty")
		} else {
			proj.Name = s
		}
	} else {
		p.errorf(root, "project", "required: the project's name")
	}
	if n := m.get("stale_factor"); n != nil {
		if v, ok := p.nonNegative(n, "stale_factor"); ok {
			if v > MaxStaleFactor {
				p.errorf(n, "stale_factor", "must be at most %d, got %g", MaxStaleFactor, v)
			} else {
				proj.StaleFactor = v
			}
		}
	}
	proj.Location = p.timeZone(m.get("time_zone"))
	proj.Shifts = p.shiftTimes(m.get("shifts"))
	proj.Retention = p.retention(m.get("retention"))
	p.shifts = proj.Shifts
	proj.Devices = p.devices(m.get("devices"))
	proj.Publish = p.publish(m.get("publish"))
	tags := p.tags(m.get("tags"))
	compactTags(tags)
	proj.Users, proj.Roles = p.users(m.get("users"), m.get("roles"))
	p.link(proj, tags)
	p.linkCalc(proj, tags)
	p.displays(proj, m.get("displays"))
	return proj
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblems are the problems the YAML library's parser (not its
// scanner) reports. For them it prints the 0-based line of the block or
// flow collection that encloses the problem, so the line is one too small.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// decode parses data as exactly one YAML document and returns its root.
func (p *parser) decode(data []byte) (root *yaml.Node, ok bool) {
	defer func() {
		// The YAML library is outside code: if some input ever makes it
		// panic, that is a bad file, not a crash of the HMI.
		if r := recover(); r != nil {
			p.errorAt(1, "", fmt.Sprintf("invalid YAML: %v", r))
			root, ok = nil, false
		}
	}()
	if root, err := decodeSplit(data); err == nil {
		return root, true
	} // else decode it whole: that reports any problem the same way for every size
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorAt(1, "", "file is empty; a project needs at least project, devices and tags")
		} else {
			p.yamlError(err)
		}
		return nil, false
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		p.errorAt(next.Line, "", "more than one YAML document (---); a project file holds one")
		return nil, false
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(err)
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.errorAt(1, "", "file is empty; a project needs at least project, devices and tags")
		return nil, false
	}
	root = doc.Content[0]
	switch {
	case isNull(root):
		p.errorAt(1, "", "file is empty; a project needs at least project, devices and tags")
		return nil, false
	case resolve(root).Kind != yaml.MappingNode:
		p.errorf(root, "", "the file must be a mapping with project, devices and tags, not %s", describe(resolve(root)))
		return nil, false
	}
	return root, true
}

// yamlError records a YAML syntax error at the line the library names.
func (p *parser) yamlError(err error) {
	msg := err.Error()
	line := 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if l, convErr := strconv.Atoi(m[1]); convErr == nil && l > 0 {
			line = l
		}
		msg = m[2]
		if contains(yamlParserProblems, msg) {
			line++
			msg += " (in the block that starts here)"
		}
	} else if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	p.errorAt(line, "", "invalid YAML: "+msg)
}
