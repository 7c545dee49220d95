package demo

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/internal/inventory"
)

// TestBannerProbe starts the demo and checks that the probe command its
// banner prints works: the address is a simulated PDU's, and the community
// in the file it names is the one that PDU answers to. It also checks that
// the banner lists every scenario with an ID the site has.
func TestBannerProbe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	dir := t.TempDir()
	d, err := Start(ctx, Config{Site: inventory.Reference(2), Dir: dir, HTTPAddr: "127.0.0.1:0", Interval: time.Second, Level: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var b bytes.Buffer
	d.banner(&b, CommunityFile(dir), nil)
	got := b.String()
	m := regexp.MustCompile(`probe snmp (127\.0\.0\.1):(\d+) --community-file (\S+)\n`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("got banner %q, want a probe snmp line with an address and a community file", got)
	}
	community, err := os.ReadFile(m[3])
	if err != nil {
		t.Fatalf("the banner's community file: %v", err)
	}
	port, _ := strconv.ParseUint(m[2], 10, 16)
	g := &gosnmp.GoSNMP{Target: m[1], Port: uint16(port), Community: strings.TrimSpace(string(community)), Version: gosnmp.Version2c,
		Timeout: 2 * time.Second, Retries: 1, Context: ctx}
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	r, err := g.Get([]string{"1.3.6.1.2.1.1.5.0"}) // sysName: the PDU's ID
	if err != nil || len(r.Variables) != 1 {
		t.Fatalf("got %v (%v) from the banner's device with its community, want its sysName", r, err)
	}
	if name, _ := r.Variables[0].Value.([]byte); !strings.Contains(got, "(PDU "+string(name)+" of rack ") {
		t.Errorf("got sysName %q from %s:%d, want the PDU the banner names in %q", name, m[1], port, got)
	}
	for _, want := range []string{"--overload RACK[,RACK]", "--silence DEVICE[,DEVICE]", "--no-workloads",
		"e.g. --overload H1-R01-K01 --silence H2-R01-K01-PA"} {
		if !strings.Contains(got, want) {
			t.Errorf("got banner %q, want it to contain %q", got, want)
		}
	}
}

// TestBannerExampleAndProbeAnswer checks, on the banner's hint alone, that
// its example silences a PDU of another rack than the one it overloads
// (silencing the overloaded rack's PDU holds the overload alert), and that
// its probe line names a device that answers: not one --silence silenced
// (issue 10 B).
func TestBannerExampleAndProbeAnswer(t *testing.T) {
	site := inventory.Reference(2)
	tests := []struct {
		name              string
		silenced          []string
		wantProbe, wantEg string
	}{
		{"nothing silenced", nil, "(PDU H1-R01-K01-PA of rack H1-R01-K01;", "e.g. --overload H1-R01-K01 --silence H2-R01-K01-PA\n"},
		{"the first PDU silenced", []string{"H1-R01-K01-PA"}, "(PDU H1-R01-K01-PB of rack H1-R01-K01;", "e.g. --overload H1-R01-K01 --silence H2-R01-K01-PA\n"},
		{"the first rack silenced", []string{"H1-R01-K01-PA", "H1-R01-K01-PB"}, "(PDU H2-R01-K01-PA of rack H2-R01-K01;", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			probeHint(&b, site, "/tmp/c", tt.silenced)
			got := b.String()
			if !strings.Contains(got, tt.wantProbe) {
				t.Errorf("got %q, want the probe line to name %q", got, tt.wantProbe)
			}
			if !strings.Contains(got, tt.wantEg) {
				t.Errorf("got %q, want the example %q", got, tt.wantEg)
			}
		})
	}
	var one bytes.Buffer // a site of one rack: no PDU of another rack to silence
	probeHint(&one, inventory.Reference(1), "/tmp/c", nil)
	if got := one.String(); !strings.Contains(got, "e.g. --overload H1-R01-K01\n") {
		t.Errorf("got %q for a site of one rack, want the example to overload its rack and silence nothing", got)
	}
}

// TestScenariosInREADME checks that the README documents every scenario
// the banner lists.
func TestScenariosInREADME(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Scenarios {
		if !bytes.Contains(b, []byte("`"+s.Usage()+"`")) {
			t.Errorf("README.md does not document the scenario %s (want %q in backquotes)", s.Flag, s.Usage())
		}
	}
}
