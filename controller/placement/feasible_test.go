package placement

import (
	"maps"
	"slices"
	"testing"
)

// twoHalls is H1/R1 (K1, K2) and H2/R2 (K3), two servers a rack; K2 and
// K3 carry tier=gpu.
func twoHalls() *Cluster {
	c := cluster(2, rack2N("K1", 0, 15000), rack2N("K2", 0, 15000), rack2N("K3", 1, 15000))
	c.Halls = append(c.Halls, Hall{ID: "H2"})
	c.Rows = append(c.Rows, Row{ID: "R2", Hall: 1, CoolingWatts: []float64{1e6, 1e6}})
	c.Racks[1].Labels = map[string]string{"tier": "gpu"}
	c.Racks[2].Labels = map[string]string{"tier": "gpu", "zone": "x"}
	return c
}

func TestFilters(t *testing.T) {
	cases := []struct {
		name     string
		edit     func(*Request)
		racks    []string // where it may go, nil: nowhere
		rejected map[string]int
		binding  string
	}{
		{name: "no constraint: binpack ties go to the lowest rack ID", edit: func(*Request) {}, racks: []string{"K1"}},
		{name: "pin hall", edit: func(r *Request) { r.Hall = "H2" }, racks: []string{"K3"}},
		{name: "pin row", edit: func(r *Request) { r.Row = "R1"; r.Labels = map[string]string{"tier": "gpu"} }, racks: []string{"K2"}},
		{name: "pin an unknown hall", edit: func(r *Request) { r.Hall = "H9" },
			rejected: map[string]int{"pin": 6}, binding: "K1 is in hall H1; the request is pinned to hall H9"},
		{name: "pin a row of another hall", edit: func(r *Request) { r.Hall = "H1"; r.Row = "R2" },
			rejected: map[string]int{"pin": 6}, binding: "K1 is in row R1; the request is pinned to row R2"},
		{name: "labels", edit: func(r *Request) { r.Labels = map[string]string{"tier": "gpu", "zone": "x"} }, racks: []string{"K3"}},
		{name: "labels nowhere", edit: func(r *Request) { r.Labels = map[string]string{"tier": "cpu"} },
			rejected: map[string]int{"labels": 6}, binding: "K1 has no label tier (the request requires tier=cpu)"},
		{name: "labels with another value", edit: func(r *Request) { r.Labels = map[string]string{"tier": "cpu"}; r.Hall = "H2" },
			rejected: map[string]int{"pin": 4, "labels": 2}, binding: "K3 has tier=gpu; the request requires tier=cpu"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := req(100)
			tc.edit(&r)
			d, inf := place(t, twoHalls(), r)
			if tc.racks != nil {
				if inf != nil || !slices.Contains(tc.racks, d.Assignments[0].Rack) {
					t.Fatalf("got %v %v, want a rack of %v", racksOf(d), inf, tc.racks)
				}
				return
			}
			if inf == nil {
				t.Fatalf("got %v, want rejected", racksOf(d))
			}
			if !maps.Equal(inf.Rejected, tc.rejected) || inf.Binding != tc.binding {
				t.Errorf("got %v %q, want %v %q", inf.Rejected, inf.Binding, tc.rejected, tc.binding)
			}
		})
	}
}

func TestBothFeeds(t *testing.T) {
	// K1 has one feed; K2 is 2N, its s1 has both PSUs on A, its s2 is A/B.
	c := cluster(2, rack2N("K1", 0, 15000), rack2N("K2", 0, 15000))
	c.Racks[0].Feeds, c.Racks[0].PDUs = []string{"A"}, c.Racks[0].PDUs[:1]
	c.Servers[2].PSUFeeds = []string{"A", "A"}
	r := req(100)
	d, inf := place(t, c, r)
	if inf != nil || d.Assignments[0].Server != "K1-s1" {
		t.Fatalf("without both feeds: got %v %v, want K1-s1", serversOf(d), inf)
	}
	r.BothFeeds = true
	d, inf = place(t, c, r)
	if inf != nil || d.Assignments[0].Server != "K2-s2" {
		t.Fatalf("with both feeds: got %v %v, want K2-s2", serversOf(d), inf)
	}
	if got := d.Assignments[0].Feeds; !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("feeds: got %v, want [A B]", got)
	}
	c.Servers[3].PSUFeeds = []string{"B"}
	_, inf = place(t, c, r)
	want := map[string]int{"both-feeds": 4}
	if inf == nil || !maps.Equal(inf.Rejected, want) {
		t.Fatalf("no server on both feeds: got %v, want rejected %v", inf, want)
	}
	if b := "K2-s1: PSUs on feeds [A A], rack K2 has feeds [A B]; the request needs PSUs on both"; inf.Binding != b {
		t.Errorf("binding: got %q, want %q", inf.Binding, b)
	}
}

func TestResources(t *testing.T) {
	// The request needs 1000 millicores, 1024 MiB and 1 GPU; each case
	// leaves one unit too few of one of them, then frees that unit.
	cases := []struct {
		name    string
		used    func(*Server) *int64
		binding string
	}{
		{"cpu", func(s *Server) *int64 { s.UsedCPUMillicores = 3001; return &s.UsedCPUMillicores },
			"K1-s1: the replica needs 1000 millicores, 999 of 4000 are free"},
		{"memory", func(s *Server) *int64 { s.UsedMemoryMiB = 3073; return &s.UsedMemoryMiB },
			"K1-s1: the replica needs 1024 MiB, 1023 of 4096 are free"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cluster(1, rack2N("K1", 0, 15000))
			c.Servers[0].CPUMillicores, c.Servers[0].MemoryMiB = 4000, 4096
			used := tc.used(&c.Servers[0])
			_, inf := place(t, c, req(100))
			if inf == nil || !maps.Equal(inf.Rejected, map[string]int{tc.name: 1}) || inf.Binding != tc.binding {
				t.Fatalf("got %v, want rejected by %s: %q", inf, tc.name, tc.binding)
			}
			*used--
			if _, inf := place(t, c, req(100)); inf != nil {
				t.Fatalf("with one more free: got %v, want placed", inf)
			}
		})
	}
	t.Run("gpus", func(t *testing.T) {
		c := cluster(1, rack2N("K1", 0, 15000))
		c.Servers[0].GPUs, c.Servers[0].UsedGPUs = 2, 2
		r := req(100)
		r.GPUs = 1
		_, inf := place(t, c, r)
		if b := "K1-s1: the replica needs 1 GPUs, 0 of 2 are free"; inf == nil || inf.Binding != b || inf.Rejected["gpus"] != 1 {
			t.Fatalf("got %v, want rejected by gpus: %q", inf, b)
		}
		c.Servers[0].UsedGPUs = 1
		if _, inf := place(t, c, r); inf != nil {
			t.Fatalf("with one GPU free: got %v, want placed", inf)
		}
	})
}

// spreadCluster has four racks, two in row R1 of hall H1 (K1, K2) and two
// in row R2 of hall H2 (K3, K4), three servers a rack. The
// servers' first PSU alternates between feeds A and B.
func spreadCluster() *Cluster {
	c := cluster(3, rack2N("K1", 0, 15000), rack2N("K2", 0, 15000), rack2N("K3", 1, 15000), rack2N("K4", 1, 15000))
	c.Halls = append(c.Halls, Hall{ID: "H2"})
	c.Rows = append(c.Rows, Row{ID: "R2", Hall: 1, CoolingWatts: []float64{1e6, 1e6}})
	for i := range c.Servers {
		if i%2 == 1 {
			c.Servers[i].PSUFeeds = []string{"B", "A"}
		}
	}
	return c
}

// tally counts a decision's replicas by key.
func tally(d Decision, key func(Assignment) string) map[string]int {
	out := map[string]int{}
	for _, a := range d.Assignments {
		out[key(a)]++
	}
	return out
}

func TestSpreadCeil(t *testing.T) {
	byRack := func(a Assignment) string { return a.Rack }
	cases := []struct {
		name     string
		spread   Domain
		replicas int
		hall     string
		key      func(Assignment) string
		want     map[string]int
	}{
		{"server by default: 3 on 3 servers", "", 3, "", func(a Assignment) string { return a.Server },
			map[string]int{"K1-s1": 1, "K1-s2": 1, "K1-s3": 1}},
		{"rack: ceil(3/4) = 1", DomainRack, 3, "", byRack, map[string]int{"K1": 1, "K2": 1, "K3": 1}},
		{"rack: ceil(6/4) = 2", DomainRack, 6, "", byRack, map[string]int{"K1": 2, "K2": 2, "K3": 2}},
		{"rack: ceil(9/4) = 3", DomainRack, 9, "", byRack, map[string]int{"K1": 3, "K2": 3, "K3": 3}},
		{"row: ceil(3/2) = 2", DomainRow, 3, "", func(a Assignment) string { return a.Row }, map[string]int{"R1": 2, "R2": 1}},
		{"hall: ceil(4/2) = 2", DomainHall, 4, "", func(a Assignment) string { return a.Hall }, map[string]int{"H1": 2, "H2": 2}},
		{"only eligible racks count: hall H1 has 2, ceil(4/2) = 2", DomainRack, 4, "H1", byRack, map[string]int{"K1": 2, "K2": 2}},
		{"feed: ceil(3/2) = 2", DomainFeed, 3, "", func(a Assignment) string { return a.Feeds[0] }, map[string]int{"A": 2, "B": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := req(100)
			r.Replicas, r.Spread, r.Hall = tc.replicas, tc.spread, tc.hall
			d, inf := place(t, spreadCluster(), r)
			if inf != nil {
				t.Fatalf("got %v, want placed", inf)
			}
			if got := tally(d, tc.key); !maps.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSpreadLimitRejects(t *testing.T) {
	// Two racks of one server with CPU for two replicas each.
	c := cluster(1, rack2N("K1", 0, 15000), rack2N("K2", 0, 15000))
	for i := range c.Servers {
		c.Servers[i].CPUMillicores = 2000
	}
	r := req(100)
	r.Replicas, r.Spread = 3, DomainRack
	d, inf := place(t, c, r)
	if got, want := tally(d, func(a Assignment) string { return a.Rack }), map[string]int{"K1": 2, "K2": 1}; inf != nil || !maps.Equal(got, want) {
		t.Fatalf("ceil(3/2) = 2: got %v %v, want %v", got, inf, want)
	}
	r.Replicas = 5 // ceil(5/2) = 3 a rack, but CPU for 2
	_, inf = place(t, c, r)
	if inf == nil || inf.Placed != 4 || !maps.Equal(inf.Rejected, map[string]int{"cpu": 2}) {
		t.Fatalf("got %v, want the 5th rejected by cpu", inf)
	}
	// K3 has servers with the capacity, so it is eligible and the limit is
	// ceil(3/3) = 1; but its budget is too small for a replica.
	c = cluster(1, rack2N("K1", 0, 15000), rack2N("K2", 0, 15000), rack2N("K3", 0, 50))
	r.Replicas = 3
	_, inf = place(t, c, r)
	if inf == nil || inf.Placed != 2 || !maps.Equal(inf.Rejected, map[string]int{"spread": 2, "rack-power": 1}) {
		t.Fatalf("got %v, want the 3rd rejected by spread on K1 and K2, by rack-power on K3", inf)
	}
	want := "K3: the rack would draw 0.10 kW > its budget 0.05 kW (declared 0.00 kW + reserved 0.00 kW + replica 0.10 kW)"
	if inf.Binding != want {
		t.Errorf("binding: got %q, want %q", inf.Binding, want)
	}
	// Pinned to one row, spread by row: ceil(2/1) = 2 replicas in it.
	c.Racks[2].BudgetWatts = 15000
	r.Row, r.Replicas, r.Spread = "R1", 2, DomainRow
	if d, inf := place(t, c, r); inf != nil || len(d.Assignments) != 2 {
		t.Fatalf("one row: got %v, want both placed", inf)
	}
}

func TestSpreadBinding(t *testing.T) {
	// Spread by server over one server: ceil(2/1) = 2, it takes both.
	c := cluster(1, rack2N("K1", 0, 15000))
	r := req(100)
	r.Replicas = 2
	if d, inf := place(t, c, r); inf != nil || len(d.Assignments) != 2 {
		t.Fatalf("got %v, want 2 on the only server", inf)
	}
	// Two servers, one too small: eligible by capacity is 1, so the limit
	// is 2 and both go to the big one; with two big ones, 1 each.
	c = cluster(2, rack2N("K1", 0, 15000))
	r.Replicas = 3
	c.Servers[1].CPUMillicores = 500
	if d, inf := place(t, c, r); inf != nil || !maps.Equal(tally(d, func(a Assignment) string { return a.Server }), map[string]int{"K1-s1": 3}) {
		t.Fatalf("got %v %v, want all 3 on K1-s1", serversOf(d), inf)
	}
	c.Servers[1].CPUMillicores = 64000
	c.Servers[1].UsedCPUMillicores = 63500 // eligible, but full
	_, inf := place(t, c, r)
	if inf == nil || !maps.Equal(inf.Rejected, map[string]int{"spread": 1, "cpu": 1}) {
		t.Fatalf("got %v, want the 3rd rejected by spread and cpu", inf)
	}
	if want := "K1-s1: its server already holds 2 of the 3 replicas; spread by server allows at most 2 per server"; inf.Binding != want {
		t.Errorf("binding: got %q, want %q", inf.Binding, want)
	}
}
