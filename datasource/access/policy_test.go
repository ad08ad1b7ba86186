package access

import (
	"errors"
	"strings"
	"testing"
)

func TestThePasswordPolicy(t *testing.T) {
	if n := CommonPasswords(); n < 3000 {
		t.Fatalf("the shipped list has %d common passwords, want a few thousand", n)
	}
	for _, tt := range []struct {
		name, user, password string
		want                 []string // every reason, "" for none
	}{
		{"password is too short and common", "bob", "password", []string{"8 characters", "most common"}},
		{"12345678 is too short and common", "bob", "12345678", []string{"at least 10", "most common"}},
		{"eight spaces are too short and only white space", "bob", "        ", []string{"8 characters", "white space"}},
		{"ten spaces are only white space", "bob", "          ", []string{"white space"}},
		{"qwertyuiop is long enough but common", "bob", "qwertyuiop", []string{"most common"}},
		{"a common password in capitals is still common", "bob", "Password123", []string{"most common"}},
		{"the user name is refused in any case", "technician1", " Technician1 ", []string{"user name"}},
		{"ten characters of a passphrase pass", "bob", "tank farm 7", nil},
		{"a long passphrase passes", "alice", "correct horse battery", nil},
		{"ten multi-byte characters count as ten", "bob", "ÄÖÜäöüßéèê", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.user, tt.password)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var pe *PasswordError
			if !errors.As(err, &pe) || !errors.Is(err, ErrWeakPassword) {
				t.Fatalf("got %v, want a *PasswordError", err)
			}
			if len(pe.Reasons) != len(tt.want) {
				t.Errorf("reasons %q, want %d", pe.Reasons, len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			// ("password" is a word of the reasons themselves.)
			if p := strings.TrimSpace(tt.password); p != "" && p != "password" && strings.Contains(strings.Join(pe.Reasons, " "), p) {
				t.Errorf("the reasons show the password: %q", pe.Reasons)
			}
		})
	}
}

func TestAddAndSetPasswordApplyThePolicy(t *testing.T) {
	d, _ := newDir(t)
	if err := d.Add("carol", Operator, nil, "1234567890"); !errors.Is(err, ErrWeakPassword) {
		t.Errorf("add with a common password: %v", err)
	}
	if _, ok := d.Lookup("carol"); ok {
		t.Error("carol was added with a refused password")
	}
	if err := d.SetPassword("vic", "vic"); !errors.Is(err, ErrWeakPassword) {
		t.Errorf("set the user name as password: %v", err)
	}
	if _, err := d.Authenticate("vic", "correct horse"); err != nil {
		t.Errorf("a refused change changed the password: %v", err)
	}
}
