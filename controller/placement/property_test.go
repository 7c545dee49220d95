package placement

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"slices"
	"testing"
)

// TestNoLimitExceeded places random requests on random clusters until
// they stop fitting, then recomputes every load from the assignments with
// its own arithmetic and checks that no limit a replica was added under is
// exceeded. Each decision must also pass Check on the cluster it was made
// on, respect the spread limit, and be the one a search that prunes
// nothing makes.
func TestNoLimitExceeded(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 40
	}
	exhaustive := New()
	exhaustive.exhaustive = true
	var placed, refused int
	for seed := range seeds {
		rng := rand.New(rand.NewSource(int64(seed)))
		orig := randomCluster(rng)
		work := orig.Clone()
		var log []placedReq
		for attempt, misses := 0, 0; attempt < 60 && misses < 3; attempt++ {
			r := randomRequest(rng, orig)
			d, err := New().Place(work, r, Options{})
			var inf *Infeasible
			if errors.As(err, &inf) {
				misses++
				refused++
				continue
			}
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			// Pruning must not change the pick.
			if full, err := exhaustive.Place(work, r, Options{}); err != nil || !reflect.DeepEqual(full.Assignments, d.Assignments) {
				t.Fatalf("seed %d: pruned search chose %+v, full search %+v (%v)", seed, d.Assignments, full.Assignments, err)
			}
			if err := Check(work, d.Assignments, r); err != nil {
				t.Fatalf("seed %d: Check of a decision on its own view: %v", seed, err)
			}
			checkDecision(t, fmt.Sprintf("seed %d, request %d", seed, attempt), work, r, d)
			if err := work.Apply(d.Assignments, r); err != nil {
				t.Fatal(err)
			}
			log = append(log, placedReq{r, d.Assignments})
			placed++
		}
		checkLoads(t, fmt.Sprintf("seed %d", seed), orig, log)
	}
	if placed < seeds || refused < seeds {
		t.Errorf("placed %d, refused %d: the random cases do not reach the limits", placed, refused)
	}
}

type placedReq struct {
	r  Request
	as []Assignment
}

// randomCluster builds 1–2 halls of 1–3 rows of 1–5 racks of 1–6 servers,
// with random budgets, PDUs, cooling, usage and measurements.
func randomCluster(rng *rand.Rand) *Cluster {
	c := &Cluster{}
	if rng.Intn(3) == 0 {
		c.SiteBudgetWatts = 20000 + rng.Float64()*100000
	}
	for h := range 1 + rng.Intn(2) {
		hall := Hall{ID: fmt.Sprintf("H%d", h)}
		if rng.Intn(2) == 0 {
			hall.BudgetWatts = 10000 + rng.Float64()*60000
		}
		c.Halls = append(c.Halls, hall)
		for range 1 + rng.Intn(3) {
			row := Row{ID: fmt.Sprintf("R%d", len(c.Rows)), Hall: h}
			for range 2 + rng.Intn(3) {
				row.CoolingWatts = append(row.CoolingWatts, 5000+rng.Float64()*35000)
			}
			c.Rows = append(c.Rows, row)
			for range 1 + rng.Intn(5) {
				c.Racks = append(c.Racks, randomRack(rng, fmt.Sprintf("K%02d", len(c.Racks)), len(c.Rows)-1))
				for range 1 + rng.Intn(6) {
					c.Servers = append(c.Servers, randomServer(rng, c, len(c.Racks)-1))
				}
			}
		}
	}
	return c
}

func randomRack(rng *rand.Rand, id string, row int) Rack {
	budget := 3000 + rng.Float64()*12000
	k := Rack{ID: id, Row: row, BudgetWatts: budget, Feeds: []string{"A", "B"},
		PlacedWatts: rng.Float64() * budget / 2, ReservedWatts: rng.Float64() * budget / 10}
	if rng.Intn(5) == 0 {
		k.Feeds = k.Feeds[:1]
	}
	if rng.Intn(2) == 0 {
		k.Labels = map[string]string{"tier": []string{"gpu", "std"}[rng.Intn(2)]}
	}
	if rng.Intn(2) == 0 {
		k.PeakWatts, k.PeakKnown = rng.Float64()*budget*0.7, true
	}
	k.Stale = rng.Intn(4) == 0
	for h := range k.ProfileWatts {
		k.ProfileWatts[h] = k.PlacedWatts * rng.Float64()
	}
	for _, f := range k.Feeds {
		for range 1 + rng.Intn(2) {
			p := PDU{ID: id + "-P" + f, Feed: f, Phases: []int{1, 3}[rng.Intn(2)], VoltageV: 230,
				BreakerA: []float64{8, 16, 32}[rng.Intn(3)]}
			if rng.Intn(2) == 0 {
				for range p.Phases {
					p.PhasePeakWatts = append(p.PhasePeakWatts, rng.Float64()*k.PlacedWatts/2)
				}
			}
			k.PDUs = append(k.PDUs, p)
		}
	}
	return k
}

func randomServer(rng *rand.Rand, c *Cluster, k int) Server {
	s := Server{ID: fmt.Sprintf("%s-s%d", c.Racks[k].ID, len(c.Servers)), Rack: k,
		PSUFeeds:      slices.Clone(c.Racks[k].Feeds),
		CPUMillicores: 8000 * (1 + rng.Int63n(8)), MemoryMiB: 16384 * (1 + rng.Int63n(16)), GPUs: rng.Intn(3),
		IdleWatts: 100 + rng.Float64()*100, MaxWatts: 300 + rng.Float64()*700}
	if rng.Intn(4) == 0 {
		s.PSUFeeds = s.PSUFeeds[:1]
	}
	s.UsedCPUMillicores = rng.Int63n(s.CPUMillicores)
	s.UsedMemoryMiB = rng.Int63n(s.MemoryMiB)
	return s
}

func randomRequest(rng *rand.Rand, c *Cluster) Request {
	r := Request{Name: "r", Replicas: 1 + rng.Intn(4), CPUMillicores: 500 * (1 + rng.Int63n(8)),
		MemoryMiB: 1024 * (1 + rng.Int63n(8)), Watts: 100 + rng.Float64()*1500,
		Spread:   []Domain{"", DomainRack, DomainRow, DomainFeed, DomainHall, DomainServer}[rng.Intn(6)],
		Strategy: []string{"", StrategySpread}[rng.Intn(2)], BothFeeds: rng.Intn(3) == 0}
	if rng.Intn(4) == 0 {
		r.Watts, r.Utilisation = 0, 0.1+rng.Float64()*0.9
	}
	if rng.Intn(5) == 0 {
		r.GPUs = 1
	}
	if rng.Intn(3) == 0 {
		r.Profile = noonProfile()
	}
	if rng.Intn(5) == 0 {
		r.Labels = map[string]string{"tier": "gpu"}
	}
	if rng.Intn(6) == 0 {
		r.Hall = c.Halls[rng.Intn(len(c.Halls))].ID
	}
	return r
}

// checkDecision checks the placement rules of one decision that do not
// depend on loads: labels, pins, both feeds, and the spread limit.
func checkDecision(t *testing.T, what string, c *Cluster, r Request, d Decision) {
	t.Helper()
	if len(d.Assignments) != r.Replicas {
		t.Fatalf("%s: %d assignments for %d replicas", what, len(d.Assignments), r.Replicas)
	}
	perDomain := map[string]int{}
	for _, a := range d.Assignments {
		k := rackByID(c, a.Rack)
		if r.Hall != "" && a.Hall != r.Hall {
			t.Errorf("%s: %s in hall %s, pinned to %s", what, a.Server, a.Hall, r.Hall)
		}
		for key, v := range r.Labels {
			if k.Labels[key] != v {
				t.Errorf("%s: %s lacks %s=%s", what, a.Rack, key, v)
			}
		}
		if r.BothFeeds && (len(k.Feeds) != 2 || !slices.Contains(a.Feeds, k.Feeds[0]) || !slices.Contains(a.Feeds, k.Feeds[1])) {
			t.Errorf("%s: %s on feeds %v of rack feeds %v, both needed", what, a.Server, a.Feeds, k.Feeds)
		}
		perDomain[domainName(r, a)]++
	}
	limit := int(math.Ceil(float64(r.Replicas) / float64(eligibleDomains(c, r))))
	for dom, n := range perDomain {
		if n > limit {
			t.Errorf("%s: %s holds %d replicas, limit ceil(%d/%d) = %d", what, dom, n, r.Replicas, eligibleDomains(c, r), limit)
		}
	}
}

func domainName(r Request, a Assignment) string {
	switch r.Spread {
	case DomainRack:
		return a.Rack
	case DomainRow:
		return a.Row
	case DomainHall:
		return a.Hall
	case DomainFeed:
		return a.Feeds[0]
	}
	return a.Server
}

// eligibleDomains counts, with the test's own reading of the rule, the
// domains holding a server that passes the static filters.
func eligibleDomains(c *Cluster, r Request) int {
	seen := map[string]bool{}
	for _, s := range c.Servers {
		k := &c.Racks[s.Rack]
		row := &c.Rows[k.Row]
		hall := c.Halls[row.Hall].ID
		ok := (r.Hall == "" || r.Hall == hall) && (r.Labels == nil || k.Labels["tier"] == r.Labels["tier"]) &&
			s.CPUMillicores >= r.CPUMillicores && s.MemoryMiB >= r.MemoryMiB && s.GPUs >= r.GPUs
		if r.BothFeeds {
			ok = ok && len(k.Feeds) == 2 && slices.Contains(s.PSUFeeds, k.Feeds[0]) && slices.Contains(s.PSUFeeds, k.Feeds[1])
		}
		if ok && len(s.PSUFeeds) > 0 {
			seen[domainName(r, Assignment{Server: s.ID, Rack: k.ID, Row: row.ID, Hall: hall, Feeds: s.PSUFeeds})] = true
		}
	}
	return len(seen)
}

func rackByID(c *Cluster, id string) *Rack {
	for i := range c.Racks {
		if c.Racks[i].ID == id {
			return &c.Racks[i]
		}
	}
	panic("no rack " + id)
}

// eps absorbs float rounding of sums taken in another order.
const eps = 1e-6

// checkLoads recomputes, from the original cluster and everything placed
// on it, each server's, rack's, phase's, row's, hall's and the site's
// load, and checks each limit that a replica was added under.
func checkLoads(t *testing.T, what string, c *Cluster, log []placedReq) {
	t.Helper()
	added := make([]float64, len(c.Racks))
	used := slices.Clone(c.Servers)
	for _, p := range log {
		for _, a := range p.as {
			s := serverIndex(c, a.Server)
			added[c.Servers[s].Rack] += a.Watts
			used[s].UsedCPUMillicores += p.r.CPUMillicores
			used[s].UsedMemoryMiB += p.r.MemoryMiB
			used[s].UsedGPUs += p.r.GPUs
		}
	}
	for _, s := range used { // random clusters start within capacity
		if s.UsedCPUMillicores > s.CPUMillicores || s.UsedMemoryMiB > s.MemoryMiB || s.UsedGPUs > s.GPUs {
			t.Errorf("%s: %s overcommitted: %+v", what, s.ID, s)
		}
	}
	rowLoad, hallLoad := make([]float64, len(c.Rows)), make([]float64, len(c.Halls))
	rowAdded, hallAdded := make([]bool, len(c.Rows)), make([]bool, len(c.Halls))
	var site float64
	for k := range c.Racks {
		load := checkRack(t, what, &c.Racks[k], added[k])
		row, hall := c.Racks[k].Row, c.Rows[c.Racks[k].Row].Hall
		rowLoad[row], hallLoad[hall], site = rowLoad[row]+load, hallLoad[hall]+load, site+load
		rowAdded[row] = rowAdded[row] || added[k] > 0
		hallAdded[hall] = hallAdded[hall] || added[k] > 0
	}
	for i, row := range c.Rows {
		var sum, largest float64
		for _, u := range row.CoolingWatts {
			sum, largest = sum+u, max(largest, u)
		}
		if rowAdded[i] && rowLoad[i] > sum-largest+eps {
			t.Errorf("%s: row %s carries %.1f W > N+1 cooling %.1f W", what, row.ID, rowLoad[i], sum-largest)
		}
	}
	for i, h := range c.Halls {
		if hallAdded[i] && h.BudgetWatts > 0 && hallLoad[i] > h.BudgetWatts+eps {
			t.Errorf("%s: hall %s carries %.1f W > %.1f W", what, h.ID, hallLoad[i], h.BudgetWatts)
		}
	}
	if slices.Contains(hallAdded, true) && c.SiteBudgetWatts > 0 && site > c.SiteBudgetWatts+eps {
		t.Errorf("%s: site carries %.1f W > %.1f W", what, site, c.SiteBudgetWatts)
	}
}

// checkRack checks the budget and the failover of a rack that took added
// watts, and returns its load.
func checkRack(t *testing.T, what string, r *Rack, added float64) float64 {
	t.Helper()
	decl := r.PlacedWatts + added
	if r.PeakKnown {
		decl = max(decl, r.PeakWatts)
	}
	load := decl + r.ReservedWatts
	if added > 0 && load > r.BudgetWatts+eps {
		t.Errorf("%s: %s draws %.1f W > budget %.1f W", what, r.ID, load, r.BudgetWatts)
	}
	if added > 0 {
		checkPhases(t, what, r, decl)
	}
	return load
}

// checkPhases checks that either feed of a 2N rack carries it all, phase
// by phase, when the other fails; decl is max(peak, declared).
func checkPhases(t *testing.T, what string, r *Rack, decl float64) {
	t.Helper()
	if len(r.Feeds) != 2 {
		return
	}
	for i, failed := range r.Feeds {
		feed := r.Feeds[1-i]
		var n int
		var moved float64
		for _, p := range r.PDUs {
			if p.Feed == feed {
				n += p.Phases
			} else if len(p.PhasePeakWatts) == p.Phases {
				for _, w := range p.PhasePeakWatts {
					moved += w
				}
			}
		}
		for _, p := range r.PDUs {
			if p.Feed != feed {
				continue
			}
			for j := range p.Phases {
				var m float64
				if len(p.PhasePeakWatts) == p.Phases {
					m = p.PhasePeakWatts[j]
				}
				load := max(m+moved/float64(n), decl/float64(n)) + r.ReservedWatts/float64(n)
				if capacity := 230 * p.BreakerA * 0.8; load > capacity+eps {
					t.Errorf("%s: %s: feed %s fails, %s L%d carries %.1f W > %.1f W", what, r.ID, failed, p.ID, j+1, load, capacity)
				}
			}
		}
	}
}

func serverIndex(c *Cluster, id string) int {
	for i := range c.Servers {
		if c.Servers[i].ID == id {
			return i
		}
	}
	panic("no server " + id)
}
