package placement

import "testing"

// TestPendingOnTheBusiestSurvivingPhase: when a feed fails, the recent
// placements' and this call's watts go on top of each surviving phase's
// measured peak, not only on top of the rack's average phase: a phase
// measured above the average is bound by its own peak plus the pending
// share.
func TestPendingOnTheBusiestSurvivingPhase(t *testing.T) {
	k := rack2N("K1", 0, 100000)
	// 16 A PDUs: 2944 W a phase. Measured on B: 2000 W on L1, 1000 W on
	// L2 and L3 (a peak of 4000 W, an average phase of 1333 W); none on A.
	k.PDUs = []PDU{pdu3("K1-PA", "A", 16), pdu3("K1-PB", "B", 16)}
	k.PDUs[0].PhasePeakWatts = []float64{0, 0, 0}
	k.PDUs[1].PhasePeakWatts = []float64{2000, 1000, 1000}
	k.PeakWatts, k.PeakKnown = 4000, true
	// 1500 W pending: 500 W a phase, on top of L1's 2000 W. The rack's
	// average, (4000 + 1500 + w) / 3, stays below L1's 2500 + w/3.
	k.PlacedWatts, k.PendingWatts = 1500, 1500
	c := cluster(2, k)
	// Room on L1: 2944 − 2500 = 444 W a phase, × 3 phases = 1332 W.
	if _, inf := place(t, c, req(1332)); inf != nil {
		t.Errorf("1332 W: got %v, want it to fit", inf)
	}
	if _, inf := place(t, c, req(1333)); inf == nil || inf.Rejected["feed-failover"] == 0 {
		t.Errorf("1333 W: got %v, want refused by feed-failover (L1's peak and the pending share)", inf)
	}
}
