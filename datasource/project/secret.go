package project

import (
	"errors"
	"io/fs"
	"strings"

	"go.yaml.in/yaml/v3"
)

// secret reads a secret field: a plain value, "env:NAME" (the environment
// variable NAME) or "file:PATH" (the file's contents without the final line
// break; PATH relative to the project file). The value never appears in a
// message.
func (p *parser) secret(n *yaml.Node, field string) (string, bool) {
	s, ok := p.str(n, field)
	if !ok {
		return "", false
	}
	switch {
	case strings.HasPrefix(s, "env:"):
		name := strings.TrimPrefix(s, "env:")
		if name == "" {
			p.errorf(n, field, "env: needs a variable name, e.g. env:VIGIL_OPCUA_PASSWORD")
			return "", false
		}
		v, ok := p.lookupEnv(name)
		if !ok {
			p.errorf(n, field, "environment variable %s is not set", name)
			return "", false
		}
		return v, true
	case strings.HasPrefix(s, "file:"):
		path := strings.TrimPrefix(s, "file:")
		if path == "" {
			p.errorf(n, field, "file: needs a path, e.g. file:secrets/opcua.txt")
			return "", false
		}
		full := p.relative(path)
		data, err := p.readFile(full)
		if err != nil {
			// Only the path and the reason: an error of reading never holds
			// the contents, but say it plainly rather than pass err on.
			reason := "cannot read it"
			switch {
			case errors.Is(err, fs.ErrNotExist):
				reason = "no such file"
			case errors.Is(err, fs.ErrPermission):
				reason = "permission denied"
			}
			p.errorf(n, field, "secret file %s: %s", full, reason)
			return "", false
		}
		return strings.TrimRight(string(data), "\r\n"), true
	}
	return s, true
}
