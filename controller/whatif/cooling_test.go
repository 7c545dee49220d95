package whatif

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

// coolingSite is one row H1-R01 of racks K01-K03 (PDUs on A and B) cooled
// by three unequal units: C1 30 kW, C2 20 kW, C3 10 kW; a row H1-R02 of
// one rack and one 10 kW unit; a row H1-R03 of one rack and units of 5, 10
// and 30 kW, the largest last.
func coolingSite() *inventory.Site {
	unit := func(id string, kw float64) inventory.CoolingUnit {
		return inventory.CoolingUnit{ID: id, CapacityKW: kw}
	}
	return &inventory.Site{Name: "test", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{
		{ID: "H1-R01", Racks: []inventory.Rack{abRack("K01"), abRack("K02"), abRack("K03")},
			Cooling: []inventory.CoolingUnit{unit("H1-R01-C1", 30), unit("H1-R01-C2", 20), unit("H1-R01-C3", 10)}},
		{ID: "H1-R02", Racks: []inventory.Rack{abRack("K04")}, Cooling: []inventory.CoolingUnit{unit("H1-R02-C1", 10)}},
		{ID: "H1-R03", Racks: []inventory.Rack{abRack("K05")},
			Cooling: []inventory.CoolingUnit{unit("H1-R03-C1", 5), unit("H1-R03-C2", 10), unit("H1-R03-C3", 30)}},
	}}}}
}

// rowLoad is readings that make racks K01-K03 draw w watts in all, each
// PDU a sixth of it.
func rowLoad(w float64) fakeReadings {
	t := map[string]float64{}
	for _, k := range []string{"K01", "K02", "K03"} {
		t[k+"-PA"], t[k+"-PB"] = w/6, w/6
	}
	return fakeReadings{total: t}
}

func TestCoolingOffMeasured(t *testing.T) {
	stale := rowLoad(6000)
	delete(stale.total, "K02-PB")
	// With K01-PA reporting only its phases, the row still adds up.
	byPhase := rowLoad(6000)
	delete(byPhase.total, "K01-PA")
	byPhase.phaseW = map[string][]float64{"K01-PA": {300, 400, 300}}
	tests := []struct {
		name string
		unit string
		rd   fakeReadings
		want string
	}{
		// Without C3: 50 kW left, 20 kW without C1 (the largest left).
		{"fits N+1", "H1-R01-C3", rowLoad(15000), "row H1-R01 measured ok 15000/50000 (35000) n+1 20000"},
		{"at N+1", "H1-R01-C3", rowLoad(20000), "row H1-R01 measured ok 20000/50000 (30000) n+1 20000"},
		{"just over N+1", "H1-R01-C3", rowLoad(20004), "row H1-R01 measured no-redundancy 20004/50000 (29996) n+1 20000"},
		{"at capacity", "H1-R01-C3", rowLoad(50000), "row H1-R01 measured no-redundancy 50000/50000 (0) n+1 20000"},
		{"just over capacity", "H1-R01-C3", rowLoad(50004), "row H1-R01 measured exceeded 50004/50000 (-4) n+1 20000"},
		// Without C1: 30 kW left, 10 kW without C2: the largest left counts,
		// not the smallest, nor the failed one.
		{"the largest unit left", "H1-R01-C1", rowLoad(15000), "row H1-R01 measured no-redundancy 15000/30000 (15000) n+1 10000"},
		// Without C2: 40 kW left, 10 kW without C1.
		{"not the failed unit", "H1-R01-C2", rowLoad(15000), "row H1-R01 measured no-redundancy 15000/40000 (25000) n+1 10000"},
		{"a stale PDU makes the row unknown, not smaller", "H1-R01-C3", stale, "row H1-R01 measured unknown -/50000 (-) n+1 20000"},
		{"phases summed when the total is missing", "H1-R01-C3", byPhase, "row H1-R01 measured ok 6000/50000 (44000) n+1 20000"},
		// Without H1-R03-C1: 40 kW left, 10 kW without C3, the last listed.
		{"the largest unit left, listed last", "H1-R03-C1", fakeReadings{total: map[string]float64{"K05-PA": 6000, "K05-PB": 6000}},
			"row H1-R03 measured no-redundancy 12000/40000 (28000) n+1 10000"},
		{"no unit left", "H1-R02-C1", fakeReadings{total: map[string]float64{"K04-PA": 1, "K04-PB": 0}}, "row H1-R02 measured exceeded 1/0 (-1) n+1 0"},
		{"no unit left, no load", "H1-R02-C1", fakeReadings{total: map[string]float64{"K04-PA": 0, "K04-PB": 0}}, "row H1-R02 measured ok 0/0 (0) n+1 0"},
	}
	site := coolingSite()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Input{Site: site, Readings: tt.rd}.CoolingOff(tt.unit)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := briefs(rep); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCoolingOffRackWithoutPDUs(t *testing.T) {
	site := coolingSite()
	site.Halls[0].Rows[1].Racks = append(site.Halls[0].Rows[1].Racks, inventory.Rack{ID: "K05"})
	rep, err := Input{Site: site, Readings: fakeReadings{total: map[string]float64{"K04-PA": 0, "K04-PB": 0}}}.CoolingOff("H1-R02-C1")
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if got, want := briefs(rep), []string{"row H1-R02 measured unknown -/0 (-) n+1 0"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := rep.Findings[0].Detail, "row H1-R02 without H1-R02-C1: IT load unknown: K05 has no PDUs (not counted as 0); no cooling left, N+1 up to 0.0 kW with no unit left"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCoolingOffBoth(t *testing.T) {
	in := Input{Site: coolingSite(), Readings: rowLoad(25000), Declared: map[string]float64{"K01": 15000, "K02": 15000, "K03": 5000, "K04": 9000}}
	rep, err := in.CoolingOff("H1-R01-C1")
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	// Without C1: 30 kW left (C2 20, C3 10), 10 kW N+1.
	want := []string{
		"row H1-R01 declared exceeded 35000/30000 (-5000) n+1 10000",
		"row H1-R01 measured no-redundancy 25000/30000 (5000) n+1 10000",
	}
	if got := briefs(rep); !slices.Equal(got, want) {
		t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	details := []string{
		"row H1-R01 without H1-R01-C1: declared IT load 35.0 kW > remaining cooling 30.0 kW (H1-R01-C2 20.0 kW, H1-R01-C3 10.0 kW)",
		"row H1-R01 without H1-R01-C1: IT load 25.0 kW fits the remaining cooling 30.0 kW (H1-R01-C2 20.0 kW, H1-R01-C3 10.0 kW) but not N+1: 25.0 kW > 10.0 kW without H1-R01-C2",
	}
	for i, f := range rep.Findings {
		if f.Detail != details[i] {
			t.Errorf("finding %d: got detail %q, want %q", i, f.Detail, details[i])
		}
	}
	if want := (Counts{Exceeded: 1, NoRedundancy: 1}); rep.Counts != want {
		t.Errorf("got counts %+v, want %+v", rep.Counts, want)
	}
	wantScenario := Scenario{Kind: ScenarioCoolingOff, Unit: "H1-R01-C1", Hall: "H1", Row: "H1-R01",
		Summary: "cooling unit H1-R01-C1 (30.0 kW) of row H1-R01 fails", Bases: []string{BasisMeasured, BasisDeclared}}
	if !scenarioEqual(rep.Scenario, wantScenario) {
		t.Errorf("got scenario %+v, want %+v", rep.Scenario, wantScenario)
	}

	rep, err = Input{Site: coolingSite(), Declared: map[string]float64{"K01": 3000}}.CoolingOff("H1-R01-C3")
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if got, want := rep.Findings[0].Detail, "row H1-R01 without H1-R01-C3: declared IT load 3.0 kW fits N+1 (20.0 kW without H1-R01-C1; remaining cooling 50.0 kW (H1-R01-C1 30.0 kW, H1-R01-C2 20.0 kW)), 17.0 kW to spare"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCoolingOffDeclaredNotALoad(t *testing.T) {
	rep, err := Input{Site: coolingSite(), Declared: map[string]float64{"K01": 3000, "K02": nan()}}.CoolingOff("H1-R01-C3")
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if got, want := briefs(rep), []string{"row H1-R01 declared unknown -/50000 (-) n+1 20000"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := rep.Findings[0].Detail, "row H1-R01 without H1-R01-C3: declared IT load unknown: K02's declared power is not a load (NaN) (not counted as 0); remaining cooling 50.0 kW (H1-R01-C1 30.0 kW, H1-R01-C2 20.0 kW), N+1 up to 20.0 kW without H1-R01-C1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCoolingOffUnknownUnit(t *testing.T) {
	tests := []struct {
		unit string
		want []string
	}{
		{"h1-r01-c2", []string{"H1-R01-C2", "H1-R01-C1", "H1-R01-C3"}},
		{"H1-R01-C4", []string{"H1-R01-C1", "H1-R01-C2", "H1-R01-C3"}},
		{"R02-C1", []string{"H1-R02-C1"}},
		{"H1-R02-C", []string{"H1-R02-C1", "H1-R01-C1", "H1-R01-C2"}},
		{"pump", nil},
	}
	for _, tt := range tests {
		t.Run(tt.unit, func(t *testing.T) {
			rep, err := Input{Site: coolingSite(), Declared: map[string]float64{}}.CoolingOff(tt.unit)
			var nf *NotFoundError
			if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) || rep != nil {
				t.Fatalf("got %v, %v, want a *NotFoundError", rep, err)
			}
			if nf.What != "cooling unit" || nf.ID != tt.unit || !slices.Equal(nf.Suggestions, tt.want) {
				t.Errorf("got %+v, want cooling unit %q suggesting %q", nf, tt.unit, tt.want)
			}
		})
	}
	_, err := Input{Site: coolingSite()}.CoolingOff("h1-r02-c1")
	if want := `whatif: no cooling unit "h1-r02-c1" in the inventory (did you mean "H1-R02-C1" or "H1-R01-C1" or "H1-R03-C1"?)`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
