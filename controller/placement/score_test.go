package placement

import (
	"testing"
)

// balanceRack is K1: a 15 kW budget, 3 kW of it reserved (12 kW replicas
// may draw), 3 kW placed, and one server of 10,000 millicores (2,000 used),
// a lot of memory and no GPU.
func balanceRack() *Cluster {
	k := rack2N("K1", 0, 15000)
	k.ReservedWatts, k.PlacedWatts = 3000, 3000
	c := cluster(1, k)
	c.Servers[0].CPUMillicores, c.Servers[0].UsedCPUMillicores = 10000, 2000
	c.Servers[0].MemoryMiB = 1 << 20
	return c
}

func TestBalanceScore(t *testing.T) {
	// A replica of 1 kW and 1,000 millicores (req): power share after it
	// (3 + 1) / 12 = 1/3, CPU share (2,000 + 1,000) / 10,000 = 0.3.
	cases := []struct {
		name string
		edit func(*Cluster, *Request)
		want float64
	}{
		{"in step: 1 − |1/3 − 0.3|", func(*Cluster, *Request) {}, 1 - (1.0/3 - 0.3)},
		{"power ahead: 9 kW placed, 1 − |10/12 − 0.3|", func(c *Cluster, _ *Request) { c.Racks[0].PlacedWatts = 9000 },
			1 - (10.0/12 - 0.3)},
		{"memory the scarcest: (2,048 + 1,024) / 4,096 = 0.75", func(c *Cluster, _ *Request) {
			c.Servers[0].MemoryMiB, c.Servers[0].UsedMemoryMiB = 4096, 2048
		}, 1 - (0.75 - 1.0/3)},
		{"GPUs count when the rack has some: (2 + 1) / 4 = 0.75", func(c *Cluster, r *Request) {
			c.Servers[0].GPUs, c.Servers[0].UsedGPUs = 4, 2
			r.GPUs = 1
		}, 1 - (0.75 - 1.0/3)},
		{"the scarcest over the rack's servers: (2,000 + 1,000) / 20,000", func(c *Cluster, _ *Request) {
			c.Servers = append(c.Servers, c.Servers[0])
			c.Servers[1].ID, c.Servers[1].UsedCPUMillicores = "K1-s2", 0
		}, 1 - (1.0/3 - 0.15)},
		{"a peak above what is placed counts: 6 kW, 1 − |7/12 − 0.3|", func(c *Cluster, _ *Request) {
			c.Racks[0].PeakWatts, c.Racks[0].PeakKnown = 6000, true
		}, 1 - (7.0/12 - 0.3)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, r := balanceRack(), req(1000)
			tc.edit(c, &r)
			if err := c.Index(); err != nil {
				t.Fatal(err)
			}
			d, err := New().Place(c, r, Options{Explain: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Candidates[0].Scores["balance"]; !near(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBalanceCountsTheCallsReplicas(t *testing.T) {
	// Two replicas of 1,000 millicores: the second sees the first's CPU
	// and watts, (2,000 + 2 × 1,000) / 10,000 and (3 + 2) / 12.
	c := balanceRack()
	r := req(1000)
	r.Replicas = 2
	st, err := New().start(c, &r)
	if err != nil {
		t.Fatal(err)
	}
	st.hold(0, 1000)
	if got, want := (balance{}).score(st, 0, 1000), 1-(5.0/12-0.4); !near(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestBalanceDecides(t *testing.T) {
	// K1 is fuller (binpack prefers it by 6 kW / 15 kW = 0.4) but its
	// power runs far ahead of its CPU; K2's are in step. 3 × the balance
	// gap outweighs the fit.
	c := cluster(1, rack2N("K1", 0, 15000), rack2N("K2", 0, 15000))
	c.Racks[0].PlacedWatts, c.Racks[1].PlacedWatts = 9000, 3000
	c.Servers[0].UsedCPUMillicores, c.Servers[1].UsedCPUMillicores = 6400, 12800
	d, inf := place(t, c, req(100))
	if inf != nil || d.Assignments[0].Rack != "K2" {
		t.Fatalf("got %v %v, want K2", racksOf(d), inf)
	}
	// The other way round: K1's CPU runs ahead of its power.
	c.Racks[0].PlacedWatts, c.Servers[0].UsedCPUMillicores = 3000, 48000
	d, inf = place(t, c, req(100))
	if inf != nil || d.Assignments[0].Rack != "K2" {
		t.Fatalf("CPU ahead: got %v %v, want K2", racksOf(d), inf)
	}
}

// gpuRacks holds K1, whose s1 has 4 GPUs and s2 none, and K2, whose two
// servers have 4 GPUs each; K2 is fuller (3 kW placed against 1 kW). Each
// server uses the share of its CPU that its rack uses of its budget, so
// that balance scores the racks about alike.
func gpuRacks() *Cluster {
	c := cluster(2, rack2N("K1", 0, 15000), rack2N("K2", 0, 15000))
	c.Racks[0].PlacedWatts, c.Racks[1].PlacedWatts = 1000, 3000
	for i := range c.Servers {
		s := &c.Servers[i]
		s.GPUs = 4
		s.UsedCPUMillicores = int64(float64(s.CPUMillicores) * c.Racks[s.Rack].PlacedWatts / 15000)
	}
	c.Servers[1].GPUs = 0 // K1-s2
	return c
}

func TestGPUServersKeptForGPUs(t *testing.T) {
	derived := req(0)
	derived.Utilisation = 0.5
	cases := []struct {
		name string
		edit func(*Cluster, *Request)
		want string
	}{
		{"no GPU: the server without, not the lower ID nor the fuller rack", func(*Cluster, *Request) {}, "K1-s2"},
		{"no GPU, derived watts: the same", func(_ *Cluster, r *Request) { *r = derived }, "K1-s2"},
		{"a GPU: binpack's fuller rack, the lower ID", func(_ *Cluster, r *Request) { r.GPUs = 1 }, "K2-s1"},
		{"no GPU and no server without fits: a GPU server", func(c *Cluster, _ *Request) {
			c.Servers[1].UsedCPUMillicores = c.Servers[1].CPUMillicores
		}, "K2-s1"},
		// K2, scanned first, scores above K1's rack scores: K1 must still
		// be searched for the server score its server without GPUs adds.
		{"K2 listed first", func(c *Cluster, _ *Request) {
			c.Racks[0], c.Racks[1] = c.Racks[1], c.Racks[0]
			for i := range c.Servers {
				c.Servers[i].Rack = 1 - c.Servers[i].Rack
			}
		}, "K1-s2"},
		// K2, far fuller, is listed first: K1's rack scores fall short of
		// K2's by more than the peak score left, not by more than the
		// peak and the server score together.
		{"a far fuller rack of GPU servers listed first", func(c *Cluster, _ *Request) {
			c.Racks[0], c.Racks[1] = c.Racks[1], c.Racks[0]
			c.Racks[0].PlacedWatts = 14000
			for i := range c.Servers {
				s := &c.Servers[i]
				s.Rack = 1 - s.Rack
				s.UsedCPUMillicores = int64(float64(s.CPUMillicores) * c.Racks[s.Rack].PlacedWatts / 15000)
			}
		}, "K1-s2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, r := gpuRacks(), req(100)
			tc.edit(c, &r)
			d, inf := place(t, c, r)
			if inf != nil || d.Assignments[0].Server != tc.want {
				t.Fatalf("got %v %v, want %s", serversOf(d), inf, tc.want)
			}
		})
	}
}

func TestGPUServerTiesGoToTheLowerID(t *testing.T) {
	// K1-s3, the only server without GPUs, is full: s1 and s2 score
	// alike and s1 takes the replica.
	c := cluster(3, rack2N("K1", 0, 15000))
	c.Servers[0].GPUs, c.Servers[1].GPUs = 4, 4
	c.Servers[2].UsedCPUMillicores = c.Servers[2].CPUMillicores
	d, inf := place(t, c, req(100))
	if inf != nil || d.Assignments[0].Server != "K1-s1" {
		t.Fatalf("got %v %v, want K1-s1", serversOf(d), inf)
	}
}

func TestGPUScoreExplained(t *testing.T) {
	d, err := New().Place(gpuRacks(), req(100), Options{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, c := range d.Candidates {
		got[c.Server] = c.Scores["gpus"]
	}
	if want := map[string]float64{"K1-s2": 1, "K2-s1": 0}; len(got) != 2 || got["K1-s2"] != want["K1-s2"] || got["K2-s1"] != want["K2-s1"] {
		t.Errorf("got %v, want %v", got, want)
	}
	r := req(100)
	r.GPUs = 1
	d, _ = New().Place(gpuRacks(), r, Options{Explain: true})
	if _, ok := d.Candidates[0].Scores["gpus"]; ok {
		t.Errorf("a GPU request: got a gpus score %v, want none", d.Candidates[0].Scores)
	}
}
