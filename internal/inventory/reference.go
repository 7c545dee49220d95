package inventory

import (
	"fmt"
	"math"
	"strings"
)

// The shape of the reference site: two halls of rows of 15 kW racks, each
// rack fed A/B through two three-phase 32 A PDUs, each row cooled by in-row
// units of 60 kW sized N+1. The last two racks of each hall's first row (when
// it is full) are GPU racks of 30 kW on 63 A PDUs.
const (
	referenceRacks      = 460
	referenceRowRacks   = 23
	referenceCoolingKW  = 60
	referenceBreakerA   = 32
	referenceCredential = "snmp-ro"

	referenceGPURacks    = 2  // in each hall
	referenceGPUBudgetKW = 30 // with 63 A PDUs: 3 × 230 V × 63 A × 80 % = 34.8 kW a feed
	referenceGPUBreakerA = 63
)

// ReferenceRacks is the number of racks of the bundled reference site.
const ReferenceRacks = referenceRacks

// MaxReferenceRacks is the most racks a generated reference site may have:
// about 3.5 times the bundled site, and still within what Parse accepts
// (a larger one is refused by the document's node limit).
const MaxReferenceRacks = 1600

// CheckReferenceRacks says whether Reference(n) builds a site that can be
// used: n from 1 to MaxReferenceRacks. Ask it before building one from a
// number a person gave: Reference itself would try to build any size.
func CheckReferenceRacks(n int) error {
	if n < 1 || n > MaxReferenceRacks {
		return fmt.Errorf("%d racks: want 1 to %d (the bundled site has %d)", n, MaxReferenceRacks, ReferenceRacks)
	}
	return nil
}

// Reference builds the reference DPC with the given number of racks (460 makes
// the 7 MW site of the bundled example): two halls, rows of up to 23 racks,
// PDUs on feeds A and B, N+1 in-row cooling in every row, and servers from the
// catalogue in every rack (see referenceServers). Device addresses are names
// under .example, which never resolve: the simulator replaces them.
func Reference(racks int) *Site {
	s := &Site{Name: "city-dpc"}
	first := (racks + 1) / 2
	for hi, n := range []int{first, racks - first} {
		if n == 0 {
			continue
		}
		h := Hall{ID: fmt.Sprintf("H%d", hi+1)}
		for ri := 0; n > 0; ri++ {
			k := min(n, referenceRowRacks)
			gpu := 0
			if ri == 0 && k == referenceRowRacks {
				gpu = referenceGPURacks
			}
			h.Rows = append(h.Rows, referenceRow(fmt.Sprintf("%s-R%02d", h.ID, ri+1), k, gpu, hi))
			n -= k
		}
		s.Halls = append(s.Halls, h)
	}
	s.applyDefaults()
	return s
}

// referenceRow builds a row of racks, the last gpu of them GPU racks, and its
// cooling.
func referenceRow(id string, racks, gpu, hall int) Row {
	r := Row{ID: id}
	var kw float64
	for i := range racks {
		k := Rack{ID: fmt.Sprintf("%s-K%02d", id, i+1), BudgetKW: DefaultRackBudgetKW, Feeds: []string{"A", "B"}}
		breaker := float64(referenceBreakerA)
		if g := i - (racks - gpu); g >= 0 {
			k.BudgetKW, breaker = referenceGPUBudgetKW, referenceGPUBreakerA
			k.Labels = map[string]string{"tier": "gpu"}
			k.Servers = referenceServers(k.ID, referenceGPUFits[(hall*referenceGPURacks+g)%len(referenceGPUFits)])
		} else {
			k.Servers = referenceServers(k.ID, referenceFit(k.ID))
		}
		for _, f := range k.Feeds {
			pid := k.ID + "-P" + f
			k.PDUs = append(k.PDUs, PDU{
				ID: pid, Feed: f, Phases: 3, VoltageV: DefaultPDUVoltageV, BreakerA: breaker,
				SNMP: Endpoint{Address: exampleAddress(pid, "pdu"), Profile: "apc-rpdu2", Credentials: referenceCredential},
			})
		}
		kw += k.BudgetKW
		r.Racks = append(r.Racks, k)
	}
	// N+1: enough units for the row's whole budget, and one more.
	units := int(math.Ceil(kw/referenceCoolingKW)) + 1
	for i := range units {
		cid := fmt.Sprintf("%s-C%d", id, i+1)
		r.Cooling = append(r.Cooling, CoolingUnit{
			ID: cid, CapacityKW: referenceCoolingKW,
			SNMP: Endpoint{Address: exampleAddress(cid, "cooling"), Profile: "apc-inrow", Credentials: referenceCredential},
		})
	}
	return r
}

func exampleAddress(id, kind string) string {
	return strings.ToLower(id) + "." + kind + ".dpc.example:161"
}
