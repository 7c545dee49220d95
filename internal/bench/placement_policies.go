package bench

import (
	"errors"
	"math"

	"github.com/dcplane/dcplane/controller/placement"
)

// policy decides where a request's replicas go.
type policy interface {
	// place returns the assignments of req's replicas on c, or false when
	// they do not fit. It does not change c.
	place(c *placement.Cluster, req placement.Request) ([]placement.Assignment, bool)
}

// Policy names, as the results report them.
const (
	PolicyBinpack    = "dcplane binpack"
	PolicySpread     = "dcplane spread"
	PolicyFirstFit   = "first-fit"
	PolicyKubeSpread = "k8s least-allocated"
)

// policies are the policies every trace is replayed with, in the order of
// the results: dcplane's two strategies, then the two baselines.
func policies() []struct {
	name string
	p    policy
} {
	e := placement.New()
	return []struct {
		name string
		p    policy
	}{
		{PolicyBinpack, engine{e, placement.StrategyBinpack}},
		{PolicySpread, engine{e, placement.StrategySpread}},
		{PolicyFirstFit, greedy{firstFit}},
		{PolicyKubeSpread, greedy{leastAllocated}},
	}
}

// engine is dcplane's placement engine with one strategy.
type engine struct {
	e        *placement.Engine
	strategy string
}

func (p engine) place(c *placement.Cluster, req placement.Request) ([]placement.Assignment, bool) {
	req.Strategy = p.strategy
	d, err := p.e.Place(c, req, placement.Options{})
	if err != nil {
		return nil, false
	}
	return d.Assignments, true
}

// greedy is a baseline: it places replica after replica, taking the first
// server its order offers that placement.Check accepts with the replicas
// before it, so that a baseline keeps every hard limit the engine keeps
// (power, feed failover, cooling, capacity, spread) and differs only in
// its choice. order says which server to try next.
type greedy struct {
	order func(g *call) int
}

// call is one request being placed by a baseline.
type call struct {
	c        *placement.Cluster
	req      placement.Request
	as       []placement.Assignment
	onServer map[int]int     // server → this call's replicas on it
	inRack   map[int]float64 // rack → watts of this call's replicas in it
	domains  map[int]int     // spread domain → this call's replicas in it
	feeds    map[string]int  // feed name → its domain key, when spreading by feed
	eligible int             // spread domains holding a server big enough
	tried    []bool          // servers tried for the current replica
	rackOut  []bool          // racks whose power checks refused the current replica
	cursor   int             // first-fit: servers before it were tried
}

func (g greedy) place(c *placement.Cluster, req placement.Request) ([]placement.Assignment, bool) {
	cl := &call{c: c, req: req, onServer: map[int]int{}, inRack: map[int]float64{}, domains: map[int]int{},
		feeds: map[string]int{}, tried: make([]bool, len(c.Servers)), rackOut: make([]bool, len(c.Racks))}
	cl.eligible = cl.eligibleDomains()
	for i := range req.Replicas {
		clear(cl.tried)
		clear(cl.rackOut)
		cl.cursor = 0
		if !cl.placeNext(g.order, i) {
			return nil, false
		}
	}
	return cl.as, true
}

// placeNext places replica i: it tries the servers order offers until
// Check accepts one, or none is left.
func (cl *call) placeNext(order func(*call) int, i int) bool {
	r := cl.req
	r.Replicas = i + 1 // Check verifies the replicas chosen so far
	for {
		s := order(cl)
		if s < 0 {
			return false
		}
		cl.tried[s] = true
		a := assignmentOn(cl.c, s, i, cl.req.Watts)
		err := placement.Check(cl.c, append(cl.as, a), r)
		if err == nil {
			cl.as = append(cl.as, a)
			cl.onServer[s]++
			cl.inRack[cl.c.Servers[s].Rack] += a.Watts
			cl.domains[cl.domainOf(s)]++
			return true
		}
		var inf *placement.Infeasible
		if errors.As(err, &inf) && rackWide(inf) {
			cl.rackOut[cl.c.Servers[s].Rack] = true
		}
	}
}

// rackWide says whether a refusal holds for every server of the rack: a
// power check, whose room is the rack's, for a replica of declared watts.
func rackWide(inf *placement.Infeasible) bool {
	for _, name := range []string{"rack-power", "feed-failover", "cooling", "hall-budget", "site-budget"} {
		if inf.Rejected[name] > 0 {
			return true
		}
	}
	return false
}

// candidate says whether server s is worth a Check for the next replica:
// not tried yet, in a rack not ruled out, with the CPU, memory and GPUs
// free and the rack's budget room, and under the spread limit — all of
// them things Check requires too, so that none is skipped that Check
// would take.
func (cl *call) candidate(s int) bool {
	if cl.tried[s] {
		return false
	}
	srv := &cl.c.Servers[s]
	if cl.rackOut[srv.Rack] {
		return false
	}
	n := int64(cl.onServer[s])
	if srv.CPUMillicores-srv.UsedCPUMillicores-n*cl.req.CPUMillicores < cl.req.CPUMillicores ||
		srv.MemoryMiB-srv.UsedMemoryMiB-n*cl.req.MemoryMiB < cl.req.MemoryMiB ||
		srv.GPUs-srv.UsedGPUs-int(n)*cl.req.GPUs < cl.req.GPUs {
		return false
	}
	rack := &cl.c.Racks[srv.Rack]
	load := rack.PlacedWatts + cl.inRack[srv.Rack]
	if rack.PeakKnown {
		load = max(load, rack.PeakWatts)
	}
	if rack.BudgetWatts-load-rack.ReservedWatts < cl.req.Watts {
		return false
	}
	done := len(cl.as) + 1
	limit := int(math.Ceil(float64(done) / float64(max(min(cl.eligible, done), 1))))
	return cl.domains[cl.domainOf(s)] < limit
}

// domainOf is server s's spread domain, as the engine keys it.
func (cl *call) domainOf(s int) int {
	k := cl.c.Servers[s].Rack
	switch cl.req.Spread {
	case placement.DomainRack:
		return k
	case placement.DomainRow:
		return cl.c.Racks[k].Row
	case placement.DomainHall:
		return cl.c.Rows[cl.c.Racks[k].Row].Hall
	case placement.DomainFeed:
		f := ""
		if psu := cl.c.Servers[s].PSUFeeds; len(psu) > 0 {
			f = psu[0]
		}
		if _, ok := cl.feeds[f]; !ok {
			cl.feeds[f] = len(cl.feeds)
		}
		return cl.feeds[f]
	}
	return s
}

// eligibleDomains counts the spread domains holding a server big enough
// for one replica (the traces' requests pin nothing and need no label).
func (cl *call) eligibleDomains() int {
	seen := map[int]bool{}
	for s := range cl.c.Servers {
		srv := &cl.c.Servers[s]
		if srv.CPUMillicores >= cl.req.CPUMillicores && srv.MemoryMiB >= cl.req.MemoryMiB && srv.GPUs >= cl.req.GPUs {
			seen[cl.domainOf(s)] = true
		}
	}
	return len(seen)
}

// firstFit offers the servers in the cluster's order, rack by rack.
func firstFit(cl *call) int {
	for ; cl.cursor < len(cl.c.Servers); cl.cursor++ {
		if cl.candidate(cl.cursor) {
			return cl.cursor
		}
	}
	return -1
}

// leastAllocated offers the server that Kubernetes' default scoring
// (NodeResourcesFit, LeastAllocated) ranks first: the largest mean share
// of CPU and memory left free once the replica is on it, the lower server
// ID among equals. Like Kubernetes it does not score GPUs or power; it
// only filters on them.
func leastAllocated(cl *call) int {
	best, bestScore := -1, math.Inf(-1)
	for s := range cl.c.Servers {
		if !cl.candidate(s) {
			continue
		}
		srv := &cl.c.Servers[s]
		n := int64(cl.onServer[s] + 1)
		cpu := float64(srv.CPUMillicores-srv.UsedCPUMillicores-n*cl.req.CPUMillicores) / float64(max(srv.CPUMillicores, 1))
		mem := float64(srv.MemoryMiB-srv.UsedMemoryMiB-n*cl.req.MemoryMiB) / float64(max(srv.MemoryMiB, 1))
		score := (cpu + mem) / 2
		if score > bestScore || score == bestScore && srv.ID < cl.c.Servers[best].ID {
			best, bestScore = s, score
		}
	}
	return best
}
