package snmp

import (
	"fmt"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// MatchWalk chooses the profile of a device from a walk of it rather than
// from the device itself: the profile Detect would choose if the device
// answered as the walk says (the longest matching sysObjectID prefix whose
// probe, if it has one, is in the walk). The simulator uses it to learn
// which objects of a recorded walk carry power, without a client to ask.
// A walk no profile matches yields an error wrapping ErrNoProfile.
func MatchWalk(defs []*Def, pdus []gosnmp.SnmpPDU) (Detection, error) {
	var det Detection
	has := make(map[string]bool, len(pdus))
	for _, p := range pdus {
		name := strings.TrimPrefix(p.Name, ".")
		has[name] = !absent(p)
		switch name {
		case oidSysDescr:
			det.SysDescr, _ = octets(p)
		case oidSysObjectID:
			det.SysObjectID = objectID(p)
		}
	}
	for _, c := range candidates(defs, det.SysObjectID) {
		if c.rule.probe == "" || has[c.rule.probe] {
			det.Profile, det.Why = c.def, c.why()
			return det, nil
		}
	}
	det.Why = fmt.Sprintf("no profile matches sysObjectID %s", orNone(det.SysObjectID))
	return det, fmt.Errorf("%w: %q (sysObjectID %s)", ErrNoProfile, det.SysDescr, orNone(det.SysObjectID))
}
