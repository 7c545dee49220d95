package alerts

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// testSite is site dc, hall H1, row R1 of racks K1 and K2 (15 kW each, a
// three-phase 230 V 32 A PDU on feed A and one on B: 25.6 A a phase
// derated), and rack K3 with two PDUs on A and one on B; row R1 cooled by
// C1 10 kW, C2 20 kW and C3 30 kW (N+1: 30 kW, without C3, listed last).
func testSite() *inventory.Site {
	pdu := func(id, feed string) inventory.PDU {
		return inventory.PDU{ID: id, Feed: feed, Phases: 3, VoltageV: 230, BreakerA: 32}
	}
	rack := func(id string, pdus ...inventory.PDU) inventory.Rack {
		return inventory.Rack{ID: id, BudgetKW: 15, Feeds: []string{"A", "B"}, PDUs: pdus}
	}
	return &inventory.Site{Name: "dc", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{{
		ID: "R1",
		Racks: []inventory.Rack{
			rack("K1", pdu("K1-A", "A"), pdu("K1-B", "B")),
			rack("K2", pdu("K2-A", "A"), pdu("K2-B", "B")),
			rack("K3", pdu("K3-A1", "A"), pdu("K3-A2", "A"), pdu("K3-B", "B")),
		},
		Cooling: []inventory.CoolingUnit{{ID: "C1", CapacityKW: 10}, {ID: "C2", CapacityKW: 20}, {ID: "C3", CapacityKW: 30}},
	}}}}}
}

// pdu is a fresh PDU drawing w watts with the given phase currents.
func pdu(w float64, amps ...float64) Device {
	return Device{Fresh: true, LastOK: t0, Watts: &w, PhaseAmps: amps}
}

// quiet is the test site at rest: every PDU fresh at 1 kW with 1.5 A a
// phase, every cooling unit fresh; nothing alerts.
func quiet() Input {
	in := Input{Site: testSite(), Devices: map[string]Device{}, Since: t0.Add(-time.Hour)}
	for _, id := range []string{"K1-A", "K1-B", "K2-A", "K2-B", "K3-A1", "K3-A2", "K3-B"} {
		in.Devices[id] = pdu(1000, 1.5, 1.5, 1.5)
	}
	for _, id := range []string{"C1", "C2", "C3"} {
		in.Devices[id] = Device{Fresh: true, LastOK: t0}
	}
	return in
}

// instant is DefaultConfig with every `for` and ClearFor 0: one evaluation
// shows what fires.
func instant() Config {
	c := DefaultConfig()
	c.ClearFor, c.Rack.For, c.Phase.For, c.Phase.ImbalanceFor = 0, 0, 0, 0
	c.Cooling.For, c.Inlet.For, c.Forecast.For, c.Telemetry.StaleFor, c.Placement.For = 0, 0, 0, 0, 0
	return c
}

func evaluator(t *testing.T, c Config) *Evaluator {
	t.Helper()
	e, err := NewEvaluator(c)
	if err != nil {
		t.Fatalf("NewEvaluator: got %v, want no error", err)
	}
	return e
}

// brief is an alert in a line: rule, object, status, value/limit.
func brief(a Alert) string {
	return fmt.Sprintf("%s %s %s %.6g/%.6g", a.Rule, a.Object, a.Status, a.Value, a.Limit)
}

// briefs lists the active alerts in brief, sorted.
func briefs(as []Alert) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, brief(a))
	}
	slices.Sort(out)
	return out
}

// find returns the active alert of rule r whose object reads obj.
func find(as []Alert, r Rule, obj string) (Alert, bool) {
	for _, a := range as {
		if a.Rule == r && a.Object.String() == obj {
			return a, true
		}
	}
	return Alert{}, false
}

// kinds lists the transitions in brief: "fired RackOverBudget".
func kinds(ts []Transition) []string {
	out := []string{}
	for _, t := range ts {
		s := string(t.Kind)
		if t.Alert != nil {
			s += " " + string(t.Alert.Rule) + " " + t.Alert.Object.String()
		} else {
			s += " " + t.ID
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func join(ss []string) string { return strings.Join(ss, "\n\t") }
