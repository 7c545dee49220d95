package placement

import (
	"math"
	"testing"
)

func TestGPUAlignScore(t *testing.T) {
	// The server: 4,000 GPU thousandths, 64,000 millicores, 262,144 MiB.
	// The replica asks 1,000 GPU thousandths, 16,000 millicores and
	// 16,384 MiB: a quarter of its GPUs and of its CPU, a sixteenth of its
	// memory.
	cases := []struct {
		name           string
		gpus, cpu, mem int64 // in use before the replica
		want           float64
	}{
		{"empty: CPU and GPUs a quarter each", 0, 0, 0, 1},
		{"in step at half", 1000, 16000, 0, 1},
		{"CPU ahead: 0.75 against GPUs 0.25", 0, 32000, 0, 0.5},
		{"GPUs ahead: 1 against CPU 0.25", 3000, 0, 0, 0.25},
		{"memory ahead of CPU counts: 0.75 against 0.25", 0, 0, 180224, 0.5},
		{"CPU full, GPUs a quarter", 0, 48000, 0, 0.25},
		{"all in step, full", 3000, 48000, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := roomRack(int(tc.gpus))
			c.Servers[0].UsedCPUMillicores, c.Servers[0].UsedMemoryMiB = tc.cpu, tc.mem
			r := Request{Name: "train", Replicas: 1, CPUMillicores: 16000, MemoryMiB: 16384, GPUs: 1000, Watts: 300}
			st, err := New().start(c, &r)
			if err != nil {
				t.Fatal(err)
			}
			if got := (gpuAlign{}).score(st, 0); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGPUAlignScoreWithoutCapacity(t *testing.T) {
	// A server without GPUs, CPU or memory scores 0, whatever its shares
	// divided by zero give (infinities, or NaN when the replica asks none
	// of what the server lacks).
	for name, set := range map[string]func(*Server, *Request){
		"no GPUs":                   func(s *Server, _ *Request) { s.GPUs = 0 },
		"no CPU":                    func(s *Server, _ *Request) { s.CPUMillicores = 0 },
		"no memory":                 func(s *Server, _ *Request) { s.MemoryMiB = 0 },
		"no CPU, and none asked":    func(s *Server, r *Request) { s.CPUMillicores, r.CPUMillicores = 0, 0 },
		"no memory, and none asked": func(s *Server, r *Request) { s.MemoryMiB, r.MemoryMiB = 0, 0 },
	} {
		r := Request{Name: "train", Replicas: 1, CPUMillicores: 1000, MemoryMiB: 1024, GPUs: 1000, Watts: 300}
		c := roomRack(0)
		set(&c.Servers[0], &r)
		st, err := New().start(c, &r)
		if err != nil {
			t.Fatal(err)
		}
		if got := (gpuAlign{}).score(st, 0); got != 0 {
			t.Errorf("%s: got %v, want 0", name, got)
		}
	}
}

func TestGPUAlignWants(t *testing.T) {
	r := req(100)
	if (gpuAlign{}).wants(&r) {
		t.Errorf("no GPU: got wanted, want not")
	}
	r.GPUs = 1000
	if !(gpuAlign{}).wants(&r) {
		t.Errorf("a GPU, binpack: got not wanted, want wanted")
	}
	r.Strategy = StrategySpread
	if (gpuAlign{}).wants(&r) {
		t.Errorf("a GPU, spread: got wanted, want not")
	}
}

func TestGPUAlignPicksTheServer(t *testing.T) {
	// One rack: s1, the lower ID, has half its CPU in use and its GPUs
	// free, so the replica (a quarter of each) would leave its CPU three
	// quarters used against a quarter of its GPUs (0.5); s2 is empty and
	// stays in step (1). Both keep room for another like it and the rack
	// scores are the rack's: the alignment decides, and s1 must not be
	// taken for being first.
	c := cluster(2, rack2N("K1", 0, 15000))
	for i := range c.Servers {
		c.Servers[i].GPUs = 4000
	}
	c.Servers[0].UsedCPUMillicores = 32000
	r := Request{Name: "train", Replicas: 1, CPUMillicores: 16000, MemoryMiB: 16384, GPUs: 1000, Watts: 300}
	d, inf := place(t, c, r)
	if inf != nil || d.Assignments[0].Server != "K1-s2" {
		t.Fatalf("got %v %v, want K1-s2", serversOf(d), inf)
	}
	// Under spread it does not rate servers: the first of equals.
	r.Strategy = StrategySpread
	d, inf = place(t, c, r)
	if inf != nil || d.Assignments[0].Server != "K1-s1" {
		t.Fatalf("spread: got %v %v, want K1-s1", serversOf(d), inf)
	}
}

func TestGPUAlignExplained(t *testing.T) {
	c := roomRack(3000)
	r := Request{Name: "train", Replicas: 1, CPUMillicores: 16000, MemoryMiB: 16384, GPUs: 1000, Watts: 300}
	d, err := New().Place(c, r, Options{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := d.Candidates[0].Scores["align"]; !ok || got != 0.25 {
		t.Errorf("got align %v (%v), want 0.25", got, ok)
	}
}
