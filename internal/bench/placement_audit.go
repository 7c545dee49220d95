package bench

import (
	"errors"
	"fmt"
	"time"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/internal/inventory"
)

// siteCluster is the placement engine's view of site exactly as a controller
// builds it: the site goes through the Raft state machine's PutSite (the
// same validation and the same topology code) and comes back as the
// committed state's cluster, with no usage.
func siteCluster(site *inventory.Site) (*placement.Cluster, error) {
	m := state.New()
	if _, err := m.Apply(1, state.PutSite{Site: site, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		return nil, fmt.Errorf("bench: site %s: %w", site.Name, err)
	}
	_, c := m.Cluster()
	if c == nil {
		return nil, errors.New("bench: the state machine built no cluster")
	}
	return c, nil
}

// serverIndex maps server IDs to their index in c.Servers.
func serverIndex(c *placement.Cluster) map[string]int {
	m := make(map[string]int, len(c.Servers))
	for i := range c.Servers {
		m[c.Servers[i].ID] = i
	}
	return m
}

// used is one replica as an audit counts it: the server it runs on (an
// index of the cluster's Servers) and what it declared.
type used struct {
	server int
	watts  float64
	cpu    int64
	mem    int64
	gpus   int
}

// AuditResult counts the hard limits that the placed replicas break, each
// recomputed from the replicas alone, without the placement package: a
// rack's load is its baseline (the servers' idle draw in the replays, 0
// through the API) plus the declared watts of its replicas; no measured
// peak is known in a benchmark, so that is the whole of max(P, D) + R.
type AuditResult struct {
	Replicas int `json:"replicas"`
	// RackBudget counts racks whose load exceeds their budget.
	RackBudget int `json:"racks_over_budget"`
	// FeedLoss counts racks fed 2N that would break on the loss of either
	// feed: the load split evenly over the surviving feed's phases exceeds
	// some phase's V × A × 0.8.
	FeedLoss int `json:"racks_breaking_on_feed_loss"`
	// Cooling counts rows whose load exceeds their units' capacity minus
	// the largest unit (N+1).
	Cooling int `json:"rows_over_n1_cooling"`
	// Budgets counts halls and the site over a budget they declare.
	Budgets int `json:"halls_or_site_over_budget"`
	// Servers counts servers whose replicas ask more CPU, memory or GPUs
	// than they have.
	Servers int `json:"servers_over_capacity"`
}

// Violations is the number of limits broken, of every kind.
func (a AuditResult) Violations() int {
	return a.RackBudget + a.FeedLoss + a.Cooling + a.Budgets + a.Servers
}

// auditTolerance absorbs the order in which float sums are made; every
// declared watt in the benchmarks is whole, so any real excess is ≥ 1 W.
const auditTolerance = 1e-6

// audit recomputes every hard limit of c's topology (budgets, PDUs,
// cooling units, server capacities; c's usage fields are ignored) for the
// replicas rs on top of base, the baseline watts of each rack (nil: none).
func audit(c *placement.Cluster, base []float64, rs []used) AuditResult {
	res := AuditResult{Replicas: len(rs)}
	load := make([]float64, len(c.Racks))
	copy(load, base)
	type capacity struct {
		cpu, mem int64
		gpus     int
	}
	srv := make([]capacity, len(c.Servers))
	for _, r := range rs {
		load[c.Servers[r.server].Rack] += r.watts
		s := &srv[r.server]
		s.cpu, s.mem, s.gpus = s.cpu+r.cpu, s.mem+r.mem, s.gpus+r.gpus
	}
	for i, s := range srv {
		cs := &c.Servers[i]
		if s.cpu > cs.CPUMillicores || s.mem > cs.MemoryMiB || s.gpus > cs.GPUs {
			res.Servers++
		}
	}
	rows, halls := make([]float64, len(c.Rows)), make([]float64, len(c.Halls))
	var site float64
	for k := range c.Racks {
		rack := &c.Racks[k]
		if load[k] > rack.BudgetWatts+auditTolerance {
			res.RackBudget++
		}
		if !survivesFeedLoss(rack, load[k]) {
			res.FeedLoss++
		}
		rows[rack.Row] += load[k]
		halls[c.Rows[rack.Row].Hall] += load[k]
		site += load[k]
	}
	for r := range c.Rows {
		if rows[r] > n1Cooling(c.Rows[r].CoolingWatts)+auditTolerance {
			res.Cooling++
		}
	}
	for h := range c.Halls {
		if b := c.Halls[h].BudgetWatts; b > 0 && halls[h] > b+auditTolerance {
			res.Budgets++
		}
	}
	if b := c.SiteBudgetWatts; b > 0 && site > b+auditTolerance {
		res.Budgets++
	}
	return res
}

// survivesFeedLoss says whether a rack carrying load watts stays within
// every surviving phase's derated breaker when any one of its feeds fails.
// A rack on one feed has no failover to survive.
func survivesFeedLoss(rack *placement.Rack, load float64) bool {
	if len(rack.Feeds) < 2 {
		return true
	}
	for _, failed := range rack.Feeds {
		phases, lowest := 0, -1.0
		for _, p := range rack.PDUs {
			if p.Feed == failed {
				continue
			}
			n := max(p.Phases, 1)
			phases += n
			if c := p.VoltageV * p.BreakerA * inventory.DerateFactor; lowest < 0 || c < lowest {
				lowest = c
			}
		}
		if phases == 0 {
			if load > 0 {
				return false
			}
			continue
		}
		if load/float64(phases) > lowest+auditTolerance {
			return false
		}
	}
	return true
}

// n1Cooling is what a row's units cool with the largest one down.
func n1Cooling(units []float64) float64 {
	var sum, largest float64
	for _, u := range units {
		sum += u
		largest = max(largest, u)
	}
	return sum - largest
}
