package cli

// The security verbs: vigil user add|passwd|remove|list on a users file,
// and vigil audit verify|export on a history file's event journal.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/vigil-hmi/vigil/datasource/access"
	"github.com/vigil-hmi/vigil/history"
	"github.com/vigil-hmi/vigil/history/audit"
)

// passwordInput is where `vigil user` reads passwords: a prompt without
// echo when it is a terminal, else one line per password. Tests replace it.
var passwordInput io.Reader = os.Stdin

// userHashParams are the argon2id costs of passwords `vigil user` sets;
// tests lower them.
var userHashParams = access.DefaultHashParams

// subVerbs dispatches `vigil NAME SUB ...` to subs, printing usage (about)
// for help and unknown subcommands.
func subVerbs(ctx context.Context, env Env, name, about string, subs map[string]func(context.Context, Env, []string) int, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, about)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(env.Stdout, about)
		return ExitOK
	}
	run, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "vigil %s: unknown command %q\n\n%s", name, args[0], about)
		return ExitUsage
	}
	return run(ctx, env, args[1:])
}

// cmdUser is `vigil user add|passwd|remove|list USERSFILE ...`.
func cmdUser(ctx context.Context, env Env, args []string) int {
	return subVerbs(ctx, env, "user", "Usage: vigil user COMMAND USERSFILE ...\n\n"+
		"Manage the users file of a project (plant.users.yaml next to plant.yaml; see docs/security.md).\n"+
		"Passwords are asked for on the terminal (twice, not echoed) or read one per line from stdin.\n\nCommands:\n"+
		"  add USERSFILE NAME --role ROLE [--areas a,b]   add a user (creates the file)\n"+
		"  passwd USERSFILE NAME                          set a user's password\n"+
		"  remove USERSFILE NAME                          remove a user\n"+
		"  list USERSFILE                                 list users, roles and areas\n"+
		"\nRoles: viewer, operator, engineer, administrator. Every command takes --help.\n",
		map[string]func(context.Context, Env, []string) int{
			"add": cmdUserAdd, "passwd": cmdUserPasswd, "remove": cmdUserRemove, "list": cmdUserList,
		}, args)
}

// userChangeFlags are the flags of the verbs that change a users file.
type userChangeFlags struct {
	stdin   bool
	history string
}

func (u *userChangeFlags) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
}, password bool) {
	if password {
		fs.BoolVar(&u.stdin, "password-stdin", false, "read the password from stdin (one line) even on a terminal")
	}
	fs.StringVar(&u.history, "history", "", "also record the change in this history file's audit trail")
}

func cmdUserAdd(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "user add", "user add USERSFILE NAME --role ROLE [--areas a,b] [--password-stdin] [--history FILE]",
		"Add a user to the users file (created, mode 600, when missing). NAME: letters, digits, _, . and -.\n"+
			"--areas limits writes and alarm actions to tags of those groups; empty: all.")
	role := fs.String("role", "", "viewer, operator, engineer or administrator (required)")
	areas := fs.String("areas", "", "comma-separated tag groups the user may act on (default all)")
	var ch userChangeFlags
	ch.register(fs, true)
	pos, code, done := parseN(fs, args, 2)
	if done {
		return code
	}
	r, err := access.ParseRole(*role)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil user add: --role: %v\n", err)
		return ExitUsage
	}
	d, err := access.Load(pos[0], access.Options{Hash: userHashParams})
	if errors.Is(err, access.ErrNoUsersFile) {
		d, err = access.New(pos[0], access.Options{Hash: userHashParams}), nil
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil user add: %v\n", err)
		return ExitFailure
	}
	if _, exists := d.Lookup(pos[1]); exists {
		fmt.Fprintf(env.Stderr, "vigil user add: user %q already exists in %s (use vigil user passwd)\n", pos[1], pos[0])
		return ExitFailure
	}
	pw, err := readNewPassword(env, pos[1], ch.stdin)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil user add: %v\n", err)
		return ExitFailure
	}
	if err := d.Add(pos[1], r, splitTags(*areas), pw); err != nil {
		fmt.Fprintf(env.Stderr, "vigil user add: %v\n", err)
		return ExitFailure
	}
	return saveUsers(ctx, env, "add", d, ch, audit.ActUserAdd, pos[1], "role "+r.String())
}

func cmdUserPasswd(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "user passwd", "user passwd USERSFILE NAME [--password-stdin] [--history FILE]",
		"Set a user's password (and clear a lockout of the name in a vigil started afterwards).")
	var ch userChangeFlags
	ch.register(fs, true)
	pos, code, done := parseN(fs, args, 2)
	if done {
		return code
	}
	d, err := access.Load(pos[0], access.Options{Hash: userHashParams})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil user passwd: %v\n", err)
		return ExitFailure
	}
	if _, ok := d.Lookup(pos[1]); !ok {
		fmt.Fprintf(env.Stderr, "vigil user passwd: no user %q in %s\n", pos[1], pos[0])
		return ExitFailure
	}
	pw, err := readNewPassword(env, pos[1], ch.stdin)
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil user passwd: %v\n", err)
		return ExitFailure
	}
	if err := d.SetPassword(pos[1], pw); err != nil {
		fmt.Fprintf(env.Stderr, "vigil user passwd: %v\n", err)
		return ExitFailure
	}
	return saveUsers(ctx, env, "passwd", d, ch, audit.ActUserPasswd, pos[1], "password changed")
}

func cmdUserRemove(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "user remove", "user remove USERSFILE NAME [--history FILE]", "Remove a user from the users file.")
	var ch userChangeFlags
	ch.register(fs, false)
	pos, code, done := parseN(fs, args, 2)
	if done {
		return code
	}
	d, err := access.Load(pos[0], access.Options{})
	if err == nil {
		err = d.Remove(pos[1])
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil user remove: %v\n", err)
		return ExitFailure
	}
	return saveUsers(ctx, env, "remove", d, ch, audit.ActUserRemove, pos[1], "removed")
}

func cmdUserList(_ context.Context, env Env, args []string) int {
	fs := newFlags(env, "user list", "user list USERSFILE", "List the users of a users file with their roles and areas (never the hashes).")
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	d, err := access.Load(pos[0], access.Options{})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil user list: %v\n", err)
		return ExitFailure
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tAREAS")
	for _, u := range d.Users() {
		areas := strings.Join(u.Areas, ",")
		if areas == "" {
			areas = "(all)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Role, areas)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(env.Stderr, "vigil user list: %v\n", err)
		return ExitFailure
	}
	p := d.Policy()
	fmt.Fprintf(env.Stdout, "lockout after %d failed logins for %v; idle logoff after %v\n", p.LockoutAfter, p.LockoutFor, p.IdleLogoff)
	return ExitOK
}

// saveUsers saves d and, with --history, records the change in the audit
// trail as done by the operating-system user.
func saveUsers(ctx context.Context, env Env, verb string, d *access.Directory, ch userChangeFlags, action, name, detail string) int {
	if err := d.Save(); err != nil {
		fmt.Fprintf(env.Stderr, "vigil user %s: %v\n", verb, err)
		return ExitFailure
	}
	fmt.Fprintf(env.Stdout, "%s: %s %s\n", d.Path(), name, detail)
	if ch.history == "" {
		return ExitOK
	}
	s, err := history.Open(ch.history, history.Options{LockTimeout: historyLockTimeout})
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil user %s: the users file is saved, but the change is not audited: %v\n", verb, err)
		return ExitFailure
	}
	c, err := audit.NewChain(ctx, s, audit.Options{})
	if err == nil {
		err = audit.NewAuditor(c).UserChange(osUser(), action, name, detail+" in "+d.Path())
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "vigil user %s: the users file is saved, but the change is not audited: %v\n", verb, err)
		return ExitFailure
	}
	return ExitOK
}

// osUser names who ran the command, for the audit trail.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "os:" + u.Username
	}
	return "os:unknown"
}

// readNewPassword reads a new password: on a terminal with a prompt,
// twice, without echo; otherwise (or with fromStdin) one line. The
// password is never printed.
func readNewPassword(env Env, name string, fromStdin bool) (string, error) {
	if f, ok := passwordInput.(*os.File); ok && !fromStdin && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(env.Stderr, "New password for %s: ", name)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprintf(env.Stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ; nothing was changed")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(passwordInput).ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		return "", errors.New("no password on stdin (give one line, or run on a terminal to be asked)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// cmdAudit is `vigil audit verify|export HISTORYFILE`.
func cmdAudit(ctx context.Context, env Env, args []string) int {
	return subVerbs(ctx, env, "audit", "Usage: vigil audit COMMAND HISTORYFILE ...\n\n"+
		"Work on the audit trail in a history file's event journal (see docs/security.md).\n\nCommands:\n"+
		"  verify HISTORYFILE                 check the hash chain; exit 1 listing edited, deleted,\n"+
		"                                     reordered or inserted records by sequence number\n"+
		"  export HISTORYFILE [--out F.csv]   write the audit records (--all: every event) as CSV\n"+
		"\nEvery command takes --help.\n",
		map[string]func(context.Context, Env, []string) int{"verify": cmdAuditVerify, "export": cmdAuditExport}, args)
}

func cmdAuditVerify(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "audit verify", "audit verify HISTORYFILE",
		"Check the hash chain of the event journal. Exit 0 when intact, 1 listing every edited, deleted,\n"+
			"reordered, inserted or unreadable record by its sequence number. Prints the last record's\n"+
			"hash: keep it elsewhere to detect later that the newest records were cut off.")
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	return readHistory(env, pos[0], func(s *history.Store) int {
		r, err := audit.Verify(ctx, s)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil audit verify: %s: %v\n", pos[0], err)
			return ExitFailure
		}
		fmt.Fprintf(env.Stdout, "%s: %d events, %d chained", pos[0], r.Events, r.Chained)
		if r.PreChain > 0 {
			fmt.Fprintf(env.Stdout, ", %d from before auditing began (not checked)", r.PreChain)
		}
		fmt.Fprintln(env.Stdout)
		if r.Chained > 0 {
			switch {
			case r.Genesis:
				fmt.Fprintf(env.Stdout, "chain starts with its genesis record (seq %d)\n", r.First.Seq)
			case r.Pruned > 0:
				fmt.Fprintf(env.Stdout, "chain starts at record %d: records 1..%d were removed by retention, as its marker in the chain says\n", r.Pruned+1, r.Pruned)
			case r.Legacy:
				fmt.Fprintf(env.Stdout, "chain has no genesis record (written before Vigil kept one); it starts at record 1 (seq %d), linked to the zero hash\n", r.First.Seq)
			}
			fmt.Fprintf(env.Stdout, "last record: chain %d, seq %d, %s, hash %s\n", r.Last.Chain, r.Last.Seq, r.Last.Time.UTC().Format(time.RFC3339), r.Last.Hash)
		}
		if r.OK() {
			fmt.Fprintln(env.Stdout, "OK: no record was edited, deleted, reordered or inserted")
			return ExitOK
		}
		for _, p := range r.Problems {
			fmt.Fprintf(env.Stderr, "%s: %s\n", pos[0], p)
		}
		fmt.Fprintf(env.Stderr, "vigil audit verify: %s: %d problem(s): the journal was changed outside Vigil\n", pos[0], len(r.Problems))
		return ExitFailure
	})
}

func cmdAuditExport(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "audit export", "audit export HISTORYFILE [--out F.csv] [--from T] [--to T] [--all]",
		"Write the audit trail (setpoint writes, alarm actions, logins, user changes) as CSV (RFC 4180,\n"+
			"times RFC 3339 UTC): seq,time,kind,source,name,state,user,message,reason,old,new,read_back,\n"+
			"data,chain,hash. Times: ISO 8601, a date, now, -24h, -7d; default everything.")
	out := fs.String("out", "", "write to this file instead of stdout")
	fromS := fs.String("from", "", "first time")
	toS := fs.String("to", "", "last time")
	all := fs.Bool("all", false, "every event of the journal (alarms too), not only audit records")
	pos, code, done := parseN(fs, args, 1)
	if done {
		return code
	}
	now := time.Now()
	from, err := parseWhen(*fromS, now)
	if err == nil && *fromS == "" {
		from = time.Unix(0, 0).Add(-1 << 62)
	}
	to, err2 := parseWhen(*toS, now)
	if err2 == nil && *toS == "" {
		to = time.Unix(0, 0).Add(1 << 62)
	}
	if err = errors.Join(err, err2); err != nil {
		fmt.Fprintf(env.Stderr, "vigil audit export: %v\n", err)
		return ExitUsage
	}
	return readHistory(env, pos[0], func(s *history.Store) int {
		var kinds []string
		if !*all {
			kinds = []string{audit.Kind}
		}
		w := env.Stdout
		var f *os.File
		if *out != "" {
			if f, err = os.Create(*out); err != nil {
				fmt.Fprintf(env.Stderr, "vigil audit export: %v\n", err)
				return ExitFailure
			}
			w = f
		}
		n, err := audit.Export(ctx, w, s, from, to, kinds)
		if f != nil {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil audit export: %s: %v\n", pos[0], err)
			return ExitFailure
		}
		if *out != "" {
			fmt.Fprintf(env.Stderr, "vigil audit export: %d records to %s\n", n, *out)
		}
		return ExitOK
	})
}
