package whatif

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

func TestFeedOffMeasured(t *testing.T) {
	k01 := abRack("K01")
	single := inventory.Rack{ID: "K02", Feeds: []string{"A", "B"},
		PDUs: []inventory.PDU{pdu("K02-PA", "A", 1, 16), pdu("K02-PB", "B", 1, 16)}}
	aOnly := inventory.Rack{ID: "K03", Feeds: []string{"A"}, PDUs: []inventory.PDU{pdu("K03-PA", "A", 3, 32)}}
	// Two PDUs per feed: K04-PA1 pairs with K04-PB1, K04-PA2 with K04-PB2.
	twoEach := inventory.Rack{ID: "K04", Feeds: []string{"A", "B"}, PDUs: []inventory.PDU{
		pdu("K04-PA1", "A", 1, 32), pdu("K04-PA2", "A", 1, 32), pdu("K04-PB1", "B", 1, 32), pdu("K04-PB2", "B", 1, 32)}}
	// Three feeds: the two PDUs left each take half of what K05-PA carried.
	threeFeeds := inventory.Rack{ID: "K05", Feeds: []string{"A", "B", "C"}, PDUs: []inventory.PDU{
		pdu("K05-PA", "A", 1, 32), pdu("K05-PB", "B", 1, 32), pdu("K05-PC", "C", 1, 32)}}
	// A three-phase PDU on A and a one-phase one on B.
	mixed := inventory.Rack{ID: "K06", Feeds: []string{"A", "B"},
		PDUs: []inventory.PDU{pdu("K06-PA", "A", 3, 32), pdu("K06-PB", "B", 1, 32)}}
	tests := []struct {
		name string
		site *inventory.Site
		rd   fakeReadings
		want []string
	}{
		{"phases just under, at and over the limit, paired by index", oneRow(k01),
			// PB L1 4944, L2 5500, L3 5887: all below 5888 only if L1 pairs with L1.
			phases(map[string][]float64{"K01-PA": {2000, 2500, 2900}, "K01-PB": {2944, 3000, 2987}}),
			[]string{
				"pdu-phase K01-PB L3 measured ok 5887/5888 (1)",
				"pdu-phase K01-PB L2 measured ok 5500/5888 (388)",
				"pdu-phase K01-PB L1 measured ok 4944/5888 (944)",
			}},
		{"at the limit is not over", oneRow(k01),
			phases(map[string][]float64{"K01-PA": {2000, 2500, 2900}, "K01-PB": {2944, 3000, 2988}}),
			[]string{
				"pdu-phase K01-PB L3 measured ok 5888/5888 (0)",
				"pdu-phase K01-PB L2 measured ok 5500/5888 (388)",
				"pdu-phase K01-PB L1 measured ok 4944/5888 (944)",
			}},
		{"one watt over", oneRow(k01),
			phases(map[string][]float64{"K01-PA": {2000, 2500, 2900}, "K01-PB": {2944, 3000, 2989}}),
			[]string{
				"pdu-phase K01-PB L3 measured exceeded 5889/5888 (-1)",
				"pdu-phase K01-PB L2 measured ok 5500/5888 (388)",
				"pdu-phase K01-PB L1 measured ok 4944/5888 (944)",
			}},
		{"single-phase PDUs", oneRow(single),
			phases(map[string][]float64{"K02-PA": {1500}, "K02-PB": {1500}}),
			[]string{"pdu-phase K02-PB L1 measured exceeded 3000/2944 (-56)"}},
		{"total only is split evenly over the phases", oneRow(k01),
			fakeReadings{total: map[string]float64{"K01-PA": 6000}, phaseW: map[string][]float64{"K01-PB": {3000, 3100, 2900}}},
			[]string{
				"pdu-phase K01-PB L2 measured ok 5100/5888 (788)",
				"pdu-phase K01-PB L1 measured ok 5000/5888 (888)",
				"pdu-phase K01-PB L3 measured ok 4900/5888 (988)",
			}},
		{"current only: W = A × V", oneRow(k01),
			fakeReadings{phaseA: map[string][]float64{"K01-PA": {10, 12, 8}}, phaseW: map[string][]float64{"K01-PB": {3000, 3000, 3000}}},
			[]string{
				"pdu-phase K01-PB L2 measured ok 5760/5888 (128)",
				"pdu-phase K01-PB L1 measured ok 5300/5888 (588)",
				"pdu-phase K01-PB L3 measured ok 4840/5888 (1048)",
			}},
		{"phase power wins over current and total for the watts, a measured current judges", oneRow(k01),
			// Amps: PB 3000 W / 230 V = 13.04 A + PA's 20 A = 33.04 A > 25.6 A.
			fakeReadings{
				phaseW: map[string][]float64{"K01-PA": {1000, 1000, 1000}, "K01-PB": {3000, 3000, 3000}},
				phaseA: map[string][]float64{"K01-PA": {20, 20, 20}},
				total:  map[string]float64{"K01-PA": 9000},
			},
			[]string{
				"pdu-phase K01-PB L1 measured exceeded 4000/5888 (1888)",
				"pdu-phase K01-PB L2 measured exceeded 4000/5888 (1888)",
				"pdu-phase K01-PB L3 measured exceeded 4000/5888 (1888)",
			}},
		{"a stale lost PDU makes the phases unknown, not 0", oneRow(k01),
			phases(map[string][]float64{"K01-PB": {100, 100, 100}}),
			[]string{
				"pdu-phase K01-PB L1 measured unknown -/5888 (-)",
				"pdu-phase K01-PB L2 measured unknown -/5888 (-)",
				"pdu-phase K01-PB L3 measured unknown -/5888 (-)",
			}},
		{"a stale PDU left is unknown too", oneRow(k01),
			phases(map[string][]float64{"K01-PA": {100, 100, 100}}),
			[]string{
				"pdu-phase K01-PB L1 measured unknown -/5888 (-)",
				"pdu-phase K01-PB L2 measured unknown -/5888 (-)",
				"pdu-phase K01-PB L3 measured unknown -/5888 (-)",
			}},
		{"readings of the wrong length are unknown", oneRow(k01),
			fakeReadings{phaseW: map[string][]float64{"K01-PA": {1000, 1000}, "K01-PB": {1000, 1000, 1000}}},
			[]string{
				"pdu-phase K01-PB L1 measured unknown -/5888 (-)",
				"pdu-phase K01-PB L2 measured unknown -/5888 (-)",
				"pdu-phase K01-PB L3 measured unknown -/5888 (-)",
			}},
		{"readings that are not a load are unknown", oneRow(k01),
			fakeReadings{phaseW: map[string][]float64{"K01-PA": {1000, nan(), 1000}, "K01-PB": {1000, 1000, 1000}},
				total: map[string]float64{"K01-PA": -3000}},
			[]string{
				"pdu-phase K01-PB L1 measured unknown -/5888 (-)",
				"pdu-phase K01-PB L2 measured unknown -/5888 (-)",
				"pdu-phase K01-PB L3 measured unknown -/5888 (-)",
			}},
		{"a rack on the lost feed only goes dark", oneRow(aOnly, single),
			fakeReadings{phaseW: map[string][]float64{"K02-PA": {1000}, "K02-PB": {1000}}, total: map[string]float64{"K03-PA": 4200}},
			[]string{
				"rack K03 measured dark 4200/- (-)",
				"pdu-phase K02-PB L1 measured ok 2000/2944 (944)",
			}},
		{"a dark rack whose draw is unknown is still dark", oneRow(aOnly),
			fakeReadings{},
			[]string{"rack K03 measured dark -/- (-)"}},
		{"two PDUs a feed pair by position", oneRow(twoEach),
			phases(map[string][]float64{"K04-PA1": {3000}, "K04-PA2": {1000}, "K04-PB1": {2000}, "K04-PB2": {2000}}),
			[]string{
				"pdu-phase K04-PB1 L1 measured ok 5000/5888 (888)",
				"pdu-phase K04-PB2 L1 measured ok 3000/5888 (2888)",
			}},
		{"three feeds share the lost one", oneRow(threeFeeds),
			phases(map[string][]float64{"K05-PA": {3000}, "K05-PB": {4000}, "K05-PC": {1000}}),
			[]string{
				"pdu-phase K05-PB L1 measured ok 5500/5888 (388)",
				"pdu-phase K05-PC L1 measured ok 2500/5888 (3388)",
			}},
		{"three phases onto one", oneRow(mixed),
			phases(map[string][]float64{"K06-PA": {1000, 2000, 1500}, "K06-PB": {1000}}),
			[]string{"pdu-phase K06-PB L1 measured ok 5500/5888 (388)"}},
		{"racks not on the feed are not listed", oneRow(inventory.Rack{ID: "K07", Feeds: []string{"B"}, PDUs: []inventory.PDU{pdu("K07-PB", "B", 3, 32)}}, k01),
			phases(map[string][]float64{"K01-PA": {1, 1, 1}, "K01-PB": {1, 1, 1}, "K07-PB": {1, 1, 1}}),
			[]string{
				"pdu-phase K01-PB L1 measured ok 2/5888 (5886)",
				"pdu-phase K01-PB L2 measured ok 2/5888 (5886)",
				"pdu-phase K01-PB L3 measured ok 2/5888 (5886)",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Input{Site: tt.site, Readings: tt.rd}.FeedOff("A", "")
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := briefs(rep); !slices.Equal(got, tt.want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func TestFeedOffDeclared(t *testing.T) {
	mixed := inventory.Rack{ID: "K02", Feeds: []string{"A", "B"}, PDUs: []inventory.PDU{
		pdu("K02-PA", "A", 3, 32), pdu("K02-PB1", "B", 3, 32), pdu("K02-PB2", "B", 1, 16)}}
	tests := []struct {
		name     string
		declared map[string]float64
		want     []string
	}{
		{"15 kW over three phases", map[string]float64{"K01": 15000, "K02": 10000}, []string{
			// K02: 10 kW over 3 + 1 phases: 2500 each.
			"pdu-phase K02-PB2 L1 declared ok 2500/2944 (444)",
			"pdu-phase K01-PB L1 declared ok 5000/5888 (888)",
			"pdu-phase K01-PB L2 declared ok 5000/5888 (888)",
			"pdu-phase K01-PB L3 declared ok 5000/5888 (888)",
			"pdu-phase K02-PB1 L1 declared ok 2500/5888 (3388)",
			"pdu-phase K02-PB1 L2 declared ok 2500/5888 (3388)",
			"pdu-phase K02-PB1 L3 declared ok 2500/5888 (3388)",
		}},
		{"just over", map[string]float64{"K01": 17667, "K02": 11776}, []string{
			"pdu-phase K01-PB L1 declared exceeded 5889/5888 (-1)",
			"pdu-phase K01-PB L2 declared exceeded 5889/5888 (-1)",
			"pdu-phase K01-PB L3 declared exceeded 5889/5888 (-1)",
			"pdu-phase K02-PB2 L1 declared ok 2944/2944 (0)",
			"pdu-phase K02-PB1 L1 declared ok 2944/5888 (2944)",
			"pdu-phase K02-PB1 L2 declared ok 2944/5888 (2944)",
			"pdu-phase K02-PB1 L3 declared ok 2944/5888 (2944)",
		}},
		{"a rack not declared has none; NaN is unknown", map[string]float64{"K01": nan()}, []string{
			"pdu-phase K01-PB L1 declared unknown -/5888 (-)",
			"pdu-phase K01-PB L2 declared unknown -/5888 (-)",
			"pdu-phase K01-PB L3 declared unknown -/5888 (-)",
			"pdu-phase K02-PB2 L1 declared ok 0/2944 (2944)",
			"pdu-phase K02-PB1 L1 declared ok 0/5888 (5888)",
			"pdu-phase K02-PB1 L2 declared ok 0/5888 (5888)",
			"pdu-phase K02-PB1 L3 declared ok 0/5888 (5888)",
		}},
	}
	site := oneRow(abRack("K01"), mixed)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Input{Site: site, Declared: tt.declared}.FeedOff("A", "")
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := briefs(rep); !slices.Equal(got, tt.want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

// TestFeedOffBoth checks a report on both bases: the order across them,
// the counts, the scenario and the lines for people.
func TestFeedOffBoth(t *testing.T) {
	site := oneRow(abRack("K01"), inventory.Rack{ID: "K03", Feeds: []string{"A"}, PDUs: []inventory.PDU{pdu("K03-PA", "A", 3, 32)}})
	in := Input{
		Site:     site,
		Readings: fakeReadings{total: map[string]float64{"K01-PA": 6000, "K03-PA": 4200}, phaseW: map[string][]float64{"K01-PB": {3000, 4000, 3889}}},
		Declared: map[string]float64{"K01": 15000, "K03": 5000},
	}
	rep, err := in.FeedOff("A", "")
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	want := []string{
		"rack K03 measured dark 4200/- (-)",
		"pdu-phase K01-PB L2 measured exceeded 6000/5888 (-112)",
		"pdu-phase K01-PB L3 measured exceeded 5889/5888 (-1)",
		"pdu-phase K01-PB L1 declared ok 5000/5888 (888)",
		"pdu-phase K01-PB L1 measured ok 5000/5888 (888)",
		"pdu-phase K01-PB L2 declared ok 5000/5888 (888)",
		"pdu-phase K01-PB L3 declared ok 5000/5888 (888)",
	}
	if got := briefs(rep); !slices.Equal(got, want) {
		t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	if want := (Counts{Dark: 1, Exceeded: 2, OK: 4}); rep.Counts != want {
		t.Errorf("got counts %+v, want %+v", rep.Counts, want)
	}
	if want := (Scenario{Kind: ScenarioFeedOff, Feed: "A", Summary: "feed A switched off", Bases: []string{BasisMeasured, BasisDeclared}}); !scenarioEqual(rep.Scenario, want) {
		t.Errorf("got scenario %+v, want %+v", rep.Scenario, want)
	}
	details := map[string]string{
		"K03":         "K03 goes dark if feed A fails: all its PDUs (K03-PA) are on feed A; it draws 4.2 kW, 5.0 kW declared",
		"L3 measured": "K01 K01-PB phase L3: would carry 25.604 A > 25.600 A (80 % of 32 A) if feed A fails; 5.889 kW of 5.888 kW at 230 V",
		"L1 declared": "K01 K01-PB phase L1: would carry 5.0 kW of declared power (15.0 kW declared over 3 phases) of 5.9 kW (80 % of 32 A × 230 V) if feed A fails, 0.9 kW to spare",
	}
	for _, f := range rep.Findings {
		key := f.Rack
		if f.Kind == KindPDUPhase {
			key = "L" + string(rune('0'+f.Phase)) + " " + f.Basis
		}
		if want, ok := details[key]; ok {
			if f.Detail != want {
				t.Errorf("%s: got detail %q, want %q", key, f.Detail, want)
			}
			delete(details, key)
		}
		if f.Kind == KindPDUPhase && f.Basis == BasisMeasured {
			if len(f.Assumptions) != 3 || !strings.Contains(f.Assumptions[0], "K01-PA reports only its total power (6.0 kW): split evenly over its 3 phases") ||
				!strings.Contains(f.Assumptions[1], "K01-PB reports no current per phase: A = W / 230 V") || !strings.Contains(f.Assumptions[2], "K01-PA reports no current per phase") {
				t.Errorf("%s: got assumptions %q, want the split of K01-PA's total", key, f.Assumptions)
			}
		}
	}
	for key := range details {
		t.Errorf("%s: got no such finding, want one", key)
	}
}

func nan() float64 { return math.NaN() }

func scenarioEqual(a, b Scenario) bool {
	return a.Kind == b.Kind && a.Feed == b.Feed && a.Hall == b.Hall && a.Unit == b.Unit && a.Row == b.Row &&
		a.Summary == b.Summary && slices.Equal(a.Bases, b.Bases)
}

func TestFeedOffUnknownDetail(t *testing.T) {
	rep, err := Input{Site: oneRow(abRack("K01")), Readings: phases(map[string][]float64{"K01-PB": {1, 1, 1}})}.FeedOff("A", "")
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	want := "K01 K01-PB phase L1: load unknown if feed A fails: no fresh reading of K01-PA (not counted as 0)"
	if got := rep.Findings[0].Detail; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if rep.Findings[0].Exceeded {
		t.Errorf("got exceeded for an unknown load, want not")
	}
	if want := (Counts{Unknown: 3}); rep.Counts != want {
		t.Errorf("got counts %+v, want %+v", rep.Counts, want)
	}
}

func TestFeedOffHall(t *testing.T) {
	site := &inventory.Site{Name: "test", Halls: []inventory.Hall{
		{ID: "H1", Rows: []inventory.Row{{ID: "H1-R01", Racks: []inventory.Rack{abRack("H1-K01")}}}},
		{ID: "H2", Rows: []inventory.Row{{ID: "H2-R01", Racks: []inventory.Rack{abRack("H2-K01")}}}},
	}}
	in := Input{Site: site, Declared: map[string]float64{}}
	tests := []struct {
		hall      string
		wantRacks []string
		wantErr   string
	}{
		{"", []string{"H1-K01", "H2-K01"}, ""},
		{"H2", []string{"H2-K01"}, ""},
		{"H1", []string{"H1-K01"}, ""},
		{"h2", nil, `whatif: no hall "h2" in the inventory (did you mean "H2" or "H1"?)`},
	}
	for _, tt := range tests {
		t.Run("hall "+tt.hall, func(t *testing.T) {
			rep, err := in.FeedOff("B", tt.hall)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrNotFound) {
					t.Fatalf("got error %v, want %s (ErrNotFound)", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			var racks []string
			for _, f := range rep.Findings {
				if !slices.Contains(racks, f.Rack) {
					racks = append(racks, f.Rack)
				}
				if f.PDU != f.Rack+"-PA" {
					t.Errorf("got a finding on %s, want only the A PDUs taking over from B", f.PDU)
				}
			}
			if !slices.Equal(racks, tt.wantRacks) {
				t.Errorf("got racks %v, want %v", racks, tt.wantRacks)
			}
			if rep.Scenario.Hall != tt.hall {
				t.Errorf("got scenario hall %q, want %q", rep.Scenario.Hall, tt.hall)
			}
		})
	}
}

func TestFeedOffUnknownFeed(t *testing.T) {
	in := Input{Site: oneRow(abRack("K01")), Declared: map[string]float64{}}
	_, err := in.FeedOff("a", "")
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("got error %v, want a *NotFoundError", err)
	}
	if nf.What != "feed" || nf.ID != "a" || !slices.Equal(nf.Suggestions, []string{"A", "B"}) {
		t.Errorf("got %+v, want feed \"a\" suggesting A, B", nf)
	}
}
