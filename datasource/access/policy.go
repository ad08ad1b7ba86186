package access

import (
	_ "embed" // the common passwords list
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// MinPassword is the fewest characters a new password may have.
const MinPassword = 10

// ErrWeakPassword: a new password breaks the password policy; see
// *PasswordError for which rule.
var ErrWeakPassword = errors.New("the password does not meet the password policy")

// PasswordError refuses a new password and says every rule it breaks.
// errors.Is(err, ErrWeakPassword) is true. It never contains the password.
type PasswordError struct {
	User    string
	Reasons []string // e.g. "it has 8 characters; at least 10 are needed"
}

// Error implements error.
func (e *PasswordError) Error() string {
	return fmt.Sprintf("user %q: password refused: %s (docs/security.md, password policy)", e.User, strings.Join(e.Reasons, "; "))
}

// Is matches ErrWeakPassword.
func (e *PasswordError) Is(target error) bool { return target == ErrWeakPassword }

//go:embed common-passwords.txt
var commonText string

// common is the set of common-passwords.txt, built on first use.
var common = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 4096)
	for _, line := range strings.Split(commonText, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			m[line] = struct{}{}
		}
	}
	return m
})

// CommonPasswords returns how many passwords the shipped list has.
func CommonPasswords() int { return len(common()) }

// CheckPassword applies the password policy to a new password of user:
// at least MinPassword characters, not only white space, not the user
// name (in any case, spaces around ignored), and not in the list of
// common passwords shipped with Vigil (compared in lower case). It
// returns nil or a *PasswordError naming every rule broken. Existing
// hashes are not checked: the policy applies when a password is set.
func CheckPassword(user, password string) error {
	var why []string
	trimmed := strings.TrimSpace(password)
	if n := utf8.RuneCountInString(password); n < MinPassword {
		why = append(why, fmt.Sprintf("it has %d characters; at least %d are needed", n, MinPassword))
	}
	if trimmed == "" {
		why = append(why, "it is only white space")
	} else {
		if strings.EqualFold(trimmed, user) {
			why = append(why, "it is the user name")
		}
		if _, ok := common()[strings.ToLower(trimmed)]; ok {
			why = append(why, "it is one of the most common passwords")
		}
	}
	if len(why) > 0 {
		return &PasswordError{User: user, Reasons: why}
	}
	return nil
}
