package history

import (
	"errors"
	"strings"

	"go.etcd.io/bbolt"
)

type bboltTx = bbolt.Tx

func errorsIs(err, target error) bool     { return errors.Is(err, target) }
func errorsAs(err error, target any) bool { return errors.As(err, target) }
func contains(s, sub string) bool         { return strings.Contains(s, sub) }
