package access

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// User is one entry of the users file.
type User struct {
	Name  string
	Role  Role
	Areas []string // tag groups the user may act on; empty: all
	Hash  string   // argon2id (or bcrypt) hash of the password
	Line  int      // line in the users file; 0 when added in memory
}

// Policy is the login policy of a users file.
type Policy struct {
	LockoutAfter int           // failed logins in a row that lock a name; 0 never locks
	LockoutFor   time.Duration // how long a name stays locked
	IdleLogoff   time.Duration // a session without activity this long ends; 0 never
}

// DefaultPolicy applies to fields a users file leaves out.
var DefaultPolicy = Policy{LockoutAfter: 5, LockoutFor: 15 * time.Minute, IdleLogoff: 15 * time.Minute}

// Options tune a Directory.
type Options struct {
	Clock clockwork.Clock // default: the real clock
	Hash  HashParams      // for new passwords; default DefaultHashParams
	// Logger warns when the lockout file cannot be used (the count then
	// holds in this process only); default: discard.
	Logger *slog.Logger
}

// Directory is the users of a project with their login state: failed
// attempts and lockouts, shared by every process through the lockout file
// beside the users file (LockoutPath), and open sessions. Its methods are
// safe for concurrent use.
type Directory struct {
	path   string // "" in single-operator mode
	clock  clockwork.Clock
	params HashParams
	log    *slog.Logger

	mu       sync.Mutex // guards everything below
	policy   Policy
	users    []User
	byName   map[string]int      // index into users
	fails    map[string]failures // this process's count: the lockout file's when it cannot be used
	sessions map[string]*Session // the newest session of each user
}

func newDirectory(path string, opts Options) *Directory {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Directory{
		path: path, clock: opts.Clock, params: opts.Hash, policy: DefaultPolicy, log: opts.Logger,
		byName: map[string]int{}, fails: map[string]failures{}, sessions: map[string]*Session{},
	}
}

// Load reads the users file at path. It refuses a file that group or
// others may read or write (*FileModeError, with the chmod that fixes
// it), and a file with mistakes (every one as "path:line: field: message").
// A missing file is an error wrapping ErrNoUsersFile.
func Load(path string, opts Options) (*Directory, error) {
	d := newDirectory(path, opts)
	if err := d.readFile(path); err != nil {
		return nil, err
	}
	return d, nil
}

// Open is Load for a running project: a missing users file gives the
// single-operator Directory instead of an error.
func Open(path string, opts Options) (*Directory, error) {
	d, err := Load(path, opts)
	if errors.Is(err, ErrNoUsersFile) {
		return SingleOperator(opts), nil
	}
	return d, err
}

// New returns an empty Directory that Save writes to path, for creating a
// users file.
func New(path string, opts Options) *Directory { return newDirectory(path, opts) }

// SingleOperatorUser is the user name of single-operator mode.
const SingleOperatorUser = "operator"

// SingleOperator returns the Directory of a project without a users file:
// no login; whoever sits at the panel works as user "operator" with the
// Operator role (write setpoints, acknowledge, shelve, export), as on a
// panel HMI in a locked control room. Taking alarms out of service and
// managing users need a users file. See docs/security.md.
func SingleOperator(opts Options) *Directory {
	d := newDirectory("", opts)
	d.policy.IdleLogoff = 0
	return d
}

// SingleOperator reports whether d is in single-operator mode.
func (d *Directory) SingleOperator() bool { return d.path == "" }

// Path returns the users file ("" in single-operator mode).
func (d *Directory) Path() string { return d.path }

// Policy returns the login policy.
func (d *Directory) Policy() Policy {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.policy
}

// SetPolicy changes the login policy (saved by Save).
func (d *Directory) SetPolicy(p Policy) {
	d.mu.Lock()
	d.policy = p
	d.mu.Unlock()
}

// Users returns the users, in file order, with their hashes.
func (d *Directory) Users() []User {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := slices.Clone(d.users)
	for i := range out {
		out[i].Areas = slices.Clone(out[i].Areas)
	}
	return out
}

// Lookup returns the user called name.
func (d *Directory) Lookup(name string) (User, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i, ok := d.byName[name]
	if !ok {
		return User{}, false
	}
	return d.users[i], true
}

// Add adds a user with a new password, which must meet the password
// policy (CheckPassword).
func (d *Directory) Add(name string, role Role, areas []string, password string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("user name %q: want 1 to 64 letters, digits, _, . or -", name)
	}
	if role > Administrator {
		return fmt.Errorf("user %q: unknown role %v", name, role)
	}
	if d.SingleOperator() {
		return errors.New("single-operator mode has no users to add")
	}
	hash, err := d.hash(name, password)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.byName[name]; dup {
		return fmt.Errorf("user %q already exists in %s (use vigil user passwd to change the password)", name, d.path)
	}
	d.users = append(d.users, User{Name: name, Role: role, Areas: slices.Clone(areas), Hash: hash})
	d.byName[name] = len(d.users) - 1
	return nil
}

// SetPassword replaces a user's password, which must meet the password
// policy (CheckPassword), and clears a lockout of the name.
func (d *Directory) SetPassword(name, password string) error {
	hash, err := d.hash(name, password)
	if err != nil {
		return err
	}
	d.mu.Lock()
	i, ok := d.byName[name]
	if ok {
		d.users[i].Hash = hash
	}
	d.mu.Unlock()
	if !ok {
		return fmt.Errorf("no user %q in %s", name, d.path)
	}
	d.clearFailures(name)
	return nil
}

// Remove removes a user and ends the user's session.
func (d *Directory) Remove(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i, ok := d.byName[name]
	if !ok {
		return fmt.Errorf("no user %q in %s", name, d.path)
	}
	d.users = slices.Delete(d.users, i, i+1)
	d.byName = make(map[string]int, len(d.users))
	for j, u := range d.users {
		d.byName[u.Name] = j
	}
	if s := d.sessions[name]; s != nil {
		s.end("removed")
		delete(d.sessions, name)
	}
	return nil
}

// hash applies the password policy (CheckPassword) to a new password and
// hashes it.
func (d *Directory) hash(name, password string) (string, error) {
	if err := CheckPassword(name, password); err != nil {
		return "", err
	}
	return HashPassword(password, d.params)
}

// dummyHash is compared against when the user is unknown, so that a
// login takes as long for a name that does not exist.
var (
	dummyOnce sync.Once
	dummy     string
)

// Authenticate logs a user in: it checks the password and returns a new
// session, which replaces the user's previous one. A wrong password or an
// unknown name is a *LoginError; after Policy.LockoutAfter of them in a
// row the name is locked for Policy.LockoutFor (*LockedError, the password
// then not even checked). In single-operator mode it returns the
// operator's session whatever the arguments.
func (d *Directory) Authenticate(name, password string) (*Session, error) {
	if d.SingleOperator() {
		return d.newSession(User{Name: SingleOperatorUser, Role: Operator}), nil
	}
	u, known := d.Lookup(name)
	if err := d.checkLocked(name); err != nil {
		return nil, err
	}
	hash := u.Hash
	if !known {
		dummyOnce.Do(func() { dummy, _ = HashPassword("vigil-no-such-user", d.params) })
		hash = dummy
	}
	ok, err := verifyPassword(hash, password)
	if err != nil {
		return nil, fmt.Errorf("user %q in %s: %w", name, d.path, err)
	}
	if !ok || !known {
		return nil, d.failed(name, !known)
	}
	d.clearFailures(name)
	return d.newSession(u), nil
}

// checkLocked returns a *LockedError while name is locked.
func (d *Directory) checkLocked(name string) error {
	f := d.loginFailures(name)
	if f.lockedUntil.IsZero() {
		return nil
	}
	if d.clock.Now().Before(f.lockedUntil) {
		return &LockedError{User: name, Until: f.lockedUntil}
	}
	d.clearFailures(name) // the lockout is over: a fresh count
	return nil
}

// failed counts a failed login of name and locks it when the count
// reaches the policy's limit.
func (d *Directory) failed(name string, unknown bool) error {
	p := d.Policy()
	now := d.clock.Now()
	f := d.updateFailures(name, func(f *failures) {
		if !f.lockedUntil.IsZero() && !now.Before(f.lockedUntil) {
			*f = failures{} // an expired lockout another process did not clear
		}
		f.count++
		if p.LockoutAfter > 0 && f.count >= p.LockoutAfter && f.lockedUntil.IsZero() {
			f.lockedUntil = now.Add(p.LockoutFor)
		}
	})
	if !f.lockedUntil.IsZero() {
		return &LockedError{User: name, Until: f.lockedUntil}
	}
	rem := 0
	if p.LockoutAfter > 0 {
		rem = p.LockoutAfter - f.count
	}
	return &LoginError{User: name, UnknownUser: unknown, Remaining: rem}
}

// Unlock clears a name's failed logins and lockout (an administrator's
// action).
func (d *Directory) Unlock(name string) { d.clearFailures(name) }

// loginFailures returns name's failed logins: the lockout file's, so that
// every process using the users file counts together, or this process's
// own when there is no users file or its lockout file cannot be read.
func (d *Directory) loginFailures(name string) failures {
	if d.path != "" {
		f, err := lockoutFile{LockoutPath(d.path)}.get(name)
		if err == nil {
			return f
		}
		d.lockoutUnusable(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fails[name]
}

// updateFailures applies fn to name's failed logins, in the lockout file
// and in this process's own count, and returns the result (the file's
// when it could be used).
func (d *Directory) updateFailures(name string, fn func(*failures)) failures {
	d.mu.Lock()
	f := d.fails[name]
	fn(&f)
	if f == (failures{}) {
		delete(d.fails, name)
	} else {
		d.fails[name] = f
	}
	d.mu.Unlock()
	if d.path == "" {
		return f
	}
	shared, err := lockoutFile{LockoutPath(d.path)}.update(name, fn)
	if err != nil {
		d.lockoutUnusable(err)
		return f
	}
	return shared
}

// clearFailures forgets name's failed logins (a good login, a new
// password, an administrator's unlock). A lockout file that does not
// exist is not created for it.
func (d *Directory) clearFailures(name string) {
	d.mu.Lock()
	delete(d.fails, name)
	d.mu.Unlock()
	if d.path == "" {
		return
	}
	l := lockoutFile{LockoutPath(d.path)}
	if _, err := os.Stat(l.path); errors.Is(err, fs.ErrNotExist) {
		return
	}
	if _, err := l.update(name, func(f *failures) { *f = failures{} }); err != nil {
		d.lockoutUnusable(err)
	}
}

// lockoutUnusable says that the lockout file cannot be used: failed logins
// then count in this process only. Logins go on: an operator must not be
// kept from the plant by a file's permissions.
func (d *Directory) lockoutUnusable(err error) {
	d.log.Warn("failed logins count in this process only", "err", err)
}

func (d *Directory) newSession(u User) *Session {
	now := d.clock.Now()
	s := &Session{dir: d, user: u, start: now, last: now}
	d.mu.Lock()
	if old := d.sessions[u.Name]; old != nil {
		old.end("replaced")
	}
	d.sessions[u.Name] = s
	d.mu.Unlock()
	return s
}

// Session returns the open session of user name, if any and not idle.
func (d *Directory) Session(name string) (*Session, bool) {
	d.mu.Lock()
	s := d.sessions[name]
	d.mu.Unlock()
	if s == nil || s.check() != nil {
		return nil, false
	}
	return s, true
}

// forget drops s from the open sessions when it is still the user's.
func (d *Directory) forget(s *Session) {
	d.mu.Lock()
	if d.sessions[s.user.Name] == s {
		delete(d.sessions, s.user.Name)
	}
	d.mu.Unlock()
}
