package collectors

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Redacted is what a Secret shows wherever it is printed, logged or encoded.
const Redacted = "<secret>"

// Secret holds a credential: an SNMP community or passphrase, a BMC
// password. Its value is kept in an unexported field and every way of
// printing it (fmt verbs, JSON, text, slog) shows "<secret>"; only Reveal
// returns the value.
type Secret struct{ value string }

// NewSecret wraps a value read from a file or the environment.
func NewSecret(v string) Secret { return Secret{value: v} }

// Reveal returns the secret's value, for the one place that must send it.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// String returns "<secret>".
func (s Secret) String() string { return Redacted }

// GoString returns "<secret>", for %#v.
func (s Secret) GoString() string { return Redacted }

// Format writes "<secret>" for every fmt verb, so that no verb (%x, %q, %d…)
// can print the value.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, Redacted) }

// MarshalJSON encodes the secret as the JSON string "<secret>".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText encodes the secret as "<secret>" (for YAML, XML and map keys).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue makes slog log "<secret>".
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// ReadSecret reads a secret from the file at path if path is not empty,
// otherwise from the environment variable env if env is not empty; what
// names it in errors ("secret", "password"). A file's trailing newline (LF
// or CRLF) is trimmed; other whitespace is kept, since a passphrase may
// contain it. An empty file or variable is an error; finding neither
// returns none. There is deliberately no way to give a secret on a command
// line, where other users can read it.
func ReadSecret(what, path, env string, none error) (Secret, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Secret{}, fmt.Errorf("read %s: %w", what, err)
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return Secret{}, fmt.Errorf("read %s: %s is empty", what, path)
		}
		return NewSecret(v), nil
	}
	if env != "" {
		if v, ok := os.LookupEnv(env); ok {
			if v == "" {
				return Secret{}, fmt.Errorf("read %s: $%s is empty", what, env)
			}
			return NewSecret(v), nil
		}
	}
	return Secret{}, none
}
