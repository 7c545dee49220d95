package crosscheck

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// coarse is server with each PSU's reading in steps of res watts (nil:
// not stated).
func coarse(id string, a, b float64, res *float64) Server {
	s := server(id, a, b)
	for i := range s.PSUs {
		s.PSUs[i].Resolution = res
	}
	return s
}

// TestResolutionAllowance checks that a feed's limit allows half the step
// of each reading compared, beside the site's tolerance: a disagreement
// the readings cannot tell from rounding is no finding, one beyond it is,
// and the finding says how much of its limit is the readings'.
func TestResolutionAllowance(t *testing.T) {
	// Ten servers of one model at one load: every PSU draws 100 W, read in
	// 8 W steps, so each feed's PSUs may sum 10 × 4 = 40 W off.
	ids := []string{"S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9"}
	servers := func(res *float64) map[string]Server {
		m := map[string]Server{}
		for _, id := range ids {
			m[id] = coarse(id, 100, 100, res)
		}
		return m
	}
	tests := []struct {
		name       string
		res        *float64 // each PSU's step
		tol        Tolerance
		pduA, pduB float64
		want       []string
		limit      float64 // of the finding, if any
		steps      float64 // its Resolution
	}{
		{"off by less than the steps: no finding", w(8), Tolerance{Watts: 10}, 1045, 1000, nil, 0, 0},
		{"off by the steps and the tolerance exactly: no finding", w(8), Tolerance{Watts: 10}, 1050, 1000, nil, 0, 0},
		{"off by more: found, with the steps in the limit", w(8), Tolerance{Watts: 10}, 1051, 1000,
			[]string{"unexplained K1 feed A K1-PA +51"}, 50, 40},
		{"less than the PSUs say, beyond the steps", w(8), Tolerance{Watts: 10}, 1000, 949,
			[]string{"unexplained K1 feed B K1-PB -51"}, 50, 40},
		{"steps not stated: the site's default step", nil, Tolerance{Watts: 10, PSUResolution: 8}, 1045, 1000, nil, 0, 0},
		{"steps not stated and no default: exact", nil, Tolerance{Watts: 10}, 1045, 1000,
			[]string{"unexplained K1 feed A K1-PA +45"}, 10, 0},
		{"a stated step beats the default", w(2), Tolerance{Watts: 10, PSUResolution: 8}, 1045, 1000,
			[]string{"unexplained K1 feed A K1-PA +45"}, 20, 10},
		{"a step that is no step: the default", w(0), Tolerance{Watts: 10, PSUResolution: 8}, 1045, 1000, nil, 0, 0},
		{"an infinite step: the default", w(math.Inf(1)), Tolerance{Watts: 10, PSUResolution: 8}, 1051, 1000,
			[]string{"unexplained K1 feed A K1-PA +51"}, 50, 40},
		{"the PDU's step too", w(8), Tolerance{Watts: 10, PDUResolution: 10}, 1055, 1000, nil, 0, 0},
		{"beyond the PDU's step too", w(8), Tolerance{Watts: 10, PDUResolution: 10}, 1056, 1000,
			[]string{"unexplained K1 feed A K1-PA +56"}, 55, 45},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Check(rack(ids...), pdus(map[string]float64{"K1-PA": tt.pduA, "K1-PB": tt.pduB}), servers(tt.res), tt.tol)
			var got []string
			for _, f := range res.Findings {
				got = append(got, found(f))
				if f.Limit != tt.limit || f.Resolution != tt.steps {
					t.Errorf("got limit %v W of which %v W the steps, want %v W of which %v W", f.Limit, f.Resolution, tt.limit, tt.steps)
				}
				if tt.steps > 0 && !strings.Contains(f.String(), "for the readings' resolution") {
					t.Errorf("got %q, want the resolution's allowance stated", f.String())
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMiswiredAsAPair checks that a miswired PSU is judged on both feeds
// together: the excess of one feed and the deficit of the other, their
// mean beyond the larger limit and apart by no more than both limits, is
// a miswiring, though one of them alone be within its feed's limit; an
// excess with no deficit, or one that the deficit does not match, is not.
func TestMiswiredAsAPair(t *testing.T) {
	// Four servers at 100 W a PSU and an idle one at 32 W, all read in 8 W
	// steps: each feed's limit is 10 W + 5 × 4 W = 30 W, the pair's 60 W.
	// The PSU sums are 432 W a feed.
	ids := []string{"S0", "S1", "S2", "S3", "S4"}
	servers := map[string]Server{}
	for _, id := range ids[:4] {
		servers[id] = coarse(id, 100, 100, w(8))
	}
	servers["S4"] = coarse("S4", 32, 32, w(8))
	tol := Tolerance{Watts: 10}
	for _, tt := range []struct {
		name       string
		pduA, pduB float64
		want       []string
	}{
		{"100 W moved, seen on both feeds", 532, 332, []string{"miswired K1 feed B S0 PSU 2 100 alike [S1 S2 S3]"}},
		{"32 W moved, seen as 28 W on A (within its limit) and 34 W on B", 460, 398, []string{"miswired K1 feed B S4 PSU 2 32"}},
		{"29 W on each: within the limit", 461, 403, nil},
		{"100 W on A, 55 W on B: apart by more than one limit, less than both", 532, 377, []string{"miswired K1 feed B S0 PSU 2 100 alike [S1 S2 S3]"}},
		{"an excess with no deficit", 532, 432, []string{"unexplained K1 feed A K1-PA +100"}},
		{"an excess and a deficit apart by more than both limits", 592, 392, []string{"unexplained K1 feed A K1-PA +160", "unexplained K1 feed B K1-PB -40"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range Check(rack(ids...), pdus(map[string]float64{"K1-PA": tt.pduA, "K1-PB": tt.pduB}), servers, tol).Findings {
				got = append(got, found(f))
				if f.Kind == Miswired && (f.Limit != 30 || f.Resolution != 20) {
					t.Errorf("got limit %v W of which %v W the steps, want 30 W of which 20 W", f.Limit, f.Resolution)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestResolutionString checks the Unexplained text states the allowance
// for the readings' resolution, and says nothing of it when there is none.
func TestResolutionString(t *testing.T) {
	f := Finding{Kind: Unexplained, Rack: "K1", Feed: "A", PDU: "K1-PA", Watts: -36, PDUWatts: 3120, PSUWatts: 3156, Limit: 101, Resolution: 44}
	want := "rack K1 feed A: PDU K1-PA measures 3120 W, less than its servers' PSUs say they draw (3156 W, off by -36 W, tolerance 101 W, of which 44 W for the readings' resolution)"
	if got := f.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	f.Resolution = 0
	if got := f.String(); strings.Contains(got, "resolution") {
		t.Errorf("got %q, want no resolution stated", got)
	}
}
