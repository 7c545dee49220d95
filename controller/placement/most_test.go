package placement

import (
	"math/rand"
	"slices"
	"testing"
)

// TestRackMaximaKept checks that the most free CPU, memory and GPUs of
// each rack, which let a decision pass over racks unwalked, stay what the
// servers have free through Apply, Remove and Clone: a maximum left too
// low hides a rack that fits, one left too high costs a walk.
func TestRackMaximaKept(t *testing.T) {
	for seed := range 40 {
		rng := rand.New(rand.NewSource(int64(seed)))
		c := randomCluster(rng)
		if err := c.Index(); err != nil {
			t.Fatal(err)
		}
		type live struct {
			r  Request
			as []Assignment
		}
		var held []live
		for step := range 40 {
			switch {
			case len(held) > 0 && rng.Intn(3) == 0:
				j := rng.Intn(len(held))
				c.Remove(held[j].as, held[j].r)
				held = slices.Delete(held, j, j+1)
			case rng.Intn(8) == 0:
				c = c.Clone()
			default:
				r := randomRequest(rng, c)
				d, err := New().Place(c, r, Options{})
				if err != nil {
					continue
				}
				if err := c.Apply(d.Assignments, r); err != nil {
					t.Fatal(err)
				}
				held = append(held, live{r, d.Assignments})
			}
			if got, want := c.most, mostFree(c); !slices.Equal(got, want) {
				t.Fatalf("seed %d, step %d: got maxima %v, want %v", seed, step, got, want)
			}
		}
	}
}

// TestRoomFor checks the rack maxima's test at its edges: a server with
// exactly what the replica needs takes it, and a resource the replica does
// not ask for is not looked at, even on a server using more than it has.
func TestRoomFor(t *testing.T) {
	tests := []struct {
		name     string
		cpu, mem int64
		gpus     int
		used     Server // its Used fields
		want     bool
	}{
		{"exact memory", 1000, 262144 - 1024, 0, Server{UsedMemoryMiB: 1024}, true},
		{"a MiB short", 1000, 262144 - 1023, 0, Server{UsedMemoryMiB: 1024}, false},
		{"exact CPU", 64000 - 500, 1024, 0, Server{UsedCPUMillicores: 500}, true},
		{"a millicore short", 64000 - 499, 1024, 0, Server{UsedCPUMillicores: 500}, false},
		{"no CPU asked of an overcommitted server", 0, 1024, 0, Server{UsedCPUMillicores: 70000}, true},
		{"no memory asked of an overcommitted server", 1000, 0, 0, Server{UsedMemoryMiB: 300000}, true},
		{"GPUs asked of a server without", 1000, 1024, 1, Server{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cluster(1, rack2N("K1", 0, 15000))
			s := &c.Servers[0]
			s.UsedCPUMillicores, s.UsedMemoryMiB, s.UsedGPUs = tc.used.UsedCPUMillicores, tc.used.UsedMemoryMiB, tc.used.UsedGPUs
			if err := c.Index(); err != nil {
				t.Fatal(err)
			}
			r := Request{Name: "w", Replicas: 1, CPUMillicores: tc.cpu, MemoryMiB: tc.mem, GPUs: tc.gpus, Watts: 100}
			_, err := New().Place(c, r, Options{})
			if got := err == nil; got != tc.want {
				t.Errorf("placed: got %v, want %v (%v)", got, tc.want, err)
			}
			st, err := newState(c, &r)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.roomFor(0); got != tc.want {
				t.Errorf("roomFor: got %v, want %v (maxima %+v)", got, tc.want, st.most[0])
			}
		})
	}
}

// TestCloneKeepsOwnMaxima checks that a copy's replicas leave its
// original's rack maxima as they were: the state machine decides on copies
// of the cluster it keeps.
func TestCloneKeepsOwnMaxima(t *testing.T) {
	c := cluster(1, rack2N("K1", 0, 15000))
	if err := c.Index(); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(c.most)
	n := c.Clone()
	r := Request{Name: "w", Replicas: 1, CPUMillicores: 1000, MemoryMiB: 1024, Watts: 100}
	d, err := New().Place(n, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Apply(d.Assignments, r); err != nil {
		t.Fatal(err)
	}
	if got := c.most; !slices.Equal(got, want) {
		t.Errorf("original's maxima: got %v, want %v", got, want)
	}
	if got := n.most[0].mem; got != 262144-1024 {
		t.Errorf("copy's most free memory: got %d, want %d", got, 262144-1024)
	}
}
