package placement

import "testing"

// spentRack is K1 of 15 kW with placed watts declared, and two servers of
// 4 GPUs (4,000 thousandths): s1 with 3,000 of them in use, s2 with all.
func spentRack(placed float64) *Cluster {
	c := cluster(2, rack2N("K1", 0, 15000))
	c.Racks[0].PlacedWatts = placed
	for i := range c.Servers {
		c.Servers[i].GPUs = 4000
	}
	c.Servers[0].UsedGPUs, c.Servers[1].UsedGPUs = 3000, 4000
	return c
}

func TestSpentGPUsScore(t *testing.T) {
	// GPUs: 7,000 of 8,000 in use (0.875). Power: placed of the 15 kW its
	// replicas may draw (nothing is reserved).
	cases := []struct {
		name   string
		placed float64
		s      int
		gpus   int // the server's GPUs, when not 4,000
		want   float64
	}{
		{"spent, in a rack short of GPUs before power", 5000, 1, 0, 1},
		{"a GPU free", 5000, 0, 0, 0},
		{"spent, in a rack short of power first", 14000, 1, 0, 0},
		{"spent, GPU and power shares equal", 13125, 1, 0, 1},
		{"no GPUs: gpuKeep's", 5000, 0, -1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := spentRack(tc.placed)
			if tc.gpus < 0 {
				c.Servers[tc.s].GPUs, c.Servers[tc.s].UsedGPUs = 0, 0
				c.Servers[1].UsedGPUs = 4000 // the rack still short of GPUs
			}
			r := req(100)
			r.Strategy = StrategySpread
			st, err := New().start(c, &r)
			if err != nil {
				t.Fatal(err)
			}
			if got := (spentGPUs{}).score(st, tc.s); got != tc.want {
				t.Errorf("score: got %v, want %v", got, tc.want)
			}
			if most := (spentGPUs{}).most(st, 0); most < tc.want {
				t.Errorf("most: got %v, below the score %v", most, tc.want)
			}
		})
	}
}

func TestSpentGPUsBound(t *testing.T) {
	r := req(100)
	for name, tc := range map[string]struct {
		c    *Cluster
		want bool
	}{
		"short of GPUs first":  {spentRack(5000), true},
		"short of power first": {spentRack(14000), false},
		"no GPUs":              {cluster(2, rack2N("K1", 0, 15000)), false},
		"reservations over the budget": {func() *Cluster {
			c := spentRack(0)
			c.Racks[0].ReservedWatts = 16000
			return c
		}(), false},
	} {
		st, err := New().start(tc.c, &r)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.gpuBound(0); got != tc.want {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
		if most := (spentGPUs{}).most(st, 0); most != map[bool]float64{true: 1, false: 0}[tc.want] {
			t.Errorf("%s: most %v, want 1 exactly when bound", name, most)
		}
	}
}

func TestSpentGPUsWants(t *testing.T) {
	r := req(100)
	if (spentGPUs{}).wants(&r) {
		t.Errorf("binpack: got wanted, want not")
	}
	r.Strategy = StrategySpread
	if !(spentGPUs{}).wants(&r) {
		t.Errorf("spread, no GPU: got not wanted, want wanted")
	}
	r.GPUs = 1000
	if (spentGPUs{}).wants(&r) {
		t.Errorf("spread, a GPU: got wanted, want not")
	}
}

func TestSpentGPUsPicksTheServer(t *testing.T) {
	// Under spread a replica asking for no GPU takes s2, whose GPUs are
	// spent, rather than s1, the lower ID, whose last GPU it would leave
	// without CPU and memory to run on; under binpack nothing tells them
	// apart and s1 is the first of equals.
	c := spentRack(5000)
	r := req(100)
	r.Strategy = StrategySpread
	d, inf := place(t, c, r)
	if inf != nil || d.Assignments[0].Server != "K1-s2" {
		t.Fatalf("spread: got %v %v, want K1-s2", serversOf(d), inf)
	}
	r.Strategy = StrategyBinpack
	d, inf = place(t, c, r)
	if inf != nil || d.Assignments[0].Server != "K1-s1" {
		t.Fatalf("binpack: got %v %v, want K1-s1", serversOf(d), inf)
	}
	// Short of power first, the rack keeps it for GPU replicas: s1.
	c = spentRack(14000)
	r.Strategy = StrategySpread
	d, inf = place(t, c, r)
	if inf != nil || d.Assignments[0].Server != "K1-s1" {
		t.Fatalf("short of power: got %v %v, want K1-s1", serversOf(d), inf)
	}
}
