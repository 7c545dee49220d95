package snmp

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// TestSNMPv3 talks SNMPv3 authPriv (SHA-256 + AES) to net-snmp's snmpd, an
// agent independent of gosnmp, through Session and the Collector.
func TestSNMPv3(t *testing.T) {
	d := startSnmpd(t)
	t.Run("get sysName and sysDescr", func(t *testing.T) { testV3Get(t, d.addr) })
	t.Run("bulk walk of system", func(t *testing.T) { testV3Walk(t, d.addr) })
	tests := []struct {
		name, auth, priv, user string
		wantReason             string
	}{
		// snmpd answers a bad HMAC with a usmStatsWrongDigests report.
		{name: "wrong auth passphrase", auth: "wrongpass123", priv: v3PrivPass, wantReason: ReasonAuth},
		{name: "unknown user", user: "nobody-here", auth: v3AuthPass, priv: v3PrivPass, wantReason: ReasonAuth},
		// snmpd drops a message it cannot decrypt without a report: from
		// outside that looks like an agent that does not answer.
		{name: "wrong priv passphrase", auth: v3AuthPass, priv: "wrongpriv123", wantReason: ReasonTimeout},
		// The Collector end to end over v3: snmpd has no rPDU2 tables.
		{name: "poll of a non-PDU", auth: v3AuthPass, priv: v3PrivPass, wantReason: ReasonNoSuchObject},
	}
	collector := NewCollector(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := v3Target(d.addr, tt.auth, tt.priv)
			target.Timeout = 300 * time.Millisecond
			if tt.user != "" {
				target.Credentials.USM.User = tt.user
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			got := collector.Poll(ctx, target, rpdu2Profile)
			t.Logf("status: reason %q, err %q", got.Reason, got.Err)
			if got.OK || got.Reason != tt.wantReason {
				t.Errorf("got OK=%v reason %q (%s), want reason %q", got.OK, got.Reason, got.Err, tt.wantReason)
			}
			if strings.Contains(got.Err, tt.auth) || strings.Contains(got.Err, tt.priv) {
				t.Errorf("Err %q shows a passphrase", got.Err)
			}
		})
	}
}

// testV3Get GETs sysName and sysDescr over authPriv.
func testV3Get(t *testing.T, addr string) {
	s, err := Dial(t.Context(), v3Target(addr, v3AuthPass, v3PrivPass))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pdus, err := s.Get(t.Context(), []string{sysName, sysDescr})
	if err != nil || len(pdus) != 2 {
		t.Fatalf("got %v, %v, want 2 varbinds", pdus, err)
	}
	name, _ := pdus[0].Value.([]byte)
	descr, _ := pdus[1].Value.([]byte)
	if string(name) != v3SysName || pdus[1].Type != gosnmp.OctetString || len(descr) == 0 {
		t.Errorf("got sysName %q, sysDescr %q (%v), want %q and a non-empty string", name, descr, pdus[1].Type, v3SysName)
	}
}

// testV3Walk walks the system group with GETBULK over authPriv.
func testV3Walk(t *testing.T, addr string) {
	s, err := Dial(t.Context(), v3Target(addr, v3AuthPass, v3PrivPass))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pdus, err := s.BulkWalkAll(t.Context(), "1.3.6.1.2.1.1")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range pdus {
		v, _ := p.Value.([]byte)
		found = found || (strings.TrimPrefix(p.Name, ".") == sysName && string(v) == v3SysName)
	}
	if len(pdus) < 7 || !found {
		t.Errorf("got %d varbinds (sysName found: %v), want at least 7 with sysName %q", len(pdus), found, v3SysName)
	}
}
