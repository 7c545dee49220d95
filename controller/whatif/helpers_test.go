package whatif

import (
	"fmt"
	"strconv"

	"github.com/dcplane/dcplane/internal/inventory"
)

// fakeReadings is a static Readings: totals, phase power and phase current
// by PDU. A PDU in none of the maps is stale.
type fakeReadings struct {
	total  map[string]float64
	phaseW map[string][]float64
	phaseA map[string][]float64
	stale  map[string]bool // devices (cooling units) whose telemetry is stale
}

func (f fakeReadings) Fresh(device string) bool { return !f.stale[device] }

func (f fakeReadings) PDUWatts(pdu string) (float64, bool) {
	v, ok := f.total[pdu]
	return v, ok
}

func (f fakeReadings) PhaseWatts(pdu string, _ int) ([]float64, bool) {
	v, ok := f.phaseW[pdu]
	return v, ok
}

func (f fakeReadings) PhaseAmps(pdu string, _ int) ([]float64, bool) {
	v, ok := f.phaseA[pdu]
	return v, ok
}

// phases is a fakeReadings with per-phase power only.
func phases(m map[string][]float64) fakeReadings { return fakeReadings{phaseW: m} }

// pdu is a 230 V PDU. A phase of a 32 A one may carry 230 × 32 × 0.8 =
// 5888 W; of a 16 A one, 2944 W.
func pdu(id, feed string, phases int, amps float64) inventory.PDU {
	return inventory.PDU{ID: id, Feed: feed, Phases: phases, VoltageV: 230, BreakerA: amps}
}

// abRack is a rack with one three-phase 32 A PDU on each of feeds A and
// B, named ID-PA and ID-PB.
func abRack(id string) inventory.Rack {
	return inventory.Rack{ID: id, BudgetKW: 15, Feeds: []string{"A", "B"},
		PDUs: []inventory.PDU{pdu(id+"-PA", "A", 3, 32), pdu(id+"-PB", "B", 3, 32)}}
}

// oneRow is a site of one hall H1 with one row H1-R01 of racks.
func oneRow(racks ...inventory.Rack) *inventory.Site {
	return &inventory.Site{Name: "test", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{{ID: "H1-R01", Racks: racks}}}}}
}

// brief is a finding in one line, for comparing reports:
// "KIND OBJECT BASIS STATUS LOAD/LIMIT (MARGIN) [n+1 LIMIT]", "-" for
// null.
func brief(f Finding) string {
	obj := f.Row
	switch f.Kind {
	case KindPDUPhase:
		obj = fmt.Sprintf("%s L%d", f.PDU, f.Phase)
	case KindRack:
		obj = f.Rack
	}
	s := fmt.Sprintf("%s %s %s %s %s/%s (%s)", f.Kind, obj, f.Basis, f.Status, w(f.LoadWatts), w(f.LimitWatts), w(f.MarginWatts))
	if f.NPlus1LimitWatts != nil {
		s += " n+1 " + w(f.NPlus1LimitWatts)
	}
	return s
}

func briefs(r *Report) []string {
	out := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		out[i] = brief(f)
	}
	return out
}

func w(p *float64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}
