package snmp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const hunter2 = "hunter2-community"

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret(hunter2)
	holder := struct {
		Community Secret
		Ptr       *Secret
	}{s, &s}
	outputs := map[string]string{}
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%d", "%10.3s"} {
		outputs["Secret "+verb] = fmt.Sprintf(verb, s)
		outputs["struct "+verb] = fmt.Sprintf(verb, holder)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(holder); err != nil {
		t.Fatalf("json: %v", err)
	}
	outputs["json"] = buf.String()
	buf.Reset()
	txt, _ := s.MarshalText()
	outputs["text"] = string(txt)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "community", s, "holder", holder)
	outputs["slog"] = buf.String()
	for name, out := range outputs {
		if strings.Contains(out, "hunter2") || !strings.Contains(out, redacted) {
			t.Errorf("%s: got %s, want %s and no secret", name, out, redacted)
		}
	}
	if got := s.Reveal(); got != hunter2 {
		t.Errorf("Reveal: got %q, want %q", got, hunter2)
	}
}

func TestLoadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lf, crlf, twoLF := write("lf", "public\n"), write("crlf", "public\r\n"), write("two", "pass phrase \n\n")
	empty, missing := write("empty", "\n"), filepath.Join(dir, "missing")
	t.Setenv("DCPLANE_TEST_SECRET", "from-env")
	t.Setenv("DCPLANE_TEST_EMPTY", "")
	tests := []struct {
		name, path, env, want string
		wantErr               error
	}{
		{name: "file, LF trimmed", path: lf, want: "public"},
		{name: "file, CRLF trimmed", path: crlf, want: "public"},
		{name: "one newline trimmed, spaces kept", path: twoLF, want: "pass phrase \n"},
		{name: "file wins over env", path: lf, env: "DCPLANE_TEST_SECRET", want: "public"},
		{name: "env", env: "DCPLANE_TEST_SECRET", want: "from-env"},
		{name: "unset env", env: "DCPLANE_TEST_UNSET", wantErr: ErrNoSecret},
		{name: "neither", wantErr: ErrNoSecret},
		{name: "missing file", path: missing, wantErr: os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadSecret(tt.path, tt.env)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err: got %v, want %v", err, tt.wantErr)
			}
			if got.Reveal() != tt.want {
				t.Errorf("got %q, want %q", got.Reveal(), tt.want)
			}
		})
	}
	for _, tc := range [][2]string{{empty, ""}, {"", "DCPLANE_TEST_EMPTY"}} {
		if _, err := LoadSecret(tc[0], tc[1]); err == nil {
			t.Errorf("LoadSecret(%q, %q): got nil error, want one for an empty secret", tc[0], tc[1])
		}
	}
}
