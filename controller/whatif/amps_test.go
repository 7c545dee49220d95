package whatif

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

// briefA is a phase finding in amps: "PDU Lj BASIS STATUS LOAD/LIMIT
// (MARGIN)", "-" for null.
func briefA(f Finding) string {
	return fmt.Sprintf("%s L%d %s %s %s/%s (%s)", f.PDU, f.Phase, f.Basis, f.Status, w(f.LoadAmps), w(f.LimitAmps), w(f.MarginAmps))
}

// TestFeedOffAmps checks that a surviving phase is judged in amps, as its
// breaker trips, when its current is measured: a 32 A breaker at 80 % is
// 25.6 A on every 230 V PDU of these tests (5888 W).
func TestFeedOffAmps(t *testing.T) {
	k03 := abRack("K03")
	// A three-phase PDU on A and a one-phase one on B.
	mixed := inventory.Rack{ID: "K06", Feeds: []string{"A", "B"},
		PDUs: []inventory.PDU{pdu("K06-PA", "A", 3, 32), pdu("K06-PB", "B", 1, 32)}}
	threeFeeds := inventory.Rack{ID: "K05", Feeds: []string{"A", "B", "C"}, PDUs: []inventory.PDU{
		pdu("K05-PA", "A", 1, 32), pdu("K05-PB", "B", 1, 32), pdu("K05-PC", "C", 1, 32)}}
	tests := []struct {
		name        string
		rack        inventory.Rack
		feed        string
		rd          fakeReadings
		want        []string
		assumptions string // in every finding's assumptions, "" for none
	}{
		{"the demo: watts fit, the current does not", k03, "B",
			// L1: 13.4 + 13.4 = 26.8 A > 25.6 A, though 2930 + 2930 =
			// 5860 W < 5888 W (power factor below 1).
			fakeReadings{
				phaseW: map[string][]float64{"K03-PA": {2930, 1000, 1000}, "K03-PB": {2930, 1000, 1000}},
				phaseA: map[string][]float64{"K03-PA": {13.4, 5, 5}, "K03-PB": {13.4, 5, 6}},
			},
			// Worst first, then by watts margin (L2 and L3 tie at 2000 W): by phase.
			[]string{"K03-PA L1 measured exceeded 26.8/25.6 (-1.1999999999999993)", "K03-PA L2 measured ok 10/25.6 (15.600000000000001)", "K03-PA L3 measured ok 11/25.6 (14.600000000000001)"}, ""},
		{"at the derated breaker is ok, paired by phase", k03, "B",
			// L1 12.8 + 12.8 = 25.6 A; L2 pairs with L2: 1 + 24 = 25 A.
			fakeReadings{phaseA: map[string][]float64{"K03-PA": {12.8, 1, 0}, "K03-PB": {12.8, 24, 0}}},
			[]string{"K03-PA L1 measured ok 25.6/25.6 (0)", "K03-PA L2 measured ok 25/25.6 (0.6000000000000014)", "K03-PA L3 measured ok 0/25.6 (25.6)"}, ""},
		{"watts over but current under: a voltage above nominal", k03, "B",
			// 3000 + 3000 = 6000 W > 5888 W, but 12 + 12 = 24 A.
			fakeReadings{
				phaseW: map[string][]float64{"K03-PA": {3000, 0, 0}, "K03-PB": {3000, 0, 0}},
				phaseA: map[string][]float64{"K03-PA": {12, 0, 0}, "K03-PB": {12, 0, 0}},
			},
			[]string{"K03-PA L1 measured ok 24/25.6 (1.6000000000000014)", "K03-PA L2 measured ok 0/25.6 (25.6)", "K03-PA L3 measured ok 0/25.6 (25.6)"}, ""},
		{"no current measured: watts over the nominal voltage, and said", k03, "B",
			// 2944 + 2944 W = 5888 W = 25.6 A; 2944 + 2990 W = 25.8 A.
			phases(map[string][]float64{"K03-PA": {2944, 2944, 0}, "K03-PB": {2944, 2990, 0}}),
			[]string{"K03-PA L2 measured exceeded 25.8/25.6 (-0.1999999999999993)", "K03-PA L1 measured ok 25.6/25.6 (0)", "K03-PA L3 measured ok 0/25.6 (25.6)"},
			"reports no current per phase: A = W / 230 V"},
		{"a three-phase PDU lost onto a one-phase one: its current spread", mixed, "A",
			// 5 + (10 + 10 + 10) = 35 A.
			fakeReadings{phaseA: map[string][]float64{"K06-PA": {10, 10, 10}, "K06-PB": {5}}},
			[]string{"K06-PB L1 measured exceeded 35/25.6 (-9.399999999999999)"}, ""},
		{"unequal PDU counts: each PDU left takes a share of the current", threeFeeds, "A",
			// 10 + 20 / 2 = 20 A each.
			fakeReadings{phaseA: map[string][]float64{"K05-PA": {20}, "K05-PB": {10}, "K05-PC": {10}}},
			[]string{"K05-PB L1 measured ok 20/25.6 (5.600000000000001)", "K05-PC L1 measured ok 20/25.6 (5.600000000000001)"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Input{Site: oneRow(tt.rack), Readings: tt.rd}.FeedOff(tt.feed, "")
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			var got []string
			for _, f := range rep.Findings {
				got = append(got, briefA(f))
				if tt.assumptions != "" && !strings.Contains(strings.Join(f.Assumptions, "; "), tt.assumptions) {
					t.Errorf("%s: got assumptions %q, want %q", briefA(f), f.Assumptions, tt.assumptions)
				}
				if tt.assumptions == "" && len(f.Assumptions) > 0 && strings.Contains(strings.Join(f.Assumptions, "; "), "no current") {
					t.Errorf("%s: got assumptions %q, want none on current", briefA(f), f.Assumptions)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func TestFeedOffAmpsDetail(t *testing.T) {
	rd := fakeReadings{
		phaseW: map[string][]float64{"K03-PA": {2930, 1000, 1000}, "K03-PB": {2930, 1000, 1000}},
		phaseA: map[string][]float64{"K03-PA": {13.4, 5, 5}, "K03-PB": {13.4, 5, 6}},
	}
	rep, err := Input{Site: oneRow(abRack("K03")), Readings: rd, Declared: map[string]float64{"K03": 4600}}.FeedOff("B", "")
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	want := map[string]string{
		"L1 measured": "K03 K03-PA phase L1: would carry 26.8 A > 25.6 A (80 % of 32 A) if feed B fails; 5.86 kW of 5.89 kW at 230 V",
		"L3 measured": "K03 K03-PA phase L3: would carry 11.0 A of 25.6 A (80 % of 32 A) if feed B fails, 14.6 A to spare; 2.0 kW of 5.9 kW at 230 V",
	}
	for _, f := range rep.Findings {
		key := fmt.Sprintf("L%d %s", f.Phase, f.Basis)
		if f.Basis == BasisDeclared {
			// Declared: 4600 W over 3 phases, over 230 V: 6.667 A each, judged in watts.
			if f.LoadAmps == nil || fmt.Sprintf("%.3f", *f.LoadAmps) != "6.667" || *f.LimitAmps != 25.6 || f.Status != StatusOK {
				t.Errorf("%s: got %s, want 6.667/25.6 A ok", key, briefA(f))
			}
			continue
		}
		if d, ok := want[key]; ok {
			if f.Detail != d {
				t.Errorf("%s: got detail %q, want %q", key, f.Detail, d)
			}
			delete(want, key)
		}
	}
	for key := range want {
		t.Errorf("%s: got no such finding, want one", key)
	}
}

// TestCoolingOffStaleUnit checks that, measured, a unit whose telemetry is
// stale may have failed: a row whose verdict depends on it is unknown.
// Declared keeps its rated capacity, and says so.
func TestCoolingOffStaleUnit(t *testing.T) {
	staleC2 := func(w float64) fakeReadings {
		rd := rowLoad(w)
		rd.stale = map[string]bool{"H1-R01-C2": true}
		return rd
	}
	tests := []struct {
		name string
		unit string
		rd   fakeReadings
		want string
	}{
		// Without C1: C2 20 kW (stale) and C3 10 kW, N+1 10 kW. Without C2
		// too: 10 kW, N+1 0.
		{"relies on the stale unit: unknown, not ok", "H1-R01-C1", staleC2(9000), "row H1-R01 measured unknown 9000/- (-)"},
		{"exceeded even with it", "H1-R01-C1", staleC2(31000), "row H1-R01 measured exceeded 31000/10000 (-21000) n+1 0"},
		{"over the fresh units alone: unknown", "H1-R01-C1", staleC2(12000), "row H1-R01 measured unknown 12000/- (-)"},
		{"zero load does not rely on it", "H1-R01-C1", staleC2(0), "row H1-R01 measured ok 0/10000 (10000) n+1 0"},
		// Without C2: C1 30 kW and C3 10 kW, N+1 10 kW.
		{"the failed unit's own staleness does not matter", "H1-R01-C2", staleC2(9000), "row H1-R01 measured ok 9000/40000 (31000) n+1 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Input{Site: coolingSite(), Readings: tt.rd}.CoolingOff(tt.unit)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := brief(rep.Findings[0]); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	rep, err := Input{Site: coolingSite(), Readings: staleC2(9000), Declared: map[string]float64{"K01": 3000}}.CoolingOff("H1-R01-C1")
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	for _, f := range rep.Findings {
		switch f.Basis {
		case BasisMeasured:
			want := "row H1-R01 without H1-R01-C1: IT load 9.0 kW relies on H1-R01-C2, whose telemetry is stale (it may have failed): ok if it works, no-redundancy if not"
			if f.Detail != want {
				t.Errorf("measured: got detail %q, want %q", f.Detail, want)
			}
		case BasisDeclared:
			if b := brief(f); b != "row H1-R01 declared ok 3000/30000 (27000) n+1 10000" {
				t.Errorf("declared: got %s, want the inventory's capacity counted", b)
			}
			if !slices.ContainsFunc(f.Assumptions, func(s string) bool { return strings.Contains(s, "rated capacity of H1-R01-C2 counted") }) {
				t.Errorf("declared: got assumptions %q, want C2's rated capacity counted", f.Assumptions)
			}
		}
	}
}
