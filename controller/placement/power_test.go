package placement

import (
	"maps"
	"testing"
)

// limitCase is a limit tested just under and just over: the request of
// under watts must be placed, the one of over watts must be rejected with
// exactly rejected and, when binding is set, that binding.
type limitCase struct {
	name        string
	cluster     func() *Cluster
	under, over float64
	rejected    map[string]int
	binding     string
}

func runLimits(t *testing.T, cases []limitCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if d, inf := place(t, tc.cluster(), req(tc.under)); inf != nil {
				t.Fatalf("%v W: got %v, want placed", tc.under, inf)
			} else if len(d.Assignments) != 1 {
				t.Fatalf("%v W: got %d assignments, want 1", tc.under, len(d.Assignments))
			}
			_, inf := place(t, tc.cluster(), req(tc.over))
			if inf == nil {
				t.Fatalf("%v W: got placed, want rejected by %v", tc.over, tc.rejected)
			}
			if !maps.Equal(inf.Rejected, tc.rejected) {
				t.Errorf("%v W: rejected: got %v, want %v", tc.over, inf.Rejected, tc.rejected)
			}
			if tc.binding != "" && inf.Binding != tc.binding {
				t.Errorf("%v W: binding:\n got %q\nwant %q", tc.over, inf.Binding, tc.binding)
			}
		})
	}
}

// budgetRack is a 10 kW rack with 6 kW placed and 1 kW reserved.
func budgetRack(peak float64, known, stale bool) func() *Cluster {
	return func() *Cluster {
		k := rack2N("K1", 0, 10000)
		k.PlacedWatts, k.ReservedWatts = 6000, 1000
		k.PeakWatts, k.PeakKnown, k.Stale = peak, known, stale
		return cluster(2, k)
	}
}

func TestRackPower(t *testing.T) {
	runLimits(t, []limitCase{
		{name: "peak above placed: 10 − max(7, 6) − 1 = 2 kW", cluster: budgetRack(7000, true, false),
			under: 1999, over: 2001, rejected: map[string]int{"rack-power": 2},
			binding: "K1: the rack would draw 10.001 kW > its budget 10.000 kW (max(peak 7.00 kW, declared 6.00 kW) + reserved 1.00 kW + replica 2.00 kW)"},
		{name: "peak below placed: 10 − max(5, 6) − 1 = 3 kW", cluster: budgetRack(5000, true, false),
			under: 2999, over: 3001, rejected: map[string]int{"rack-power": 2}},
		{name: "stale, peak known: it still counts", cluster: budgetRack(7000, true, true),
			under: 1999, over: 2001, rejected: map[string]int{"rack-power": 2},
			binding: "K1: the rack would draw 10.001 kW > its budget 10.000 kW (max(24 h peak 7.00 kW, declared 6.00 kW); live telemetry stale + reserved 1.00 kW + replica 2.00 kW)"},
	})
}

// TestRackPowerUnknownDraw: a stale rack with no peak recorded has an
// unknown draw; counting only its declared power would count the rest as
// free, so it takes nothing at all.
func TestRackPowerUnknownDraw(t *testing.T) {
	c := budgetRack(9000, false, true)()
	_, inf := place(t, c, req(1))
	if inf == nil || inf.Rejected["rack-power"] != 2 {
		t.Fatalf("1 W: got %v, want refused by rack-power on both servers", inf)
	}
	if want := "K1: its draw is unknown (live telemetry stale and no peak recorded), so it takes nothing"; inf.Binding != want {
		t.Errorf("binding: got %q, want %q", inf.Binding, want)
	}
	// Not stale (no telemetry overlay yet, or fresh): declared counts.
	c = budgetRack(9000, false, false)()
	if _, inf := place(t, c, req(2999)); inf != nil {
		t.Errorf("fresh, no peak, 2999 W: got %v, want placed", inf)
	}
}

// failoverRack is a 2N rack of 100 kW budget (never binding) fed by the
// given PDUs, with placed watts.
func failoverRack(placed, reserved float64, pdus ...PDU) func() *Cluster {
	return func() *Cluster {
		k := rack2N("K1", 0, 100000)
		k.PDUs, k.PlacedWatts, k.ReservedWatts = pdus, placed, reserved
		return cluster(1, k)
	}
}

func withPeaks(p PDU, peaks ...float64) PDU {
	p.PhasePeakWatts = peaks
	return p
}

func TestFeedFailover(t *testing.T) {
	// Three-phase 16 A at 230 V: 230 × 16 × 0.8 = 2944 W per phase.
	a16, b16 := pdu3("K1-PA", "A", 16), pdu3("K1-PB", "B", 16)
	// One-phase 32 A: 5888 W.
	a1, b1 := PDU{ID: "K1-PA", Feed: "A", Phases: 1, VoltageV: 230, BreakerA: 32}, PDU{ID: "K1-PB", Feed: "B", Phases: 1, VoltageV: 230, BreakerA: 32}
	one := map[string]int{"feed-failover": 1}
	runLimits(t, []limitCase{
		{name: "even: 3 kW placed is 1 kW a phase, room 3 × 1944 W", cluster: failoverRack(3000, 0, a16, b16),
			under: 5831, over: 5833, rejected: one},
		{name: "reservations split too: 3 × (2944 − 1000 − 200)", cluster: failoverRack(3000, 600, a16, b16),
			under: 5231, over: 5233, rejected: one},
		{name: "measured phases: B's L1 1200 W + A's 1800 W / 3 = 1800 W, room 3 × 1144 W",
			cluster: failoverRack(3000, 0, withPeaks(a16, 600, 700, 500), withPeaks(b16, 1200, 900, 800)),
			under:   3431, over: 3433, rejected: one,
			binding: "K1: phase L1 of feed B (PDU K1-PB) would carry 2.9443 kW > 2.9440 kW (80 % of 16 A × 230 V) if feed A fails"},
		{name: "measured below declared: the declared share counts",
			cluster: failoverRack(6000, 0, withPeaks(a16, 100, 100, 100), withPeaks(b16, 100, 100, 100)),
			under:   2831, over: 2833, rejected: one},
		{name: "one phase: 5888 − 3000", cluster: failoverRack(3000, 0, a1, b1),
			under: 2887, over: 2889, rejected: one,
			binding: "K1: phase L1 of feed B (PDU K1-PB) would carry 5.889 kW > 5.888 kW (80 % of 32 A × 230 V) if feed A fails"},
		{name: "the smaller feed binds when the larger fails: A's 3 × (2944 − 1000)",
			cluster: failoverRack(3000, 0, a16, pdu3("K1-PB", "B", 32)),
			under:   5831, over: 5833, rejected: one,
			binding: "K1: phase L1 of feed A (PDU K1-PA) would carry 2.9443 kW > 2.9440 kW (80 % of 16 A × 230 V) if feed B fails"},
		{name: "two one-phase PDUs a feed share the load: 2 × (5888 − 1000)",
			cluster: failoverRack(2000, 0, a1, b1, PDU{ID: "K1-PA2", Feed: "A", Phases: 1, VoltageV: 230, BreakerA: 32},
				PDU{ID: "K1-PB2", Feed: "B", Phases: 1, VoltageV: 230, BreakerA: 32}),
			under: 9775, over: 9777, rejected: one},
	})
}

func TestFeedFailoverPeakCounts(t *testing.T) {
	// A known rack peak of 4.5 kW is split over B's phases: 1500 W each.
	c := failoverRack(3000, 0, pdu3("K1-PA", "A", 16), pdu3("K1-PB", "B", 16))
	runLimits(t, []limitCase{{name: "peak", cluster: func() *Cluster {
		k := c()
		k.Racks[0].PeakWatts, k.Racks[0].PeakKnown = 4500, true
		return k
	}, under: 4331, over: 4333, rejected: map[string]int{"feed-failover": 1}}})
}

func TestFeedFailoverNoPDU(t *testing.T) {
	c := failoverRack(0, 0, pdu3("K1-PA", "A", 63))()
	_, inf := place(t, c, req(1))
	if inf == nil || inf.Rejected["feed-failover"] != 1 {
		t.Fatalf("got %v, want rejected by feed-failover", inf)
	}
	want := "K1: feed B has no PDU to carry the rack if feed A fails"
	if inf.Binding != want {
		t.Errorf("binding: got %q, want %q", inf.Binding, want)
	}
}

func TestSingleFeedHasNoFailover(t *testing.T) {
	c := failoverRack(0, 0, PDU{ID: "K1-PA", Feed: "A", Phases: 1, VoltageV: 230, BreakerA: 1})()
	c.Racks[0].Feeds = []string{"A"}
	if _, inf := place(t, c, req(5000)); inf != nil {
		t.Fatalf("got %v, want placed: a one-feed rack has no failover limit", inf)
	}
}

// coolingRow is a row cooled by units of 30, 20 and 10 kW (N+1: 60 − 30 =
// 30 kW) holding K1 (12 kW placed) and K2 (8 kW placed, 2 kW reserved, a
// 12 kW budget so that it is full).
func coolingRow() *Cluster {
	k1, k2 := rack2N("K1", 0, 30000), rack2N("K2", 0, 12000)
	k1.PlacedWatts = 12000
	k2.PlacedWatts, k2.ReservedWatts = 8000, 2000
	c := cluster(1, k1, k2)
	c.Rows[0].CoolingWatts = []float64{10000, 30000, 20000}
	return c
}

func TestCoolingNPlus1(t *testing.T) {
	runLimits(t, []limitCase{{name: "unequal units: 30 kW − 22 kW", cluster: coolingRow,
		under: 7999, over: 8001, rejected: map[string]int{"cooling": 1, "rack-power": 1},
		binding: "K1: row R1 would carry 30.001 kW > its N+1 cooling 30.000 kW (3 units, 60.00 kW less the largest 30.00 kW)"}})
}

func TestCoolingCountsEarlierReplicas(t *testing.T) {
	// 8 kW of cooling left: one replica of 4.5 kW fits, a second does not.
	r := req(4500)
	r.Replicas = 2
	_, inf := place(t, coolingRow(), r)
	if inf == nil || inf.Placed != 1 || !maps.Equal(inf.Rejected, map[string]int{"cooling": 1, "rack-power": 1}) {
		t.Fatalf("got %v, want the 2nd replica rejected by cooling", inf)
	}
}

func TestCoolingOneUnit(t *testing.T) {
	c := coolingRow()
	c.Rows[0].CoolingWatts = []float64{100000}
	if _, inf := place(t, c, req(1)); inf == nil || inf.Rejected["cooling"] != 2 {
		t.Fatalf("got %v, want rejected by cooling: one unit leaves no N+1 capacity", inf)
	}
}

// hallRacks holds K1 (12 kW placed, 14 kW peak) and K2 (6 kW placed, 2 kW
// reserved): 22 kW of load in hall H1.
func hallRacks() *Cluster {
	k1, k2 := rack2N("K1", 0, 30000), rack2N("K2", 0, 30000)
	k1.PlacedWatts, k1.PeakWatts, k1.PeakKnown = 12000, 14000, true
	k2.PlacedWatts, k2.ReservedWatts = 6000, 2000
	return cluster(1, k1, k2)
}

func TestHallAndSiteBudget(t *testing.T) {
	runLimits(t, []limitCase{
		{name: "hall: 25 − 22 kW", cluster: func() *Cluster {
			c := hallRacks()
			c.Halls[0].BudgetWatts = 25000
			return c
		}, under: 2999, over: 3001, rejected: map[string]int{"hall-budget": 2},
			binding: "K1: hall H1 would carry 25.001 kW > its budget 25.000 kW"},
		{name: "site: 25 − 22 kW", cluster: func() *Cluster {
			c := hallRacks()
			c.SiteBudgetWatts = 25000
			return c
		}, under: 2999, over: 3001, rejected: map[string]int{"site-budget": 2},
			binding: "K1: the site would carry 25.001 kW > its budget 25.000 kW"},
		{name: "no hall or site budget: the racks bound it", cluster: hallRacks,
			under: 21999, over: 22001, rejected: map[string]int{"rack-power": 2}},
	})
}

func TestSiteCountsEveryHall(t *testing.T) {
	// A second hall's 10 kW counts against the site, not against H1.
	c := hallRacks()
	c.SiteBudgetWatts = 35000
	c.Halls = append(c.Halls, Hall{ID: "H2", BudgetWatts: 20000})
	c.Rows = append(c.Rows, Row{ID: "R2", Hall: 1, CoolingWatts: []float64{1e6, 1e6}})
	k3 := rack2N("K3", 1, 20000)
	k3.PlacedWatts = 10000
	c.Racks = append(c.Racks, k3)
	c.Servers = append(c.Servers, server("K3-s1", 2))
	if _, inf := place(t, c, req(2999)); inf != nil {
		t.Fatalf("2999 W: got %v, want placed", inf)
	}
	_, inf := place(t, c, req(3001))
	if inf == nil || !maps.Equal(inf.Rejected, map[string]int{"site-budget": 3}) {
		t.Fatalf("3001 W: got %v, want rejected by site-budget on all 3 servers", inf)
	}
}
