package placement

import (
	"testing"
)

// roomRack is K1, one server of 4 GPUs (4,000 thousandths, as a trace that
// shares GPUs counts them) with used of them in use.
func roomRack(used int) *Cluster {
	c := cluster(1, rack2N("K1", 0, 15000))
	c.Servers[0].GPUs, c.Servers[0].UsedGPUs = 4000, used
	return c
}

func TestKeepRoomScore(t *testing.T) {
	cases := []struct {
		name      string
		used, ask int
		typical   int // the median placed replica's GPUs; 0: none placed
		want      float64
	}{
		{"leaves none free", 3000, 1000, 650, 1},
		{"leaves exactly the typical", 2350, 1000, 650, 1},
		{"leaves more than the typical", 0, 1000, 650, 1},
		{"leaves a fragment below the typical", 2400, 1000, 650, 0},
		{"leaves one thousandth", 2999, 1000, 650, 0},
		{"nothing typical: another like it fits", 2000, 1000, 0, 1},
		{"nothing typical: another like it does not", 2500, 1000, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := roomRack(tc.used)
			if tc.typical > 0 {
				c.placed.add(shape{watts: 200, cpu: 1000, gpus: tc.typical}, 1)
			}
			r := req(100)
			r.GPUs = tc.ask
			st, err := New().start(c, &r)
			if err != nil {
				t.Fatal(err)
			}
			if got := (keepRoom{}).score(st, 0); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestKeepRoomTypicalCountsNoGPU(t *testing.T) {
	// The median replica asks no GPU: the replica's own GPUs stand for
	// the typical, so 2,500 left of 4,000 (≥ 1,000) keeps room, and 500
	// left (< 1,000) does not.
	r := req(100)
	r.GPUs = 1000
	for used, want := range map[int]float64{500: 1, 2500: 0} {
		c := roomRack(used)
		c.placed.add(shape{watts: 50, cpu: 1000}, 3)
		st, err := New().start(c, &r)
		if err != nil {
			t.Fatal(err)
		}
		if got := (keepRoom{}).score(st, 0); got != want {
			t.Errorf("used %d: got %v, want %v", used, got, want)
		}
	}
}

func TestKeepRoomWants(t *testing.T) {
	r := req(100)
	if (keepRoom{}).wants(&r) {
		t.Errorf("no GPU: got wanted, want not")
	}
	r.GPUs = 1
	if !(keepRoom{}).wants(&r) {
		t.Errorf("a GPU: got not wanted, want wanted")
	}
}

func TestKeepRoomDecides(t *testing.T) {
	// K1 is fuller (binpack prefers it by 6 kW / 15 kW = 0.4) and more in
	// step (balance: 1 − |9.1/15 − 3.6/4| = 0.71 against K2's
	// 1 − |3.1/15 − 3/4| = 0.46, × 3), but its server would be left with
	// 400 GPU thousandths, too few for the typical 650; K2's is left with
	// 1,000. Keeping room (× 2) outweighs the 1.15 the others give K1.
	c := cluster(1, rack2N("K1", 0, 15000), rack2N("K2", 0, 15000))
	c.Racks[0].PlacedWatts, c.Racks[1].PlacedWatts = 9000, 3000
	for i := range c.Servers {
		c.Servers[i].GPUs = 4000
	}
	c.Servers[0].UsedGPUs, c.Servers[1].UsedGPUs = 2600, 2000
	c.placed.add(shape{watts: 200, cpu: 12000, gpus: 650}, 1)
	r := req(100)
	r.GPUs = 1000
	d, inf := place(t, c, r)
	if inf != nil || d.Assignments[0].Rack != "K2" {
		t.Fatalf("got %v %v, want K2", racksOf(d), inf)
	}
	// Without a typical placed, the replica's own 1,000 stands for it: K1
	// would be left with 400 all the same.
	c.placed = workloads{}
	d, inf = place(t, c, r)
	if inf != nil || d.Assignments[0].Rack != "K2" {
		t.Fatalf("no typical: got %v %v, want K2", racksOf(d), inf)
	}
	// K1 left with none free: it fills, and binpack's fuller rack wins.
	c.Servers[0].UsedGPUs = 3000
	d, inf = place(t, c, r)
	if inf != nil || d.Assignments[0].Rack != "K1" {
		t.Fatalf("K1 filled: got %v %v, want K1", racksOf(d), inf)
	}
}

func TestKeepRoomExplained(t *testing.T) {
	c := roomRack(2400)
	r := req(100)
	r.GPUs = 1000
	d, err := New().Place(c, r, Options{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := d.Candidates[0].Scores["room"]; !ok || got != 0 {
		t.Errorf("got room %v (%v), want 0", got, ok)
	}
}

func TestKeepRoomPicksTheServer(t *testing.T) {
	// One rack: s1, the lower ID, would be left with 400 GPU thousandths,
	// s2 with 1,000; the rack scores are the rack's, so the server score
	// decides, and s1 must not be taken for being first.
	c := cluster(2, rack2N("K1", 0, 15000))
	for i := range c.Servers {
		c.Servers[i].GPUs = 4000
	}
	c.Servers[0].UsedGPUs, c.Servers[1].UsedGPUs = 2600, 2000
	c.placed.add(shape{watts: 200, cpu: 12000, gpus: 650}, 1)
	r := req(100)
	r.GPUs = 1000
	d, inf := place(t, c, r)
	if inf != nil || d.Assignments[0].Server != "K1-s2" {
		t.Fatalf("got %v %v, want K1-s2", serversOf(d), inf)
	}
}
