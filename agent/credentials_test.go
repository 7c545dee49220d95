package agent

import (
	"io"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/internal/inventory"
)

func TestLoadIPMICredentials(t *testing.T) {
	pw := writeFile(t, t.TempDir(), "bmc-password", "bmc-s3cret\n")
	t.Setenv("TEST_BMC_PASSWORD", "env-s3cret")
	tests := []struct {
		name    string
		file    string
		want    BMCCredentials
		wantErr string
	}{
		{"password from a file, suite 17 by default", "bmc:\n  kind: ipmi\n  user: admin\n  password_file: " + pw + "\n",
			BMCCredentials{User: "admin", Password: ipmi.NewPassword("bmc-s3cret")}, ""},
		{"password from the environment, suite 3", "bmc:\n  kind: ipmi\n  user: admin\n  password_env: TEST_BMC_PASSWORD\n  cipher_suite: 3\n",
			BMCCredentials{User: "admin", Password: ipmi.NewPassword("env-s3cret"), CipherSuite: ipmi.Suite3}, ""},
		{"no user", "bmc:\n  kind: ipmi\n  password_file: " + pw + "\n", BMCCredentials{}, "bmc: user is required for kind ipmi"},
		{"no password", "bmc:\n  kind: ipmi\n  user: admin\n  password_env: TEST_NOT_SET\n", BMCCredentials{}, "bmc: password (password_file or password_env)"},
		{"password written in the file is refused", "bmc:\n  kind: ipmi\n  user: admin\n  password: hunter2\n", BMCCredentials{}, "field password not found"},
		{"suite 0 refused", "bmc:\n  kind: ipmi\n  user: admin\n  password_file: " + pw + "\n  cipher_suite: 0\n", BMCCredentials{}, "bmc: cipher_suite: ipmi: cipher suite"},
		{"SNMP field in an ipmi entry", "bmc:\n  kind: ipmi\n  user: admin\n  password_file: " + pw + "\n  community_file: " + pw + "\n",
			BMCCredentials{}, "bmc: community_file is for SNMP entries, not kind ipmi"},
		{"IPMI field in an SNMP entry", "ro:\n  version: v2c\n  community_file: " + pw + "\n  password_file: " + pw + "\n",
			BMCCredentials{}, "ro: password_file is for kind ipmi entries"},
		{"unknown kind", "bmc:\n  kind: redfish\n", BMCCredentials{}, `bmc: kind "redfish": want snmp or ipmi`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadCredentials(writeFile(t, t.TempDir(), "credentials.yaml", tt.file))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "hunter2") {
					t.Errorf("got a secret in the error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, ok := c.IPMI["bmc"]
			if !ok || got.User != tt.want.User || got.Password.Reveal() != tt.want.Password.Reveal() || got.CipherSuite != tt.want.CipherSuite {
				t.Errorf("got %+v (found %v), want %+v", got, ok, tt.want)
			}
			if len(c.SNMP) != 0 {
				t.Errorf("got SNMP entries %v, want none", c.SNMP)
			}
		})
	}
}

func TestBMCTargets(t *testing.T) {
	site := inventory.Reference(46)
	k := &site.Halls[0].Rows[0].Racks[0]
	k.Servers[0].BMC = &inventory.BMC{Address: "127.0.0.1:1623", Credentials: "bmc"}
	k.Servers[1].BMC = &inventory.BMC{Address: "127.0.0.1:1624", Credentials: "bmc", CipherSuite: 3}
	k.Servers[2].BMC = &inventory.BMC{Address: "127.0.0.1:1625", Credentials: "missing"}
	h2 := &site.Halls[1].Rows[0].Racks[0].Servers[0]
	h2.BMC = &inventory.BMC{Address: "127.0.0.1:1626", Credentials: "bmc"}
	creds := map[string]BMCCredentials{"bmc": {User: "admin", Password: ipmi.NewPassword("x")}}
	all, skipped := BMCTargets(site, Selection{}, creds, nil)
	if len(all) != 3 || len(skipped) != 1 {
		t.Fatalf("got %d targets and %d skipped, want 3 and 1", len(all), len(skipped))
	}
	for i, want := range []string{k.Servers[0].ID, k.Servers[1].ID, h2.ID} {
		if all[i].Device != want || all[i].Protocol != ProtocolIPMI {
			t.Errorf("target %d: got %s over %q, want %s over ipmi", i, all[i].Device, all[i].Protocol, want)
		}
		if _, ok := all[i].Poller.(io.Closer); !ok {
			t.Errorf("target %d: got a poller that cannot be closed, want an IPMI session to close", i)
		}
	}
	if s := skipped[0]; s.Device != k.Servers[2].ID || !strings.Contains(s.Reason, `credentials "missing" are not an ipmi entry`) {
		t.Errorf("got %+v, want the missing credentials named", s)
	}
	if row, _ := BMCTargets(site, Selection{Hall: "H2"}, creds, nil); len(row) != 1 || row[0].Device != h2.ID {
		t.Errorf("got %v for hall H2, want %s alone", row, h2.ID)
	}
}
