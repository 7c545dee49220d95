package ipmi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// redacted is what a Password shows wherever it is printed, logged or
// encoded.
const redacted = "<secret>"

// ErrNoPassword means that neither the file nor the environment variable
// named for a password provided one.
var ErrNoPassword = errors.New("ipmi: no password given")

// Password holds a BMC user's password. Its value is kept in an unexported
// field and every way of printing it (fmt verbs, JSON, text, slog) shows
// "<secret>"; only Reveal returns the value. (collectors/snmp has the same
// type for communities and passphrases; the two could move to collectors
// once a third protocol needs one.)
type Password struct {
	value string
}

// NewPassword wraps s as a Password.
func NewPassword(s string) Password { return Password{value: s} }

// Reveal returns the password, for the one place that must use it.
func (p Password) Reveal() string { return p.value }

// IsZero reports whether the password is empty.
func (p Password) IsZero() bool { return p.value == "" }

// String returns "<secret>".
func (p Password) String() string { return redacted }

// GoString returns "<secret>", so that %#v does not show the value either.
func (p Password) GoString() string { return redacted }

// Format writes "<secret>" for every fmt verb.
func (p Password) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON encodes the password as the JSON string "<secret>".
func (p Password) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes the password as "<secret>" (for YAML and map keys).
func (p Password) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes slog log "<secret>".
func (p Password) LogValue() slog.Value { return slog.StringValue(redacted) }

// LoadPassword reads a password from the file at path if path is not empty,
// otherwise from the environment variable env if env is not empty. A file's
// trailing newline (LF or CRLF) is trimmed; other whitespace is kept. An
// empty file or variable is an error, and so is finding neither
// (ErrNoPassword). There is deliberately no way to give a password on a
// command line, where other users can read it.
func LoadPassword(path, env string) (Password, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Password{}, fmt.Errorf("read password: %w", err)
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return Password{}, fmt.Errorf("read password: %s is empty", path)
		}
		return NewPassword(v), nil
	}
	if env != "" {
		if v, ok := os.LookupEnv(env); ok {
			if v == "" {
				return Password{}, fmt.Errorf("read password: $%s is empty", env)
			}
			return NewPassword(v), nil
		}
	}
	return Password{}, ErrNoPassword
}
