package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/vigil-hmi/vigil/datasource"
	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/datasource/poll"
)

// commandInput is where `vigil run --commands` reads its commands; tests
// replace it.
var commandInput io.Reader = passwordInput

// commandFlags are `vigil run`'s --commands and --user.
type commandFlags struct {
	on   bool
	user string
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// commandTimeout bounds one write and its read-back.
const commandTimeout = 30 * time.Second

// console runs the commands of `vigil run --commands`: one per line,
//
//	write TAG VALUE [REASON...]
//	reset TAG [REASON...]
//
// each through the same audited write path as a faceplate (permission,
// limits, write, read-back, audit trail), its outcome printed on one line.
// It is how a headless station, a script or a test changes a setpoint.
type console struct {
	rt      *Runtime
	out     io.Writer
	session *access.Session
}

// newConsole logs in for the commands: the operator in single-operator
// mode, else user, whose password is the first line of in.
func newConsole(rt *Runtime, out io.Writer, user string, in *bufio.Scanner) (*console, error) {
	c := &console{rt: rt, out: out}
	if rt.Auditor == nil {
		return nil, errors.New("--commands: writes need the audit trail, and history is off (--no-history)")
	}
	if rt.Users.SingleOperator() {
		s, err := rt.Users.Authenticate(access.SingleOperatorUser, "")
		c.session = s
		return c, err
	}
	if user == "" {
		return nil, fmt.Errorf("--commands: the project has users (%s): give --user NAME and the password as the first line of stdin", rt.Users.Path())
	}
	if !in.Scan() {
		return nil, fmt.Errorf("--commands: no password for %s on stdin", user)
	}
	s, err := rt.Users.Authenticate(user, in.Text())
	if aerr := rt.Auditor.Login(user, err, ""); aerr != nil && err == nil {
		err = aerr
	}
	if err != nil {
		return nil, fmt.Errorf("--commands: %w", err)
	}
	c.session = s
	return c, nil
}

// connectWait bounds how long the console waits for the devices' first
// connection before it takes commands.
const connectWait = 15 * time.Second

// run executes the commands of in until it ends or ctx does. It starts
// once every device has had its first connection attempt, so a script's
// first write does not meet a device still connecting.
func (c *console) run(ctx context.Context, in *bufio.Scanner) {
	for deadline := time.Now().Add(connectWait); time.Now().Before(deadline) && c.connecting(); {
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		for in.Scan() {
			select {
			case lines <- in.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case line, ok := <-lines:
			if !ok {
				return
			}
			if out := c.do(ctx, line); out != "" {
				fmt.Fprintln(c.out, out)
			}
		}
	}
}

// connecting reports whether a device is still on its first connection.
func (c *console) connecting() bool {
	for _, d := range c.rt.Engine.Status() {
		if d.State == poll.Connecting {
			return true
		}
	}
	return false
}

// do runs one command line and returns what to print.
func (c *console) do(ctx context.Context, line string) string {
	f := strings.Fields(line)
	switch {
	case len(f) == 0 || strings.HasPrefix(f[0], "#"):
		return ""
	case f[0] == "reset" && len(f) >= 2:
		return c.reset(f[1], strings.Join(f[2:], " "))
	case f[0] != "write" || len(f) < 3:
		return fmt.Sprintf("command %q: want: write TAG VALUE [REASON...] or reset TAG [REASON...]", line)
	}
	tag, ok := c.rt.Project.Tag(f[1])
	if !ok {
		return fmt.Sprintf("write %s: no such tag", f[1])
	}
	v, err := commandValue(tag, f[2])
	if err != nil {
		return fmt.Sprintf("write %s: %v", tag.Name, err)
	}
	reason := strings.Join(f[3:], " ")
	if reason == "" {
		reason = "vigil run --commands"
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	res, err := c.rt.Auditor.GuardedWrite(ctx, c.session, c.rt.Engine, tag, v, "", reason)
	if err != nil {
		return fmt.Sprintf("write %s: refused or failed: %v", tag.Name, err)
	}
	return fmt.Sprintf("write %s: wrote %s, read back %s %s", tag.Name, res.Requested.Format(tag.Decimals), res.ReadBack.Value.Format(tag.Decimals), res.ReadBack.Quality)
}

// reset resets a totalizer on demand (Runtime.ResetTotal).
func (c *console) reset(name, reason string) string {
	tag, ok := c.rt.Project.Tag(name)
	if !ok {
		return fmt.Sprintf("reset %s: no such tag", name)
	}
	if reason == "" {
		reason = "vigil run --commands"
	}
	old := c.rt.Table.Get(tag.ID)
	if err := c.rt.ResetTotal(c.session, tag, reason); err != nil {
		return fmt.Sprintf("reset %s: refused or failed: %v", tag.Name, err)
	}
	return fmt.Sprintf("reset %s: was %s, now 0", tag.Name, formatPlain(tag, old.Value))
}

// commandValue parses a command's value for tag: a state name or
// true/false/on/off/1/0 for bools, text for strings, otherwise a number as
// the faceplate reads it (poll.ParseValue) within the tag's limits.
func commandValue(tag *datasource.Tag, s string) (datasource.Value, error) {
	if tag.Type == datasource.TypeBool {
		for n, name := range tag.States {
			if strings.EqualFold(name, s) {
				return datasource.Bool(n != 0), nil
			}
		}
		switch strings.ToLower(s) {
		case "true", "on", "1":
			return datasource.Bool(true), nil
		case "false", "off", "0":
			return datasource.Bool(false), nil
		}
		return datasource.Value{}, fmt.Errorf("%q is not a state: use true/false, on/off, 1/0 or the tag's state names", s)
	}
	if tag.Type == datasource.TypeString {
		return datasource.String(s), nil
	}
	v, err := poll.ParseValue(tag, s)
	if err != nil {
		return datasource.Value{}, err
	}
	if err := poll.CheckValue(tag, v); err != nil {
		return datasource.Value{}, err
	}
	return v, nil
}
