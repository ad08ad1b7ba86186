package cli

import (
	"bufio"
	"bytes"
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
	"github.com/vigil-hmi/vigil/history/audit"
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

// maxCommandLine is the longest line --commands reads; a longer one is
// refused with its line number and the session goes on.
const maxCommandLine = 64 << 10

// lineReader reads the lines of --commands, numbered from 1. Unlike
// bufio.Scanner, whose 64 KiB limit ends the input silently, it refuses a
// line longer than max (*lineTooLongError), skips to its end and goes on.
type lineReader struct {
	r   *bufio.Reader
	n   int // the number of the last line read
	max int
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReader(r), max: maxCommandLine}
}

// lineTooLongError refuses a command line over the limit.
type lineTooLongError struct {
	Line  int   // its number, from 1
	Bytes int64 // its length without the line end
	Max   int
	Start string // its first bytes, to tell which tag a write was for
}

func (e *lineTooLongError) Error() string {
	return fmt.Sprintf("line %d: %d bytes, longer than the %d a command may have; ignored", e.Line, e.Bytes, e.Max)
}

// next returns the next line without its line end; io.EOF after the
// last; a *lineTooLongError for a line over the limit, after which the
// next call reads the line after it; any other error of the reader. It
// holds at most the limit and one buffer of a long line in memory.
func (l *lineReader) next() (string, error) {
	var buf []byte
	var n int64 // bytes of the line, its end included
	for {
		chunk, err := l.r.ReadSlice('\n')
		n += int64(len(chunk))
		if len(buf) <= l.max {
			buf = append(buf, chunk...)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && n == 0:
			return "", io.EOF
		case err != nil && err != io.EOF:
			return "", err
		}
		l.n++
		length := n // without the line end, \n or \r\n
		if bytes.HasSuffix(chunk, []byte("\n")) {
			length--
			if length > 0 && length <= int64(len(buf)) && buf[length-1] == '\r' {
				length--
			}
		}
		if length > int64(l.max) {
			return "", &lineTooLongError{Line: l.n, Bytes: length, Max: l.max, Start: string(buf[:min(len(buf), 256)])}
		}
		return string(buf[:length]), nil
	}
}

// newConsole logs in for the commands: the operator in single-operator
// mode, else user, whose password is the first line of in.
func newConsole(rt *Runtime, out io.Writer, user string, in *lineReader) (*console, error) {
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
	password, err := in.next()
	if err != nil {
		return nil, fmt.Errorf("--commands: no password for %s on stdin: %w", user, err)
	}
	s, err := rt.Users.Authenticate(user, password)
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
func (c *console) run(ctx context.Context, in *lineReader) {
	for deadline := time.Now().Add(connectWait); time.Now().Before(deadline) && c.connecting(); {
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	// A line is a command, or what the reader says instead of one.
	type line struct {
		text, refusal string
		long          *lineTooLongError
	}
	lines := make(chan line)
	go func() {
		defer close(lines)
		for {
			text, err := in.next()
			var l line
			var long *lineTooLongError
			switch {
			case err == nil:
				l.text = text
			case errors.As(err, &long):
				l.refusal, l.long = long.Error(), long // refused and said; the session goes on
			case err == io.EOF:
				return
			default:
				l.refusal = fmt.Sprintf("line %d: reading the commands: %v; no more commands are read", in.n+1, err)
			}
			select {
			case lines <- l:
			case <-ctx.Done():
				return
			}
			if l.refusal != "" && long == nil {
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case l, ok := <-lines:
			if !ok {
				return
			}
			out := l.refusal
			switch {
			case l.long != nil:
				out = c.refuseLong(l.long)
			case out == "":
				out = c.do(ctx, l.text)
			}
			if out != "" {
				fmt.Fprintln(c.out, out)
			}
		}
	}
}

// refuseLong says why a line over the limit is refused and, when it is a
// write, records the refusal in the audit trail like any other.
func (c *console) refuseLong(long *lineTooLongError) string {
	f := strings.Fields(long.Start)
	if len(f) < 2 || f[0] != "write" {
		return long.Error()
	}
	_, err := c.rt.Writes.Refuse(c.session, audit.Request{Tag: f[1], Text: fmt.Sprintf("(a line of %d bytes)", long.Bytes),
		Reason: "vigil run --commands", Via: audit.ViaConsole}, long)
	if err != nil && !errors.Is(err, long) {
		return fmt.Sprintf("%s; %v", long.Error(), err) // the audit record failed
	}
	return long.Error()
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
	out, _ := c.command(ctx, line)
	return out
}

// command runs one command line: what to print, and the write path's
// error (nil when the value was written or the line is no write).
func (c *console) command(ctx context.Context, line string) (string, error) {
	f := strings.Fields(line)
	switch {
	case len(f) == 0 || strings.HasPrefix(f[0], "#"):
		return "", nil
	case f[0] == "reset" && len(f) >= 2:
		return c.reset(f[1], strings.Join(f[2:], " ")), nil
	case f[0] != "write" || len(f) < 3:
		return fmt.Sprintf("command %q: want: write TAG VALUE [REASON...] or reset TAG [REASON...]", line), nil
	}
	reason := strings.Join(f[3:], " ")
	if reason == "" {
		reason = "vigil run --commands"
	}
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	res, err := c.rt.Writes.Write(ctx, c.session, audit.Request{Tag: f[1], Text: f[2], Reason: reason, Via: audit.ViaConsole})
	if err != nil {
		return fmt.Sprintf("write %s: %v", f[1], err), err
	}
	tag, _ := c.rt.Project.Tag(f[1])
	return fmt.Sprintf("write %s: wrote %s, read back %s %s", tag.Name, datasource.FormatValue(tag, res.Requested), datasource.FormatValue(tag, res.ReadBack.Value), res.ReadBack.Quality), nil
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
