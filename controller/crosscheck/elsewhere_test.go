package crosscheck

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

// strayRack is a two-feed rack id, with PDUs id-PA and id-PB, of servers
// each with a PSU on A and one on B.
func strayRack(id string, servers ...string) inventory.Rack {
	k := inventory.Rack{ID: id, Feeds: []string{"A", "B"},
		PDUs: []inventory.PDU{{ID: id + "-PA", Feed: "A"}, {ID: id + "-PB", Feed: "B"}}}
	for _, s := range servers {
		k.Servers = append(k.Servers, inventory.Server{ID: s, PSUFeeds: []string{"A", "B"}})
	}
	return k
}

// straySite has racks K1 (S1–S3), K2 (S4, S5) and K3 (no servers) in one
// row, and K4 (S6) in another.
func straySite() *inventory.Site {
	return &inventory.Site{Name: "dc", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{
		{ID: "R1", Racks: []inventory.Rack{strayRack("K1", "S1", "S2", "S3"), strayRack("K2", "S4", "S5"), strayRack("K3")}},
		{ID: "R2", Racks: []inventory.Rack{strayRack("K4", "S6")}},
	}}}}
}

// stray is a finding of Elsewhere as the tests compare it.
func stray(f Finding) string {
	s := fmt.Sprintf("%s %s of %s from %s PSUs %v %.0f W, missing %.0f, extra %.0f", f.Kind, f.Server, f.Rack, f.From, f.PSUs, f.Watts, f.Missing, f.Extra)
	if len(f.Alike) > 0 {
		s += fmt.Sprintf(" alike %v", f.Alike)
	}
	if len(f.Also) > 0 {
		s += fmt.Sprintf(" also %v", f.Also)
	}
	return s
}

// TestElsewhere checks that a server drawing from a rack it is not
// inventoried in is named, with the rack it draws from and the numbers,
// when two racks' sums show it; that what the sums cannot tell apart is
// listed, not guessed; and that nothing is named when the sums do not
// fit one server and one rack, or the readings are unknown.
func TestElsewhere(t *testing.T) {
	tol := Tolerance{Watts: 50, Share: 0.02} // 58 W at 400 W
	healthy := func() map[string]Server {
		return map[string]Server{"S1": server("S1", 300, 300), "S2": server("S2", 200, 200), "S3": server("S3", 100, 100),
			"S4": server("S4", 250, 250), "S5": server("S5", 150, 150), "S6": server("S6", 500, 500)}
	}
	// What the PDUs measure with every server where the inventory says.
	base := func() map[string]float64 {
		return map[string]float64{"K1-PA": 600, "K1-PB": 600, "K2-PA": 400, "K2-PB": 400, "K3-PA": 0, "K3-PB": 0, "K4-PA": 500, "K4-PB": 500}
	}
	type edit = func(map[string]Server, map[string]float64)
	tests := []struct {
		name     string
		edit     edit
		want     []string
		unplaced []string
		complete bool
	}{
		{"healthy", nil, nil, nil, true},
		{"healthy, within tolerance", func(_ map[string]Server, p map[string]float64) { p["K1-PA"], p["K2-PB"] = 560, 440 }, nil, nil, true},
		{"a server plugged into another rack's PDUs", func(_ map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"] = 400, 400, 600, 600
		}, []string{"draws-elsewhere S2 of K1 from K2 PSUs [1 2] 400 W, missing 400, extra 400"}, nil, true},
		{"both its PSUs on one feed of the other rack", func(_ map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"], p["K2-PA"] = 400, 400, 800
		}, []string{"draws-elsewhere S2 of K1 from K2 PSUs [1 2] 400 W, missing 400, extra 400"}, nil, true},
		{"one PSU in the other rack", func(_ map[string]Server, p map[string]float64) { p["K1-PB"], p["K2-PB"] = 400, 600 },
			[]string{"draws-elsewhere S2 of K1 from K2 PSUs [2] 200 W, missing 200, extra 200"}, nil, true},
		{"in a rack the inventory says is empty", func(_ map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"], p["K3-PA"], p["K3-PB"] = 400, 400, 210, 190
		}, []string{"draws-elsewhere S2 of K1 from K3 PSUs [1 2] 400 W, missing 400, extra 400"}, nil, true},
		{"in another row", func(_ map[string]Server, p map[string]float64) {
			p["K2-PA"], p["K2-PB"], p["K4-PA"], p["K4-PB"] = 250, 250, 650, 650
		}, []string{"draws-elsewhere S5 of K2 from K4 PSUs [1 2] 300 W, missing 300, extra 300"}, nil, true},
		{"servers that draw alike: the first named, the others listed", func(s map[string]Server, p map[string]float64) {
			s["S3"] = server("S3", 210, 210)
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"] = 510, 510, 610, 610
		}, []string{"draws-elsewhere S2 of K1 from K2 PSUs [1 2] 400 W, missing 400, extra 420 alike [S3]"}, nil, true},
		{"alike in its rack, not in the other: not listed", func(s map[string]Server, p map[string]float64) {
			s["S3"] = server("S3", 250, 250)
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"] = 525, 525, 580, 580
		}, []string{"draws-elsewhere S2 of K1 from K2 PSUs [1 2] 400 W, missing 450, extra 360"}, nil, true},
		{"two racks show it: the first named, the other listed", func(_ map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"], p["K3-PA"], p["K3-PB"] = 400, 400, 600, 600, 200, 200
		}, []string{"draws-elsewhere S2 of K1 from K2 PSUs [1 2] 400 W, missing 400, extra 400 also [K3]"}, nil, true},
		{"missing, and no rack shows it", func(_ map[string]Server, p map[string]float64) { p["K1-PA"], p["K1-PB"] = 400, 400 },
			nil, []string{"S2"}, true},
		{"missing, and the rack that may show it is not judged", func(s map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"] = 400, 400, 600, 600
			delete(s, "S4")
		}, nil, []string{"S2"}, false},
		{"its PDU unknown: that rack is not judged", func(_ map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"], p["K3-PA"], p["K3-PB"] = 400, 400, 200, 200
			delete(p, "K3-PB")
		}, nil, []string{"S2"}, false},
		{"the server's rack not judged: nothing said", func(s map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"] = 400, 400, 600, 600
			x := s["S1"]
			x.Fresh = false
			s["S1"] = x
		}, nil, nil, false},
		{"the other rack shows a different amount", func(_ map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"] = 400, 400, 700, 700
		}, nil, []string{"S2"}, true},
		{"the other rack within its tolerance: it receives nothing", func(_ map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"] = 500, 500, 450, 450 // S3's 100 W could fit K2's +50 W
		}, nil, []string{"S3"}, true},
		{"the other rack short as well: it receives nothing", func(_ map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"] = 400, 400, 330, 330
		}, nil, []string{"S2"}, true},
		{"two servers gone: no one server fits", func(s map[string]Server, p map[string]float64) {
			s["S1"] = server("S1", 400, 400)
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"] = 400, 400, 700, 700
		}, nil, nil, true},
		{"a server of the short rack whose other feed does not agree", func(_ map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"] = 400, 700, 600, 400
		}, nil, nil, true},
		{"miswired within its rack: not elsewhere", func(_ map[string]Server, p map[string]float64) {
			p["K1-PA"], p["K1-PB"] = 800, 400
		}, nil, nil, true},
		{"a draw within the tolerance is not seen", func(s map[string]Server, p map[string]float64) {
			s["S3"] = server("S3", 20, 20)
			p["K1-PA"], p["K1-PB"], p["K2-PA"], p["K2-PB"] = 500, 500, 420, 420
		}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			servers, watts := healthy(), base()
			if tt.edit != nil {
				tt.edit(servers, watts)
			}
			res := Elsewhere(straySite(), pdus(watts), servers, tol)
			var got []string
			for _, f := range res.Findings {
				got = append(got, stray(f))
				if !strings.Contains(f.String(), f.Server) || !strings.Contains(f.String(), "rack "+f.From) {
					t.Errorf("finding %q names not its server and rack", f.String())
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n\t%q\nwant\n\t%q", got, tt.want)
			}
			if got := slices.Sorted(maps.Keys(res.Unplaced)); !slices.Equal(got, tt.unplaced) && len(got)+len(tt.unplaced) > 0 {
				t.Errorf("got unplaced %v, want %v", got, tt.unplaced)
			}
			if res.Complete != tt.complete {
				t.Errorf("got complete %v, want %v", res.Complete, tt.complete)
			}
		})
	}
}

// TestElsewhereJudged checks which racks Elsewhere judges: those whose
// PDUs and servers all have readings, with servers or none.
func TestElsewhereJudged(t *testing.T) {
	servers := map[string]Server{"S1": server("S1", 300, 300), "S2": server("S2", 200, 200), "S3": server("S3", 100, 100),
		"S4": server("S4", 250, 250), "S5": server("S5", 150, 150)} // no S6: K4 not judged
	watts := map[string]float64{"K1-PA": 600, "K1-PB": 600, "K2-PA": 400, "K3-PA": 0, "K3-PB": 0, "K4-PA": 500, "K4-PB": 500}
	res := Elsewhere(straySite(), pdus(watts), servers, Tolerance{Watts: 50})
	if got, want := slices.Sorted(maps.Keys(res.Judged)), []string{"K1", "K3"}; !slices.Equal(got, want) {
		t.Errorf("got judged %v, want %v (K2 lacks a PDU's reading, K4 a server's)", got, want)
	}
	if res.Complete {
		t.Errorf("got complete, want not: K2 and K4 are not judged")
	}
	// A rack without PDUs has nothing to judge, and leaves the site complete.
	site := straySite()
	site.Halls[0].Rows[1].Racks = append(site.Halls[0].Rows[1].Racks, inventory.Rack{ID: "K5"})
	servers["S6"] = server("S6", 500, 500)
	watts["K2-PB"] = 400
	if res := Elsewhere(site, pdus(watts), servers, Tolerance{Watts: 50}); !res.Complete || res.Judged["K5"] {
		t.Errorf("got complete %v, K5 judged %v; want complete, K5 not judged", res.Complete, res.Judged["K5"])
	}
}

// TestElsewhereString checks that the finding names the server, both
// racks and the numbers, and says what the sums cannot tell.
func TestElsewhereString(t *testing.T) {
	f := Finding{Kind: DrawsElsewhere, Rack: "K1", Server: "S2", PSUs: []int{1, 2}, Watts: 400, From: "K2", Missing: 395, Extra: 410, Limit: 62,
		Alike: []string{"S3"}, Also: []string{"K3"}}
	want := "server S2, inventoried in rack K1, appears to draw from rack K2: its PSUs 1, 2 draw 400 W; rack K1's PDUs measure 395 W less than its servers' PSUs say, rack K2's 410 W more than its own explain (tolerance 62 W a feed); or S3 of rack K1, which draw alike: the sums cannot tell them apart; or from rack K3, whose PDUs show it as well"
	if got := f.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	f.Alike = []string{"S3", "S4", "S5", "S6", "S7", "S8", "S9"}
	if got := f.String(); !strings.Contains(got, "or S3, S4, S5, S6, S7 and 2 more of rack K1") {
		t.Errorf("got %q, want five alike servers named and how many more", got)
	}
	f.PSUs, f.Alike, f.Also = []int{2}, nil, nil
	if got := f.String(); !strings.Contains(got, "its PSU 2 draws 400 W") || strings.Contains(got, "alike") || strings.Contains(got, "as well") {
		t.Errorf("got %q, want one PSU and no alternatives", got)
	}
}
