package snmp

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// redacted is what a Secret shows wherever it is printed, logged or encoded.
const redacted = "<secret>"

// ErrNoSecret means that neither the file nor the environment variable named
// for a secret provided one.
var ErrNoSecret = errors.New("snmp: no secret given")

// Secret holds a community string or a passphrase. Its value is kept in an
// unexported field and every way of printing it (fmt verbs, JSON, text, slog)
// shows "<secret>"; only Reveal returns the value.
type Secret struct {
	value string
}

// NewSecret wraps s as a Secret.
func NewSecret(s string) Secret { return Secret{value: s} }

// Reveal returns the secret's value, for the one place that must send it.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// String returns "<secret>".
func (s Secret) String() string { return redacted }

// GoString returns "<secret>", so that %#v does not show the value either.
func (s Secret) GoString() string { return redacted }

// Format writes "<secret>" for every fmt verb, so that no verb (%x, %q, %d…)
// can print the value.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON encodes the secret as the JSON string "<secret>".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes the secret as "<secret>" (for YAML, XML and map keys).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes slog log "<secret>".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// LoadSecret reads a secret from the file at path if path is not empty,
// otherwise from the environment variable env if env is not empty. A file's
// trailing newline (LF or CRLF) is trimmed; other whitespace is kept, since a
// passphrase may contain it. An empty file or variable is an error, and so is
// finding neither (ErrNoSecret).
func LoadSecret(path, env string) (Secret, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Secret{}, fmt.Errorf("read secret: %w", err)
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return Secret{}, fmt.Errorf("read secret: %s is empty", path)
		}
		return NewSecret(v), nil
	}
	if env != "" {
		if v, ok := os.LookupEnv(env); ok {
			if v == "" {
				return Secret{}, fmt.Errorf("read secret: $%s is empty", env)
			}
			return NewSecret(v), nil
		}
	}
	return Secret{}, ErrNoSecret
}
