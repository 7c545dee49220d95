package placement

import (
	"errors"
	"maps"
	"testing"
)

func TestCheckRefusesOverbooking(t *testing.T) {
	// Two decisions made on the same view each take 600 W of K1's 1 kW.
	old := cluster(2, rack2N("K1", 0, 1000))
	a, b := req(600), req(600)
	a.Name, b.Name = "a", "b"
	da, err := New().Place(old, a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := New().Place(old, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(old, db.Assignments, b); err != nil {
		t.Fatalf("b on the view it was decided on: got %v, want nil", err)
	}
	// a commits first; b must now be refused.
	now := old.Clone()
	if err := Check(now, da.Assignments, a); err != nil {
		t.Fatalf("a: got %v, want nil", err)
	}
	if err := now.Apply(da.Assignments, a); err != nil {
		t.Fatal(err)
	}
	err = Check(now, db.Assignments, b)
	var inf *Infeasible
	if !errors.As(err, &inf) {
		t.Fatalf("b after a: got %v, want *Infeasible", err)
	}
	want := &Infeasible{Placed: 0, Rejected: map[string]int{"rack-power": 1},
		Binding: "K1: the rack would draw 1.20 kW > its budget 1.00 kW (declared 0.60 kW + reserved 0.00 kW + replica 0.60 kW)"}
	if inf.Placed != want.Placed || !maps.Equal(inf.Rejected, want.Rejected) || inf.Binding != want.Binding {
		t.Errorf("got %+v, want %+v", inf, want)
	}
}

// checkCluster is two 2N racks of 10 kW in R1 (cooling 3 × 1 MW, H1 with
// no budget), two servers each, 4 kW placed on each rack.
func checkCluster() *Cluster {
	k1, k2 := rack2N("K1", 0, 10000), rack2N("K2", 0, 10000)
	k1.PlacedWatts, k2.PlacedWatts = 4000, 4000
	return cluster(2, k1, k2)
}

// at is an assignment of replica i on server s of checkCluster's rack k.
func at(i int, k, s string, w float64) Assignment {
	return Assignment{Replica: i, Server: k + "-" + s, Rack: k, Row: "R1", Hall: "H1", Feeds: []string{"A", "B"}, Watts: w}
}

func TestCheckEveryLimit(t *testing.T) {
	cases := []struct {
		name       string
		edit       func(*Cluster, *Request)
		as         []Assignment
		constraint string // "" = fits
		placed     int
	}{
		{"fits", func(*Cluster, *Request) {}, []Assignment{at(0, "K1", "s1", 1000)}, "", 0},
		{"replicas add up in one rack", func(_ *Cluster, r *Request) { r.Replicas = 2; r.Watts = 3500 },
			[]Assignment{at(0, "K1", "s1", 3500), at(1, "K1", "s2", 3500)}, "rack-power", 1},
		{"pin", func(_ *Cluster, r *Request) { r.Hall = "H2" }, []Assignment{at(0, "K1", "s1", 1000)}, "pin", 0},
		{"labels", func(_ *Cluster, r *Request) { r.Labels = map[string]string{"tier": "gpu"} },
			[]Assignment{at(0, "K1", "s1", 1000)}, "labels", 0},
		{"both feeds", func(c *Cluster, r *Request) { r.BothFeeds = true; c.Servers[0].PSUFeeds = []string{"A"} },
			[]Assignment{at(0, "K1", "s1", 1000)}, "both-feeds", 0},
		{"cpu", func(c *Cluster, _ *Request) { c.Servers[0].UsedCPUMillicores = 63500 },
			[]Assignment{at(0, "K1", "s1", 1000)}, "cpu", 0},
		{"gpus", func(_ *Cluster, r *Request) { r.GPUs = 1 }, []Assignment{at(0, "K1", "s1", 1000)}, "gpus", 0},
		{"spread by server", func(_ *Cluster, r *Request) { r.Replicas = 2 },
			[]Assignment{at(0, "K1", "s1", 1000), at(1, "K1", "s1", 1000)}, "spread", 1},
		{"spread by rack", func(_ *Cluster, r *Request) { r.Replicas, r.Spread = 2, DomainRack },
			[]Assignment{at(0, "K1", "s1", 1000), at(1, "K1", "s2", 1000)}, "spread", 1},
		{"feed failover", func(c *Cluster, _ *Request) { c.Racks[0].PDUs[1].BreakerA = 8 },
			[]Assignment{at(0, "K1", "s1", 1000)}, "feed-failover", 0},
		{"cooling", func(c *Cluster, _ *Request) { c.Rows[0].CoolingWatts = []float64{4000, 4000, 4000} },
			[]Assignment{at(0, "K1", "s1", 1000)}, "cooling", 0},
		{"hall", func(c *Cluster, _ *Request) { c.Halls[0].BudgetWatts = 8500 },
			[]Assignment{at(0, "K1", "s1", 1000)}, "hall-budget", 0},
		{"site", func(c *Cluster, _ *Request) { c.SiteBudgetWatts = 8500 },
			[]Assignment{at(0, "K1", "s1", 1000)}, "site-budget", 0},
		{"derived watts with no power model", func(c *Cluster, r *Request) {
			r.Watts, r.Utilisation = 0, 0.5
			c.Servers[0].MaxWatts = 0
		}, []Assignment{at(0, "K1", "s1", 1000)}, "watts", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, r := checkCluster(), req(1000)
			tc.edit(c, &r)
			err := Check(c, tc.as, r)
			if tc.constraint == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var inf *Infeasible
			if !errors.As(err, &inf) {
				t.Fatalf("got %v, want *Infeasible", err)
			}
			if want := map[string]int{tc.constraint: 1}; !maps.Equal(inf.Rejected, want) || inf.Placed != tc.placed {
				t.Errorf("got %v after %d, want %v after %d", inf.Rejected, inf.Placed, want, tc.placed)
			}
		})
	}
}

func TestCheckMalformed(t *testing.T) {
	cases := []struct {
		name string
		edit func(*[]Assignment, *Request)
		want error
	}{
		{"unknown server", func(as *[]Assignment, _ *Request) { (*as)[0].Server = "nope" }, ErrUnknownServer},
		{"wrong rack", func(as *[]Assignment, _ *Request) { (*as)[0].Rack = "K2" }, ErrBadAssignment},
		{"wrong hall", func(as *[]Assignment, _ *Request) { (*as)[0].Hall = "H2" }, ErrBadAssignment},
		{"fewer watts than declared", func(as *[]Assignment, _ *Request) { (*as)[0].Watts = 999 }, ErrBadAssignment},
		{"not a number of watts", func(as *[]Assignment, _ *Request) { (*as)[0].Watts = -1 }, ErrBadAssignment},
		{"fewer replicas", func(_ *[]Assignment, r *Request) { r.Replicas = 2 }, ErrBadAssignment},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			as, r := []Assignment{at(0, "K1", "s1", 1000)}, req(1000)
			tc.edit(&as, &r)
			if err := Check(checkCluster(), as, r); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	var fe *FieldError
	if err := Check(checkCluster(), nil, Request{}); !errors.As(err, &fe) {
		t.Errorf("invalid request: got %v, want *FieldError", err)
	}
	// Watts rounded up (as the state machine stores them) still pass.
	if err := Check(checkCluster(), []Assignment{at(0, "K1", "s1", 1000.5)}, req(1000.2)); err != nil {
		t.Errorf("rounded up: got %v, want nil", err)
	}
}
