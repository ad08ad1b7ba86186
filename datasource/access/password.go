package access

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// HashParams are the argon2id cost parameters of new hashes. A stored hash
// carries its own parameters, so raising them affects only new passwords.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultHashParams cost about 50-100 ms and 64 MiB per login on a desktop
// (above the OWASP minimum for argon2id of 19 MiB, 2 passes): slow for an
// attacker with a stolen users file, unnoticeable for an operator.
var DefaultHashParams = HashParams{Memory: 64 * 1024, Time: 2, Threads: 2}

const (
	saltLen = 16
	keyLen  = 32
	// maxBcryptCost bounds the work a hand-edited hash can demand.
	maxBcryptCost = 16
)

// ErrBadHash: a stored hash is not an argon2id or bcrypt hash Vigil can read.
var ErrBadHash = errors.New("not an argon2id ($argon2id$...) or bcrypt ($2b$...) hash")

// HashPassword returns the argon2id hash of password in the PHC string form
// "$argon2id$v=19$m=65536,t=2,p=2$salt$key".
func HashPassword(password string, p HashParams) (string, error) {
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		p = DefaultHashParams
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// checkHash reports whether the hash's form is one verifyPassword reads.
func checkHash(hash string) error {
	if strings.HasPrefix(hash, "$2") {
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return ErrBadHash
		}
		if cost > maxBcryptCost {
			// Each step doubles the time: cost 20 is a minute per login.
			return fmt.Errorf("%w (bcrypt cost %d is above %d)", ErrBadHash, cost, maxBcryptCost)
		}
		return nil
	}
	_, _, _, err := parseArgon2(hash)
	return err
}

// verifyPassword reports whether password matches hash (argon2id, or
// bcrypt for hashes made with other tools such as htpasswd -B).
func verifyPassword(hash, password string) (bool, error) {
	if strings.HasPrefix(hash, "$2") {
		if err := checkHash(hash); err != nil {
			return false, err
		}
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, nil
		}
		return false, ErrBadHash
	}
	p, salt, key, err := parseArgon2(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// parseArgon2 reads a PHC argon2id string. It bounds the parameters so a
// hand-edited users file cannot make a login allocate gigabytes.
func parseArgon2(hash string) (HashParams, []byte, []byte, error) {
	var p HashParams
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("%w (argon2 version %q)", ErrBadHash, parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("%w (parameters %q)", ErrBadHash, parts[3])
	}
	if p.Memory < 8 || p.Memory > 256<<10 || p.Time < 1 || p.Time > 16 || p.Threads < 1 {
		return p, nil, nil, fmt.Errorf("%w (parameters %q out of range)", ErrBadHash, parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, fmt.Errorf("%w (salt or key)", ErrBadHash)
	}
	return p, salt, key, nil
}
