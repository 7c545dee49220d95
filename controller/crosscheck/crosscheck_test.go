package crosscheck

import (
	"fmt"
	"slices"
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

func w(v float64) *float64 { return &v }

// rack is a two-feed rack of servers each with a PSU on A and one on B.
func rack(servers ...string) *inventory.Rack {
	k := &inventory.Rack{ID: "K1", Feeds: []string{"A", "B"},
		PDUs: []inventory.PDU{{ID: "K1-PA", Feed: "A"}, {ID: "K1-PB", Feed: "B"}}}
	for _, s := range servers {
		k.Servers = append(k.Servers, inventory.Server{ID: s, PSUFeeds: []string{"A", "B"}})
	}
	return k
}

// server is a fresh server whose PSUs draw a and b watts.
func server(id string, a, b float64) Server {
	return Server{ID: id, Rack: "K1", Fresh: true, Watts: w(a + b),
		PSUs: []PSU{{Index: 1, Feed: "A", Watts: w(a)}, {Index: 2, Feed: "B", Watts: w(b)}}}
}

func pdus(m map[string]float64) PDUWatts {
	return func(id string) (float64, bool) { v, ok := m[id]; return v, ok }
}

// found is a finding as the tests compare it.
func found(f Finding) string {
	s := fmt.Sprintf("%s %s feed %s", f.Kind, f.Rack, f.Feed)
	switch f.Kind {
	case Unexplained:
		s += fmt.Sprintf(" %s %+.0f", f.PDU, f.Watts)
	default:
		s += fmt.Sprintf(" %s PSU %d %.0f", f.Server, f.PSU, f.Watts)
	}
	if len(f.Alike) > 0 {
		s += fmt.Sprintf(" alike %v", f.Alike)
	}
	return s
}

func TestCheck(t *testing.T) {
	tol := Tolerance{Watts: 50, Share: 0.02} // 62 W at 600 W
	healthy := func() map[string]Server {
		return map[string]Server{"S1": server("S1", 300, 300), "S2": server("S2", 200, 200), "S3": server("S3", 100, 100)}
	}
	with := func(edit func(map[string]Server)) map[string]Server { m := healthy(); edit(m); return m }
	tests := []struct {
		name    string
		k       *inventory.Rack
		servers map[string]Server
		pdus    map[string]float64
		want    []string
	}{
		{"healthy, within tolerance", rack("S1", "S2", "S3"), healthy(), map[string]float64{"K1-PA": 640, "K1-PB": 560}, nil},
		{"a miswired server", rack("S1", "S2", "S3"), healthy(), map[string]float64{"K1-PA": 810, "K1-PB": 395},
			[]string{"miswired K1 feed B S2 PSU 2 200"}},
		{"two miswired servers", rack("S1", "S2", "S3"), healthy(), map[string]float64{"K1-PA": 1000, "K1-PB": 200},
			[]string{"miswired K1 feed B S1 PSU 2 300", "miswired K1 feed B S3 PSU 2 100"}},
		{"a miswired server among alike ones", rack("S1", "S2", "S3", "S4"),
			with(func(m map[string]Server) { m["S4"] = server("S4", 210, 210) }), map[string]float64{"K1-PA": 1010, "K1-PB": 610},
			[]string{"miswired K1 feed B S4 PSU 2 210 alike [S2]"}},
		{"a PSU that draws nothing", rack("S1", "S2", "S3"), with(func(m map[string]Server) { m["S3"] = server("S3", 200, 0) }),
			map[string]float64{"K1-PA": 700, "K1-PB": 500}, []string{"psu-no-draw K1 feed B S3 PSU 2 200"}},
		{"a server that is off loses nothing", rack("S1", "S2", "S3"), with(func(m map[string]Server) { m["S3"] = server("S3", 0, 0) }),
			map[string]float64{"K1-PA": 500, "K1-PB": 500}, nil},
		{"load nothing explains", rack("S1", "S2", "S3"), healthy(), map[string]float64{"K1-PA": 1000, "K1-PB": 600},
			[]string{"unexplained K1 feed A K1-PA +400"}},
		{"PSUs say more than the PDU measures", rack("S1", "S2", "S3"), healthy(), map[string]float64{"K1-PA": 600, "K1-PB": 300},
			[]string{"unexplained K1 feed B K1-PB -300"}},
		{"an unknown PDU: its feed is not judged", rack("S1", "S2", "S3"), healthy(), map[string]float64{"K1-PA": 1000},
			[]string{"unexplained K1 feed A K1-PA +400"}},
		{"a stale server: the rack is not judged", rack("S1", "S2", "S3"),
			with(func(m map[string]Server) { s := m["S1"]; s.Fresh = false; m["S1"] = s }), map[string]float64{"K1-PA": 1000, "K1-PB": 600}, nil},
		{"a server without its readings: the rack is not judged", rack("S1", "S2", "S3"),
			with(func(m map[string]Server) { delete(m, "S2") }), map[string]float64{"K1-PA": 1000, "K1-PB": 600}, nil},
		{"an unknown PSU: the rack is not judged", rack("S1", "S2", "S3"),
			with(func(m map[string]Server) { m["S1"].PSUs[1].Watts = nil }), map[string]float64{"K1-PA": 1000, "K1-PB": 600}, nil},
		{"a rack without servers", rack(), nil, map[string]float64{"K1-PA": 1000, "K1-PB": 600}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range Check(tt.k, pdus(tt.pdus), tt.servers, tol).Findings {
				got = append(got, found(f))
				if f.String() == "" {
					t.Errorf("finding %+v says nothing", f)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFindingString checks that each kind of finding names what is wrong
// with its numbers.
func TestFindingString(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{Kind: Miswired, Rack: "K1", Feed: "B", Server: "S2", PSU: 2, Watts: 200, PDUWatts: 395, PSUWatts: 600, Alike: []string{"S4"}},
			"server S2 draws from one feed: its PSU 2, inventoried on feed B, draws 200 W that feed B's PDUs do not measure (PDUs 395 W, PSUs 600 W); or S4, whose PSUs on feed B draw alike"},
		{Finding{Kind: NoDraw, Rack: "K1", Feed: "B", Server: "S3", PSU: 2, Watts: 200},
			"server S3 draws 200 W but its PSU 2 (feed B) draws nothing: the server has no redundancy"},
		{Finding{Kind: Unexplained, Rack: "K1", Feed: "A", PDU: "K1-PA", Watts: 400, PDUWatts: 1000, PSUWatts: 600, Limit: 70},
			"rack K1 feed A: PDU K1-PA measures 1000 W, more than its servers' PSUs explain (600 W, off by +400 W, tolerance 70 W)"},
		{Finding{Kind: Unexplained, Rack: "K1", Feed: "B", PDU: "K1-PB", Watts: -300, PDUWatts: 300, PSUWatts: 600, Limit: 56},
			"rack K1 feed B: PDU K1-PB measures 300 W, less than its servers' PSUs say they draw (600 W, off by -300 W, tolerance 56 W)"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
