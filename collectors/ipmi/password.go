package ipmi

import (
	"errors"

	"github.com/dcplane/dcplane/collectors"
)

// ErrNoPassword means that neither the file nor the environment variable
// named for a password provided one.
var ErrNoPassword = errors.New("ipmi: no password given")

// Password holds a BMC user's password: collectors.Secret, which prints as
// "<secret>" everywhere; only Reveal returns the value.
type Password = collectors.Secret

// NewPassword wraps a value read from a file or the environment.
func NewPassword(v string) Password { return collectors.NewSecret(v) }

// LoadPassword reads a password from the file at path, or else from the
// environment variable env (collectors.ReadSecret); finding neither is
// ErrNoPassword. There is deliberately no way to give a password on a
// command line, where other users can read it.
func LoadPassword(path, env string) (Password, error) {
	return collectors.ReadSecret("password", path, env, ErrNoPassword)
}
