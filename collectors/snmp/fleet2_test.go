package snmp

import (
	"testing"

	"github.com/gosnmp/gosnmp"

	c "github.com/dcplane/dcplane/collectors"
)

// TestEasyPDUScales checks the apc-epdu scales on a loaded phase: the
// recorded EPDU1116S reads 0 V, 0 A and 0 W everywhere, which no scale
// changes. The values are those of a loaded EPDU1016M as NUT's
// apc-epdu-mib documents them (ePDUPhaseStatusVoltage.1 = 2304,
// ePDUPhaseStatusCurrent.1 = 355, ePDUPhaseStatusActivePower.1 = 785,
// ePDUDeviceStatusActivePower.1 = 785), and -1 is no reading.
func TestEasyPDUScales(t *testing.T) {
	const phase = ".1.3.6.1.4.1.318.1.1.30.4.2.1."
	pdus := []gosnmp.SnmpPDU{
		vInt(".1.3.6.1.4.1.318.1.1.30.2.1.1.7.1", 785),
		vInt(phase+"4.1", 2304), vInt(phase+"5.1", 355), vInt(phase+"6.1", 785),
		vInt(phase+"4.2", -1), vInt(phase+"5.2", -1),
	}
	rs, err := lookupDef("apc-epdu").Parse(pdus, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []c.Reading{
		rd(c.PowerWatts, c.ScopeDevice, 0, 785),
		rd(c.VoltageVolts, c.ScopePhase, 1, 230.4),
		rd(c.CurrentAmperes, c.ScopePhase, 1, 3.55),
		rd(c.PowerWatts, c.ScopePhase, 1, 785),
	}
	if len(rs) != len(want) {
		t.Fatalf("got %v, want %v", rs, want)
	}
	for i := range want {
		if rs[i] != want[i] {
			t.Errorf("reading %d: got %v, want %v", i, rs[i], want[i])
		}
	}
}
