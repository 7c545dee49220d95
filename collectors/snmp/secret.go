package snmp

import (
	"errors"

	"github.com/dcplane/dcplane/collectors"
)

// redacted is what a Secret shows wherever it is printed, logged or encoded.
const redacted = collectors.Redacted

// ErrNoSecret means that neither the file nor the environment variable named
// for a secret provided one.
var ErrNoSecret = errors.New("snmp: no secret given")

// Secret holds a community string or a passphrase: collectors.Secret, which
// prints as "<secret>" everywhere.
type Secret = collectors.Secret

// NewSecret wraps a value read from a file or the environment.
func NewSecret(v string) Secret { return collectors.NewSecret(v) }

// LoadSecret reads a secret from the file at path, or else from the
// environment variable env (collectors.ReadSecret); finding neither is
// ErrNoSecret.
func LoadSecret(path, env string) (Secret, error) {
	return collectors.ReadSecret("secret", path, env, ErrNoSecret)
}
