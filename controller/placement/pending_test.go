package placement

import (
	"strings"
	"testing"
)

// TestPendingCountsOnTopOfThePeak: declared power placed too recently for
// the measured peak to hold it counts on top of the peak, so that a rack
// whose measured draw is not all declared is not filled to its budget by
// declarations that do not draw yet.
func TestPendingCountsOnTopOfThePeak(t *testing.T) {
	tests := []struct {
		name                  string
		peak, placed, pending float64
		known                 bool
		fits, doesNot         float64 // a replica of fits W fits, of doesNot W does not
	}{
		{"peak, nothing declared", 10000, 0, 0, true, 5000, 5001},
		{"recent placements on top of the peak", 10000, 3000, 3000, true, 2000, 2001},
		{"placements the peak holds already", 10000, 3000, 0, true, 5000, 5001},
		{"declared above peak plus pending", 4000, 12000, 1000, true, 3000, 3001},
		{"no peak known: declared only", 0, 3000, 3000, false, 12000, 12001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := rack2N("K1", 0, 15000)
			k.PeakWatts, k.PeakKnown, k.PlacedWatts, k.PendingWatts = tt.peak, tt.known, tt.placed, tt.pending
			c := cluster(2, k)
			if _, inf := place(t, c, req(tt.fits)); inf != nil {
				t.Errorf("%v W: got %v, want it to fit", tt.fits, inf)
			}
			_, inf := place(t, c, req(tt.doesNot))
			if inf == nil || inf.Rejected["rack-power"] == 0 {
				t.Fatalf("%v W: got %v, want refused by rack-power", tt.doesNot, inf)
			}
			if tt.pending > 0 && tt.known && !strings.Contains(inf.Binding, "placed since") {
				t.Errorf("binding: got %q, want it to name the power placed since the peak", inf.Binding)
			}
		})
	}
}

// TestPendingAndThisCallsReplicasInFailover: a rack's replicas of this
// call and its recent placements count on top of the measured phase peaks
// when a feed fails.
func TestPendingInFailover(t *testing.T) {
	k := rack2N("K1", 0, 100000)
	// 16 A PDUs: 2944 W a phase. Measured 2000 W a phase on B, none on A.
	k.PDUs = []PDU{pdu3("K1-PA", "A", 16), pdu3("K1-PB", "B", 16)}
	k.PDUs[0].PhasePeakWatts = []float64{0, 0, 0}
	k.PDUs[1].PhasePeakWatts = []float64{2000, 2000, 2000}
	k.PeakWatts, k.PeakKnown = 6000, true
	// 1500 W pending: 500 W a phase on top of the measured 2000 W.
	k.PlacedWatts, k.PendingWatts = 1500, 1500
	c := cluster(2, k)
	// Room per phase: 2944 − 2500 = 444 W, × 3 phases = 1332 W.
	if _, inf := place(t, c, req(1332)); inf != nil {
		t.Errorf("1332 W: got %v, want it to fit", inf)
	}
	if _, inf := place(t, c, req(1333)); inf == nil || inf.Rejected["feed-failover"] == 0 {
		t.Errorf("1333 W: got %v, want refused by feed-failover", inf)
	}
}
