package sim

import (
	"math"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
)

// TestServerFaultsMovePower checks what the PDUs of a rack measure against
// what its servers' PSUs draw, healthy and with each fault: the PSUs of a
// feed sum to its PDU's load, except by the power a miswired or failed PSU
// moves between the feeds.
func TestServerFaultsMovePower(t *testing.T) {
	at := time.Date(2025, 3, 4, 14, 0, 0, 0, time.UTC)
	k := &inventory.Reference(1).Halls[0].Rows[0].Racks[0]
	psuSums := func(rs *rackServers) [2]float64 {
		var out [2]float64
		for i := range k.Servers {
			for j, w := range rs.psuWatts(i) {
				out[rs.psuFeed[i][j]] += w
			}
		}
		return out
	}
	tests := []struct {
		name  string
		fault func(rs *rackServers)
		// moved returns the watts the fault moves from feed B to A, given
		// server 0's healthy PSU draws.
		moved func(healthy []float64) float64
		psu1  float64 // server 0's PSU 2 reads this share of its healthy draw
	}{
		{"healthy", func(*rackServers) {}, func([]float64) float64 { return 0 }, 1},
		{"miswired", func(rs *rackServers) { rs.miswired[0] = true }, func(h []float64) float64 { return h[1] }, 1},
		{"failed PSU", func(rs *rackServers) { rs.failed[0] = 1 }, func(h []float64) float64 { return h[1] }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rack := NewRack(NewLoadModel(0.6*k.BudgetWatts(), 1), func() time.Time { return at })
			rs := newRackServers(rack, k)
			rack.setAdjust(rs.feedDelta)
			healthy := rs.psuWatts(0)
			tt.fault(rs)
			sums := psuSums(rs)
			moved := tt.moved(healthy)
			if got := rs.psuWatts(0)[1]; math.Abs(got-tt.psu1*healthy[1]) > 1e-6 {
				t.Errorf("got PSU 2 of %s at %.1f W, want %.1f W", k.Servers[0].ID, got, tt.psu1*healthy[1])
			}
			wantA, wantB := sums[FeedA]+moved, sums[FeedB]-moved
			if tt.name == "failed PSU" {
				// The failed PSU's share went to PSU 1, on A, which the PSU sums count already.
				wantA, wantB = sums[FeedA], sums[FeedB]
			}
			if got := rack.FeedLoad(FeedA); math.Abs(got-wantA) > 1e-6 {
				t.Errorf("got feed A %.1f W, want %.1f W", got, wantA)
			}
			if got := rack.FeedLoad(FeedB); math.Abs(got-wantB) > 1e-6 {
				t.Errorf("got feed B %.1f W, want %.1f W", got, wantB)
			}
			if moved == 0 && tt.name != "healthy" {
				t.Fatalf("server %s draws nothing on PSU 2: the test shows nothing", k.Servers[0].ID)
			}
		})
	}
}
