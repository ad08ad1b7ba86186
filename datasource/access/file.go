package access

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// UsersPath returns the users file of a project file: "plant.users.yaml"
// next to "plant.yaml".
func UsersPath(projectFile string) string {
	return strings.TrimSuffix(projectFile, filepath.Ext(projectFile)) + ".users.yaml"
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// maxFile bounds what Load reads: a users file is a few kilobytes.
const maxFile = 1 << 20

// readFile reads and parses the users file at path into d. Every problem
// is reported as "path:line: field: message", all of them joined.
func (d *Directory) readFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("users file %s: %w (%w)", path, ErrNoUsersFile, err)
		}
		return fmt.Errorf("users file %s: %w", path, err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return &FileModeError{Path: path, Mode: uint32(fi.Mode().Perm())}
	}
	if fi.Size() > maxFile {
		return fmt.Errorf("users file %s: %d bytes is too large for a users file", path, fi.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("users file %s: %w", path, err)
	}
	return d.parse(path, data)
}

// parse reads the YAML of a users file.
func (d *Directory) parse(path string, data []byte) error {
	var errs []error
	bad := func(n *yaml.Node, field, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if field != "" {
			msg = field + ": " + msg
		}
		errs = append(errs, fmt.Errorf("%s:%d: %s", path, n.Line, msg))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("users file %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file: no users yet
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: want a mapping of users, lockout_after, lockout_for and idle_logoff", path, root.Line)
	}
	duration := func(v *yaml.Node, field string) time.Duration {
		dur, err := time.ParseDuration(v.Value)
		if v.Kind != yaml.ScalarNode || err != nil || dur < 0 {
			bad(v, field, "want a duration such as 15m, got %q", v.Value)
			return 0
		}
		return dur
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "lockout_after":
			var n int
			if err := v.Decode(&n); err != nil || n < 0 {
				bad(v, k.Value, "want a number of failed logins (0: never lock), got %q", v.Value)
			}
			d.policy.LockoutAfter = n
		case "lockout_for":
			d.policy.LockoutFor = duration(v, k.Value)
		case "idle_logoff":
			d.policy.IdleLogoff = duration(v, k.Value)
		case "users":
			if v.Kind != yaml.SequenceNode {
				bad(v, k.Value, "want a list of users")
				continue
			}
			for j, item := range v.Content {
				if u, ok := d.parseUser(item, fmt.Sprintf("users[%d]", j), bad); ok {
					if _, dup := d.byName[u.Name]; dup {
						bad(item, fmt.Sprintf("users[%d].name", j), "user %q is listed twice", u.Name)
						continue
					}
					d.users = append(d.users, u)
					d.byName[u.Name] = len(d.users) - 1
				}
			}
		default:
			bad(k, "", "unknown field %q (want users, lockout_after, lockout_for, idle_logoff)", k.Value)
		}
	}
	return errors.Join(errs...)
}

// parseUser reads one entry of users:.
func (d *Directory) parseUser(n *yaml.Node, field string, bad func(*yaml.Node, string, string, ...any)) (User, bool) {
	u := User{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		bad(n, field, "want {name, role, hash, areas}")
		return u, false
	}
	ok := true
	var haveRole bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := field + "." + k.Value
		switch k.Value {
		case "name":
			if !nameRE.MatchString(v.Value) || v.Kind != yaml.ScalarNode {
				bad(v, f, "%q: want 1 to 64 letters, digits, _, . or -", v.Value)
				ok = false
			}
			u.Name = v.Value
		case "role":
			r, err := ParseRole(v.Value)
			if err != nil {
				bad(v, f, "%v", err)
				ok = false
			}
			u.Role, haveRole = r, true
		case "hash":
			if err := checkHash(v.Value); err != nil {
				// Never echo the hash: it is a secret too.
				bad(v, f, "%v; set the password again with vigil user passwd", err)
				ok = false
			}
			u.Hash = v.Value
		case "areas":
			if err := v.Decode(&u.Areas); err != nil {
				bad(v, f, "want a list of areas (tag groups), e.g. [Tanks, Pumps]")
				ok = false
			}
		default:
			bad(k, field, "unknown field %q (want name, role, hash, areas)", k.Value)
			ok = false
		}
	}
	for _, req := range []struct {
		name string
		have bool
	}{{"name", u.Name != ""}, {"role", haveRole}, {"hash", u.Hash != ""}} {
		if !req.have {
			bad(n, field+"."+req.name, "required")
			ok = false
		}
	}
	return u, ok
}

// fileUser is a user as written to the file.
type fileUser struct {
	Name  string   `yaml:"name"`
	Role  string   `yaml:"role"`
	Areas []string `yaml:"areas,flow,omitempty"`
	Hash  string   `yaml:"hash"`
}

type fileDoc struct {
	LockoutAfter int        `yaml:"lockout_after"`
	LockoutFor   string     `yaml:"lockout_for"`
	IdleLogoff   string     `yaml:"idle_logoff"`
	Users        []fileUser `yaml:"users"`
}

// Save writes the directory to its file, readable by its owner only,
// replacing the file atomically (a crash leaves the old or the new file).
func (d *Directory) Save() error {
	if d.path == "" {
		return errors.New("single-operator mode has no users file to save")
	}
	d.mu.Lock()
	doc := fileDoc{
		LockoutAfter: d.policy.LockoutAfter,
		LockoutFor:   d.policy.LockoutFor.String(),
		IdleLogoff:   d.policy.IdleLogoff.String(),
	}
	for _, u := range d.users {
		doc.Users = append(doc.Users, fileUser{Name: u.Name, Role: u.Role.String(), Areas: u.Areas, Hash: u.Hash})
	}
	d.mu.Unlock()
	var buf bytes.Buffer
	buf.WriteString("# Vigil users: keep this file next to the project, readable by its owner only (chmod 600).\n" +
		"# Edit with vigil user add|passwd|remove|list. See docs/security.md.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("users file %s: %w", d.path, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("users file %s: %w", d.path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(d.path), "."+filepath.Base(d.path)+".*")
	if err != nil {
		return fmt.Errorf("users file %s: %w", d.path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("users file %s: %w", d.path, err)
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("users file %s: %w", d.path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("users file %s: %w", d.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("users file %s: %w", d.path, err)
	}
	if err := os.Rename(tmp.Name(), d.path); err != nil {
		return fmt.Errorf("users file %s: %w", d.path, err)
	}
	return nil
}
