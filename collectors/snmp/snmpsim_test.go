package snmp

import (
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	c "github.com/dcplane/dcplane/collectors"
)

// TestRecordings polls real SNMP (snmpsimd replaying recorded walks of real
// PDUs from ../shared/snmprec) through the Collector and the apc-rpdu2
// profile. The expected values were read by hand from the recordings; each
// comment names the line (OID under 1.3.6.1.4.1.318.1.1.26 | type | value).
func TestRecordings(t *testing.T) {
	sim := startSnmpsim(t, map[string]string{
		"ap8853":      "apc_ap8853.snmprec",
		"apdu9959eu3": "apc_apdu9959eu3.snmprec",
		"ap7900b":     "apc_ap7900b.snmprec",
		"dell":        "dell-rpdu.snmprec",
	})
	tests := []recordingCase{
		{name: "AP8853", community: "ap8853", want: []c.Reading{
			rd(c.PowerWatts, c.ScopeDevice, 0, 1140),             // .4.3.1.5.1|2|114 (0.01 kW)
			rd(c.ApparentPowerVA, c.ScopeDevice, 0, 1190),        // .4.3.1.16.1|2|119 (0.01 kVA)
			rd(c.PowerFactorRatio, c.ScopeDevice, 0, 0.96),       // .4.3.1.17.1|2|96
			rd(c.EnergyJoules, c.ScopeDevice, 0, 12_646_080_000), // .4.3.1.9.1|2|35128 (0.1 kWh) × 360000
			rd(c.CurrentAmperes, c.ScopePhase, 1, 4.9),           // .6.3.1.5.1|2|49 (0.1 A)
			rd(c.VoltageVolts, c.ScopePhase, 1, 242),             // .6.3.1.6.1|2|242
			rd(c.PowerWatts, c.ScopePhase, 1, 1140),              // .6.3.1.7.1|2|114
			rd(c.ApparentPowerVA, c.ScopePhase, 1, 1190),         // .6.3.1.8.1|2|119
			rd(c.PowerFactorRatio, c.ScopePhase, 1, 0.96),        // .6.3.1.9.1|2|96
			// sensor: .10.2.2.1.5.1|2|4 (notInstalled), temperature -1: no reading
		}},
		{name: "APDU9959EU3", community: "apdu9959eu3", want: []c.Reading{
			rd(c.PowerWatts, c.ScopeDevice, 0, 1170),          // .4.3.1.5.1|2|117
			rd(c.ApparentPowerVA, c.ScopeDevice, 0, 1250),     // .4.3.1.16.1|2|125
			rd(c.PowerFactorRatio, c.ScopeDevice, 0, 0.93),    // .4.3.1.17.1|2|93
			rd(c.EnergyJoules, c.ScopeDevice, 0, 254_160_000), // .4.3.1.9.1|2|706
			rd(c.CurrentAmperes, c.ScopePhase, 1, 5.4),        // .6.3.1.5.1|2|54
			rd(c.VoltageVolts, c.ScopePhase, 1, 228),          // .6.3.1.6.1|2|228
			rd(c.PowerWatts, c.ScopePhase, 1, 1160),           // .6.3.1.7.1|2|116
			rd(c.ApparentPowerVA, c.ScopePhase, 1, 1250),      // .6.3.1.8.1|2|125
			rd(c.PowerFactorRatio, c.ScopePhase, 1, 0.93),     // .6.3.1.9.1|2|93
		}},
		{name: "AP7900B", community: "ap7900b", want: []c.Reading{
			// device .4.3.1.5/.9/.16/.17 are all -1 and phase .6.3.1.6-.9 too:
			// a switched (not metered-power) PDU reports current only.
			rd(c.CurrentAmperes, c.ScopePhase, 1, 2.7), // .6.3.1.5.1|2|27
		}},
		{name: "AP8853 module 2", community: "ap8853", module: 2, wantReason: ReasonNoSuchObject}, // one module only: .4.3.1.2.1|2|1
		{name: "Dell rPDU", community: "dell", wantReason: ReasonNoSuchObject},                    // DellrPDU-MIB (674.10903.200), not rPDU2
	}
	pollRecordings(t, sim.addr, rpdu2Profile, tests)
	t.Run("get", func(t *testing.T) { testSessionGet(t, sim.addr) })
	t.Run("wrong community times out", func(t *testing.T) {
		target := Target{Address: sim.addr, Timeout: 200 * time.Millisecond, Credentials: Credentials{Community: NewSecret("nosuchcommunity")}}
		got := NewCollector(nil).Poll(t.Context(), target, rpdu2Profile)
		if got.OK || got.Reason != ReasonTimeout {
			t.Errorf("got OK=%v reason %q (%s), want reason %q", got.OK, got.Reason, got.Err, ReasonTimeout)
		}
	})
}

// testSessionGet checks Session.Get against the AP8853 recording: a value
// comes back as recorded and an absent object as a NoSuch* varbind.
func testSessionGet(t *testing.T, addr string) {
	s, err := Dial(t.Context(), Target{Address: addr, Credentials: Credentials{Community: NewSecret("ap8853")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	outlet1Power := "1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.1" // the AP8853 has no metered outlets
	pdus, err := s.Get(t.Context(), []string{sysDescr, outlet1Power})
	if err != nil || len(pdus) != 2 {
		t.Fatalf("got %v, %v, want 2 varbinds", pdus, err)
	}
	descr, _ := pdus[0].Value.([]byte)
	// 1.3.6.1.2.1.1.1.0|4|APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.8.2 …
	if want := "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.8.2"; !strings.HasPrefix(string(descr), want) {
		t.Errorf("sysDescr: got %q, want prefix %q", descr, want)
	}
	if typ := pdus[1].Type; typ != gosnmp.NoSuchObject && typ != gosnmp.NoSuchInstance {
		t.Errorf("absent object: got type %v, want NoSuchObject or NoSuchInstance", typ)
	}
}
