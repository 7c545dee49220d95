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
	// The server: 4,000 GPU thousandths, 64,000 millicores, 262,144 MiB.
	// The replica asks 1,000 of its GPU thousandths, 1,000 millicores and
	// 1,024 MiB; the typical workload 650, 12,000 and 47,104.
	typical := shape{watts: 200, cpu: 12000, mem: 47104, gpus: 650}
	cases := []struct {
		name           string
		gpus, cpu, mem int64 // in use before the replica
		typical        bool  // false: nothing placed yet
		want           float64
	}{
		{"leaves no GPU free", 3000, 0, 0, true, 1},
		{"leaves no GPU free, whatever its CPU", 3000, 63000, 0, true, 1},
		{"leaves room for the typical workload", 0, 0, 0, true, 1},
		{"leaves exactly the typical workload", 2350, 51000, 214016, true, 1},
		{"leaves a GPU fragment below the typical", 2400, 0, 0, true, 0},
		{"leaves one GPU thousandth", 2999, 0, 0, true, 0},
		{"leaves GPUs and too little CPU", 0, 51001, 0, true, 0},
		{"leaves GPUs and too little memory", 0, 0, 214017, true, 0},
		{"nothing typical: another like it fits", 2000, 62000, 261120 - 1024, false, 1},
		{"nothing typical: another's GPUs do not", 2500, 0, 0, false, 0},
		{"nothing typical: another's CPU does not", 0, 62001, 0, false, 0},
		{"nothing typical: another's memory does not", 0, 0, 261121 - 1024, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := roomRack(int(tc.gpus))
			c.Servers[0].UsedCPUMillicores, c.Servers[0].UsedMemoryMiB = tc.cpu, tc.mem
			if tc.typical {
				c.placed.add(typical, 1)
			}
			r := req(100)
			r.GPUs = 1000
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
	// K1 is fuller (binpack prefers it by 3.5 kW / 15 kW = 0.23) and more
	// in step (balance: 1 − |12.6/15 − 3.6/4| = 0.94 against K2's
	// 1 − |9.1/15 − 3/4| = 0.86, × 3 = 0.25), but its server would be
	// left with 400 GPU thousandths, too few for the typical 650; K2's is
	// left with 1,000. Keeping room (× 1) outweighs the 0.48 the others
	// give K1.
	c := cluster(1, rack2N("K1", 0, 15000), rack2N("K2", 0, 15000))
	c.Racks[0].PlacedWatts, c.Racks[1].PlacedWatts = 12500, 9000
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
	// K1 left with no GPU free: both keep room, and with 55,000 of their
	// 64,000 millicores in use both servers are as much in step (align:
	// 1 − |0.875 − 1| = 1 − |0.875 − 0.75| = 0.875); K1 wins by binpack's
	// 0.23 and balance's (1 − |0.84 − 1| against 1 − |0.61 − 0.875|) × 3
	// = 0.32.
	c.Servers[0].UsedGPUs = 3000
	c.Servers[0].UsedCPUMillicores, c.Servers[1].UsedCPUMillicores = 55000, 55000
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

func TestKeepRoomOutweighsTheFit(t *testing.T) {
	// K1 (12.5 kW placed of 15) is fuller than K2 (6 kW) by 0.43 of
	// binpack and more in step by 3 × (0.94 − 0.66) = 0.85 of balance,
	// less 0.15 of alignment for K2 (its server's GPUs 0.75 in use against
	// K1's 0.90, their CPU 0.016): 1.13 in all. But K1's server would be
	// left with 400 GPU thousandths, too few for the typical 650, and K2's
	// with 1,000: keeping room, weighed twice the fit, takes K2; weighed
	// as much as the fit it would not.
	c := cluster(1, rack2N("K1", 0, 15000), rack2N("K2", 0, 15000))
	c.Racks[0].PlacedWatts, c.Racks[1].PlacedWatts = 12500, 6000
	for i := range c.Servers {
		c.Servers[i].GPUs = 4000
	}
	c.Servers[0].UsedGPUs, c.Servers[1].UsedGPUs = 2600, 2000
	c.placed.add(shape{watts: 200, cpu: 12000, gpus: 650}, 1)
	r := req(100)
	r.GPUs = 1000
	d, err := New().Place(c, r, Options{Explain: true, TopN: 2})
	if err != nil || d.Assignments[0].Rack != "K2" {
		t.Fatalf("got %v %v, want K2", racksOf(d), err)
	}
	if len(d.Candidates) != 2 {
		t.Fatalf("got %d candidates, want 2", len(d.Candidates))
	}
	k2, k1 := d.Candidates[0], d.Candidates[1]
	if lead := (k1.Score - k1.Scores["room"]*RoomWeight) - (k2.Score - k2.Scores["room"]*RoomWeight); !(lead > 1 && lead < RoomWeight) {
		t.Errorf("K1 leads by %v without keeping room, want between 1 (the fit's weight) and RoomWeight", lead)
	}
}
