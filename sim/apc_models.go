package sim

import "fmt"

// rpdu2Model is an APC rack PDU of the rPDU2 generation that the simulator
// reports being: the model its management card names (sysDescr's MN: and
// rPDU2IdentModelNumber) and the rating that model has, which the device's
// properties (rPDU2DevicePropertiesNumPhases, …MaxCurrentRating) must
// agree with. All of them answer with the rPDU2 sysObjectID
// 1.3.6.1.4.1.318.1.3.4.6, as the recorded AP8853 and APDU9959EU3 do.
type rpdu2Model struct {
	model       string
	phases      int
	breakerAmps int
}

// rpdu2Models are the part numbers the simulator names. AP8886 (3 phases,
// 32 A, 22 kW at 230 V) is what it has always reported for the reference
// site's PDUs.
var rpdu2Models = []rpdu2Model{
	{"AP8886", 3, 32},
}

// rpdu2ModelFor is the model a PDU of the given rating reports: a part
// number of rpdu2Models if one has that rating, else a name that says it
// is simulated and gives the rating ("SIM-RPDU2-3P63A"), rather than a part
// number of another rating.
func rpdu2ModelFor(phases, breakerAmps int) string {
	for _, m := range rpdu2Models {
		if m.phases == phases && m.breakerAmps == breakerAmps {
			return m.model
		}
	}
	return fmt.Sprintf("SIM-RPDU2-%dP%dA", phases, breakerAmps)
}

// rpdu2Rating is the rating of a model rpdu2ModelFor names; ok is false
// for a name it does not give.
func rpdu2Rating(model string) (phases, breakerAmps int, ok bool) {
	for _, m := range rpdu2Models {
		if m.model == model {
			return m.phases, m.breakerAmps, true
		}
	}
	if _, err := fmt.Sscanf(model, "SIM-RPDU2-%dP%dA", &phases, &breakerAmps); err != nil {
		return 0, 0, false
	}
	return phases, breakerAmps, true
}
