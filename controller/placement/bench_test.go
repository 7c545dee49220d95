package placement

import (
	"fmt"
	"math/rand"
	"syscall"
	"testing"
	"time"
)

// referenceCluster is the shape of the reference site: two halls of rows of
// 23 racks of 15 kW, fed A/B by three-phase 32 A PDUs, each row cooled by
// 60 kW units sized N+1, serversPerRack servers a rack, about half full.
func referenceCluster(racks, serversPerRack int) *Cluster {
	rng := rand.New(rand.NewSource(1))
	c := &Cluster{SiteBudgetWatts: 7e6, Halls: []Hall{{ID: "H1", BudgetWatts: 3.5e6}, {ID: "H2", BudgetWatts: 3.5e6}}}
	for k := range racks {
		hall := k * 2 / racks
		if k%23 == 0 {
			units := make([]float64, 7) // ceil(23 × 15 / 60) + 1
			for u := range units {
				units[u] = 60000
			}
			c.Rows = append(c.Rows, Row{ID: fmt.Sprintf("H%d-R%02d", hall+1, len(c.Rows)+1), Hall: hall, CoolingWatts: units})
		}
		c.Racks = append(c.Racks, referenceRack(rng, fmt.Sprintf("%s-K%02d", c.Rows[len(c.Rows)-1].ID, k%23+1), len(c.Rows)-1))
		for s := range serversPerRack {
			c.Servers = append(c.Servers, Server{ID: fmt.Sprintf("%s-S%02d", c.Racks[k].ID, s+1), Rack: k,
				PSUFeeds: []string{"A", "B"}, CPUMillicores: 64000, MemoryMiB: 262144,
				UsedCPUMillicores: rng.Int63n(64000), UsedMemoryMiB: rng.Int63n(262144), IdleWatts: 150, MaxWatts: 450})
		}
	}
	return c
}

func referenceRack(rng *rand.Rand, id string, row int) Rack {
	placed := 5000 + rng.Float64()*5000
	k := Rack{ID: id, Row: row, BudgetWatts: 15000, Feeds: []string{"A", "B"}, PlacedWatts: placed,
		PeakWatts: placed * (0.9 + rng.Float64()*0.2), PeakKnown: rng.Intn(10) > 0,
		Labels: map[string]string{"tier": "std"}}
	for _, f := range k.Feeds {
		k.PDUs = append(k.PDUs, PDU{ID: id + "-P" + f, Feed: f, Phases: 3, VoltageV: 230, BreakerA: 32,
			PhasePeakWatts: []float64{placed / 6, placed / 6 * 1.1, placed / 6 * 0.9}})
	}
	for h := range k.ProfileWatts {
		k.ProfileWatts[h] = placed * (0.6 + 0.4*rng.Float64())
	}
	return k
}

// BenchmarkPlace measures one decision on the reference site (460 racks
// of 40 servers): the engine alone, the cluster indexed as Clone leaves it.
func BenchmarkPlace(b *testing.B) {
	c := referenceCluster(460, 40)
	if err := c.Index(); err != nil {
		b.Fatal(err)
	}
	base := Request{Name: "web", Replicas: 1, CPUMillicores: 2000, MemoryMiB: 4096, Watts: 400}
	withProfile := base
	withProfile.Profile, withProfile.BothFeeds = noonProfile(), true
	spread := base
	spread.Replicas, spread.Spread = 3, DomainRack
	derived := base
	derived.Watts, derived.Utilisation = 0, 0.6
	// GPUs: every fifth rack's servers have eight, some in use, so that
	// the server scorers of GPU replicas run.
	gpu := referenceCluster(460, 40)
	rng := rand.New(rand.NewSource(2))
	for i := range gpu.Servers {
		if gpu.Servers[i].Rack%5 == 0 {
			gpu.Servers[i].GPUs, gpu.Servers[i].UsedGPUs = 8000, 1000*rng.Intn(8)
		}
	}
	if err := gpu.Index(); err != nil {
		b.Fatal(err)
	}
	train := Request{Name: "train", Replicas: 1, CPUMillicores: 8000, MemoryMiB: 32768, GPUs: 1000, Watts: 400}
	cases := []struct {
		name string
		c    *Cluster
		r    Request
		opt  Options
	}{
		{"one replica", c, base, Options{}},
		{"profile and both feeds", c, withProfile, Options{}},
		{"3 replicas spread by rack", c, spread, Options{}},
		{"derived watts", c, derived, Options{}},
		{"explained", c, base, Options{Explain: true}},
		{"GPU replica", gpu, train, Options{}},
		{"no index", &Cluster{SiteBudgetWatts: c.SiteBudgetWatts, Halls: c.Halls, Rows: c.Rows, Racks: c.Racks, Servers: c.Servers}, base, Options{}},
	}
	e := New()
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if _, err := e.Place(tc.c, tc.r, tc.opt); err != nil {
					b.Fatal(err)
				}
			}
			cpu := cpuTime() - start
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used, which on a shared machine
// says more than the wall clock about what a decision costs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCheck measures the re-verification the state machine does when
// it applies a placement of 3 replicas.
func BenchmarkCheck(b *testing.B) {
	c := referenceCluster(460, 40)
	if err := c.Index(); err != nil {
		b.Fatal(err)
	}
	r := Request{Name: "web", Replicas: 3, CPUMillicores: 2000, MemoryMiB: 4096, Watts: 400, Spread: DomainRack}
	d, err := New().Place(c, r, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(c, d.Assignments, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClone measures the deep copy the state machine makes of the
// reference site's cluster.
func BenchmarkClone(b *testing.B) {
	c := referenceCluster(460, 40)
	if err := c.Index(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Clone()
	}
}
