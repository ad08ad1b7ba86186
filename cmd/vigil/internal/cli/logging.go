package cli

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"
)

// logFlag is the --log flag of the verbs that run a project: the lowest
// level of the lines they write to stderr.
type logFlag struct{ level slog.Level }

// register adds --log to fs.
func (f *logFlag) register(fs *flag.FlagSet) {
	fs.Func("log", "stderr log level: debug, info, warn or error (default info: device state changes with their cause)", func(s string) error {
		return f.level.UnmarshalText([]byte(s))
	})
}

// newLogger returns the logger of a verb that runs a project: text lines
// from level up on w. At info it carries each device state change with its
// cause (connect, disconnect and retry, refused certificate or login) once
// per cause, and what other parts report as worth an operator's attention.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// quietLibraries sends what libraries write to the standard logger (gopcua
// prints its node set import and protocol trouble with log.Printf) to l at
// debug level, one record per line, until the returned function restores
// the standard logger. Such lines are meant for the library's developers;
// without this they would land between `vigil sim`'s register map and the
// device lines an operator reads.
func quietLibraries(l *slog.Logger) (restore func()) {
	w := &libWriter{log: l}
	oldOut, oldFlags, oldPrefix := log.Writer(), log.Flags(), log.Prefix()
	log.SetOutput(w)
	log.SetFlags(0)
	log.SetPrefix("")
	return func() {
		log.SetOutput(oldOut)
		log.SetFlags(oldFlags)
		log.SetPrefix(oldPrefix)
	}
}

// libWriter logs each line written to it as a debug record.
type libWriter struct {
	log *slog.Logger
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (w *libWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil { // no newline yet: keep the rest for the next Write
			rest := line
			w.buf.Reset()
			w.buf.WriteString(rest)
			return len(p), nil
		}
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			w.log.Log(context.Background(), slog.LevelDebug, line, "source", "library")
		}
	}
}

// runLogger sets up the stderr logger of a verb that runs a project and
// quiets the libraries; call the returned function when the verb ends.
// env.Stderr becomes a locked writer shared with the logger, whose lines
// come from the engine's goroutines while the verb prints its own.
func runLogger(env *Env, f logFlag) (*slog.Logger, func()) {
	env.Stderr = &lockedWriter{w: env.Stderr}
	l := newLogger(env.Stderr, f.level)
	return l, quietLibraries(l)
}
