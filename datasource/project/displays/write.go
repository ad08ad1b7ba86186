package displays

import (
	"fmt"
	"strings"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// WriteValue is the value a write button writes: its text parsed for its
// tag (true/false/1/0 for a bool tag) and checked like a setpoint
// (poll.CheckValue). The loader calls it so a wrong button is a file
// error, not an operator's surprise; the button calls it again to write.
func WriteValue(t *datasource.Tag, text string) (datasource.Value, error) {
	var v datasource.Value
	switch t.Type {
	case datasource.TypeBool:
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "true", "1":
			v = datasource.Bool(true)
		case "false", "0":
			v = datasource.Bool(false)
		default:
			return v, fmt.Errorf("tag %q is bool: the value must be true, false, 1 or 0, got %q", t.Name, text)
		}
	case datasource.TypeString:
		v = datasource.String(text)
	default:
		var err error
		if v, err = poll.ParseValue(t, text); err != nil {
			return v, fmt.Errorf("tag %q: %q: %w", t.Name, text, err)
		}
	}
	if err := poll.CheckValue(t, v); err != nil {
		return datasource.Value{}, err
	}
	return v, nil
}
