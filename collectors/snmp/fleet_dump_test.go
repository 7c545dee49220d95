package snmp

import (
	"os"
	"testing"
)

// TestDumpWalk prints what auto-detection and the chosen profile make of
// the recording named by $DCPLANE_DUMP_WALK: a tool for writing profiles.
func TestDumpWalk(t *testing.T) {
	file := os.Getenv("DCPLANE_DUMP_WALK")
	if file == "" {
		t.Skip("set DCPLANE_DUMP_WALK=FILE.snmprec to dump a recording")
	}
	w := loadWalk(t, file)
	det, err := Detect(t.Context(), w, Defs())
	t.Logf("detect: %q %s → %v (%s) err %v", det.SysDescr, det.SysObjectID, det.Profile != nil, det.Why, err)
	if det.Profile == nil {
		return
	}
	var all = w.pdus
	res, err := det.Profile.parse(all, 0)
	t.Logf("profile %s err %v rejected %v", det.Profile.name, err, res.rejected)
	for _, r := range res.readings {
		t.Logf("  %s %d %s %v", r.Scope, r.Index, r.Metric, r.Value)
	}
}
