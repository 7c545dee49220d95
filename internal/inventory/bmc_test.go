package inventory_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

// withBMC gives server S2 of testdata/servers.yaml the BMC endpoint bmc
// (the text inside the braces).
func withBMC(bmc string) func(string) string {
	return sub("model: dell-r6525-2s-7702, idle_w: 90}", "model: dell-r6525-2s-7702, idle_w: 90, bmc: {"+bmc+"}}")
}

func TestBMCValid(t *testing.T) {
	tests := []struct {
		name string
		bmc  string
		want inventory.BMC
	}{
		{"suite left out: 17", `address: "10.0.3.2:623", credentials: bmc-ro`, inventory.BMC{Address: "10.0.3.2:623", Credentials: "bmc-ro"}},
		{"suite 17", `address: "bmc-s2.example:623", credentials: bmc-ro, cipher_suite: 17`, inventory.BMC{Address: "bmc-s2.example:623", Credentials: "bmc-ro", CipherSuite: 17}},
		{"suite 3 for an old BMC", `address: "[::1]:1623", credentials: bmc-ro, cipher_suite: 3`, inventory.BMC{Address: "[::1]:1623", Credentials: "bmc-ro", CipherSuite: 3}},
	}
	base := readFile(t, "testdata/servers.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := inventory.Parse("site.yaml", []byte(withBMC(tt.bmc)(base)))
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			got := s.Halls[0].Rows[0].Racks[0].Servers[1].BMC
			if got == nil || *got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			// Written back as it was read, and only where a server has one.
			b, err := inventory.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(b), "bmc:"); n != 1 {
				t.Errorf("got %d bmc endpoints in\n%s\nwant 1", n, b)
			}
			back, err := inventory.Parse("back.yaml", b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Halls, s.Halls) {
				t.Errorf("got %+v after a round trip, want %+v", back.Halls[0].Rows[0].Racks[0].Servers[1], s.Halls[0].Rows[0].Racks[0].Servers[1])
			}
		})
	}
}

func TestBMCErrors(t *testing.T) {
	const p = "site.yaml:20: halls[0].rows[0].racks[0].servers[1].bmc"
	tests := []struct {
		name string
		bmc  string
		want []string
	}{
		{"no address", `credentials: bmc-ro`, []string{p + ".address: is required"}},
		{"no port", `address: 10.0.3.2, credentials: bmc-ro`, []string{p + `.address: must be host:port, got "10.0.3.2"`}},
		{"no host", `address: ":623", credentials: bmc-ro`, []string{p + `.address: must be host:port, got ":623"`}},
		{"port 0", `address: "10.0.3.2:0", credentials: bmc-ro`, []string{p + `.address: port must be 1-65535, got "0"`}},
		{"no credentials", `address: "10.0.3.2:623"`, []string{p + ".credentials: is required (the name of an ipmi entry in the agent's credentials file)"}},
		{"suite 0 written", `address: "10.0.3.2:623", credentials: bmc-ro, cipher_suite: 0`,
			[]string{p + ".cipher_suite: suite 0 has no authentication, integrity or encryption"}},
		{"suite 1", `address: "10.0.3.2:623", credentials: bmc-ro, cipher_suite: 1`, []string{p + ".cipher_suite: must be 17, or 3 for old BMCs, got 1"}},
		{"suite 16", `address: "10.0.3.2:623", credentials: bmc-ro, cipher_suite: 16`, []string{p + ".cipher_suite: must be 17, or 3 for old BMCs, got 16"}},
		{"a password in the inventory", `address: "10.0.3.2:623", credentials: bmc-ro, password: hunter2`, []string{p + ".password: unknown field"}},
	}
	base := readFile(t, "testdata/servers.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inventory.Parse("site.yaml", []byte(withBMC(tt.bmc)(base)))
			if !errors.Is(err, inventory.ErrInvalid) {
				t.Fatalf("got %v, want an error that wraps ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error\n%v\nwant it to contain\n%s", err, w)
				}
			}
			if n := len(err.(*inventory.ValidationError).Problems); n != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%v", n, len(tt.want), err)
			}
		})
	}
}

// TestBMCBuilt checks the rules on a site built in code, as the simulator
// builds one: no file, no lines, a suite of 0 meaning 17.
func TestBMCBuilt(t *testing.T) {
	s := inventory.Reference(1)
	srv := &s.Halls[0].Rows[0].Racks[0].Servers[0]
	srv.BMC = &inventory.BMC{Address: "127.0.0.1:1623", Credentials: "bmc-sim"}
	if err := s.Validate(); err != nil {
		t.Fatalf("got %v, want no error", err)
	}
	srv.BMC.CipherSuite = 2
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), ".bmc.cipher_suite: must be 17, or 3 for old BMCs, got 2") {
		t.Errorf("got %v, want the suite refused", err)
	}
}
