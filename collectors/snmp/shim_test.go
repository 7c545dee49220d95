package snmp

import (
	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/collectors"
)

// The two profiles that used to be Go code, now loaded from their YAML:
// their tests (apc_rpdu2_test.go, apc_inrow_test.go) are unchanged
// contracts for the declarative engine.
var (
	rpdu2Profile = lookupDef("apc-rpdu2")
	inrowProfile = lookupDef("apc-inrow")
)

func parseRPDU2(pdus []gosnmp.SnmpPDU, module int) ([]collectors.Reading, error) {
	return rpdu2Profile.Parse(pdus, module)
}

func parseInRow(pdus []gosnmp.SnmpPDU, module int) ([]collectors.Reading, error) {
	return inrowProfile.Parse(pdus, module)
}

// coolingUnitStatusAnalogEntry and its columns.
const (
	coolingAnalogEntry = "1.3.6.1.4.1.318.1.1.27.1.4.1.2.1"
	analogDescription  = 2
	analogValue        = 3
	analogUnits        = 4
	analogScale        = 5
)
