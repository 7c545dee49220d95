package agent

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/inventory"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	comm := writeFile(t, dir, "community", "s3cret\n")
	auth := writeFile(t, dir, "auth", "authpass123\n")
	t.Setenv("TEST_PRIV", "privpass123")
	tests := []struct {
		name    string
		file    string
		check   func(map[string]snmp.Credentials) error
		wantErr string
	}{
		{"v2c from a file", "ro:\n  version: v2c\n  community_file: " + comm + "\n", func(m map[string]snmp.Credentials) error {
			if got := m["ro"].Community.Reveal(); got != "s3cret" {
				return fmt.Errorf("got community %q, want s3cret (newline trimmed)", got)
			}
			return nil
		}, ""},
		{"v3 with defaults", "v3:\n  version: v3\n  user: dcplane\n  auth_passphrase_file: " + auth + "\n  priv_passphrase_env: TEST_PRIV\n",
			func(m map[string]snmp.Credentials) error {
				u := m["v3"].USM
				if u == nil || u.Level != snmp.AuthPriv || u.AuthProtocol != snmp.AuthSHA256 || u.PrivProtocol != snmp.PrivAES ||
					u.PrivPassphrase.Reveal() != "privpass123" {
					return fmt.Errorf("got %+v, want authPriv SHA256/AES with the env passphrase", u)
				}
				return nil
			}, ""},
		{"secret missing", "ro:\n  version: v2c\n  community_env: TEST_NOT_SET\n", nil, "ro: community (community_file or community_env)"},
		{"secret written in the file is refused", "ro:\n  version: v2c\n  community: public\n", nil, "field community not found"},
		{"unknown version", "ro:\n  version: v1\n", nil, `ro: version "v1": want v2c or v3`},
		{"v3 without user", "v3:\n  version: v3\n", nil, "user is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadCredentials(writeFile(t, t.TempDir(), "credentials.yaml", tt.file))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "public") {
					t.Errorf("got a secret in the error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.check(c.SNMP); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	site := inventory.Reference(46) // two rows in each hall
	site.Halls[0].Rows[0].Racks[0].PDUs[0].SNMP.Profile = "raritan-px2"
	site.Halls[0].Rows[0].Racks[1].PDUs[0].SNMP.Credentials = "missing"
	creds := map[string]snmp.Credentials{"snmp-ro": {Community: snmp.NewSecret("x")}}
	c := snmp.NewCollector(slog.New(slog.DiscardHandler))
	all, skipped := Targets(site, Selection{}, creds, c)
	devices := 0
	for range site.Devices() {
		devices++
	}
	if len(all)+len(skipped) != devices || len(skipped) != 2 {
		t.Errorf("got %d targets and %d skipped, want %d in all with 2 skipped", len(all), len(skipped), devices)
	}
	if s := skipped[0]; s.Device != "H1-R01-K01-PA" || !strings.Contains(s.Reason, `unknown profile "raritan-px2"`) {
		t.Errorf("got %+v, want the unknown profile named", s)
	}
	if s := skipped[1]; s.Device != "H1-R01-K02-PA" || !strings.Contains(s.Reason, `credentials "missing"`) {
		t.Errorf("got %+v, want the missing credentials named", s)
	}
	row, _ := Targets(site, Selection{Row: "H2-R01"}, creds, c)
	if want := 2*23 + len(site.Halls[1].Rows[0].Cooling); len(row) != want {
		t.Errorf("got %d targets for row H2-R01, want %d", len(row), want)
	}
	for _, tg := range row {
		if !strings.HasPrefix(tg.Device, "H2-R01-") {
			t.Errorf("got %s in the selection of row H2-R01", tg.Device)
		}
	}
}
