package sim

import (
	"math"
	"testing"
)

// TestServerSharesFollowTheirModel: a rack's load is shared out among its
// servers as each one's model draws at the rack's utilisation (idle plus
// that share of its span), not evenly, and the shares sum to the load.
func TestServerSharesFollowTheirModel(t *testing.T) {
	rs := &rackServers{idle: []float64{100, 200}, maxW: []float64{500, 300}}
	// Idle 300 W, span 500 W: 400 W is a utilisation of 0.2, so the first
	// draws 100+0.2×400 = 180 W and the second 200+0.2×100 = 220 W.
	got := rs.shares(400)
	want := []float64{180, 220}
	sum := 0.0
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Errorf("server %d: %v W, want %v W (of %v)", i, got[i], want[i], got)
		}
		sum += got[i]
	}
	if math.Abs(sum-400) > 1e-9 {
		t.Errorf("shares %v sum to %v W, want the rack's 400 W", got, sum)
	}
}
