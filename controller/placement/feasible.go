package placement

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// constraint is a hard limit a candidate may fail.
type constraint int

// The hard limits, in no particular order; constraintNames gives their
// names in Infeasible.Rejected.
const (
	cPin constraint = iota
	cLabels
	cBothFeeds
	cSpread
	cRackPower
	cFeedFailover
	cCooling
	cHallBudget
	cSiteBudget
	cCPU
	cMemory
	cGPUs
	cWatts
	nConstraints
)

var constraintNames = [nConstraints]string{
	cPin: "pin", cLabels: "labels", cBothFeeds: "both-feeds", cSpread: "spread",
	cRackPower: "rack-power", cFeedFailover: "feed-failover", cCooling: "cooling",
	cHallBudget: "hall-budget", cSiteBudget: "site-budget",
	cCPU: "cpu", cMemory: "memory", cGPUs: "gpus", cWatts: "watts",
}

func (c constraint) String() string { return constraintNames[c] }

// rackFilter rules a rack in or out whatever the replica's watts.
type rackFilter interface {
	constraint() constraint
	// feasible says whether rack k may take a replica of the request.
	feasible(st *state, k int) bool
	// explain says why rack k may not.
	explain(st *state, k int) string
	// idle says whether feasible lets every rack through in this call,
	// so that a search that counts no rejection need not ask.
	idle(st *state) bool
}

// serverFilter rules a server in or out.
type serverFilter interface {
	constraint() constraint
	// feasible says whether server s may take a replica, and when not,
	// by how much it misses (0 when that is not a quantity).
	feasible(st *state, s int) (ok bool, short float64)
	// explain says why server s may not.
	explain(st *state, s int) string
}

// pinFilter keeps the racks of the hall and row the request pins.
type pinFilter struct{}

func (pinFilter) constraint() constraint { return cPin }

func (pinFilter) feasible(st *state, k int) bool {
	return (st.pinHall == noPin || st.pinHall == st.hallOf(k)) &&
		(st.pinRow == noPin || st.pinRow == st.rowOf(k))
}

func (pinFilter) idle(st *state) bool { return st.pinHall == noPin && st.pinRow == noPin }

func (pinFilter) explain(st *state, k int) string {
	row, hall := st.c.Rows[st.rowOf(k)].ID, st.c.Halls[st.hallOf(k)].ID
	if st.pinHall != noPin && st.pinHall != st.hallOf(k) {
		return fmt.Sprintf("%s is in hall %s; the request is pinned to hall %s", st.c.Racks[k].ID, hall, st.req.Hall)
	}
	return fmt.Sprintf("%s is in row %s; the request is pinned to row %s", st.c.Racks[k].ID, row, st.req.Row)
}

// labelFilter keeps the racks that carry every label the request requires.
type labelFilter struct{}

func (labelFilter) constraint() constraint { return cLabels }

func (labelFilter) feasible(st *state, k int) bool {
	if len(st.req.Labels) == 0 {
		return true
	}
	have := st.c.Racks[k].Labels
	for key, want := range st.req.Labels {
		if v, ok := have[key]; !ok || v != want {
			return false
		}
	}
	return true
}

func (labelFilter) idle(st *state) bool { return len(st.req.Labels) == 0 }

func (labelFilter) explain(st *state, k int) string {
	have := st.c.Racks[k].Labels
	for _, key := range slices.Sorted(maps.Keys(st.req.Labels)) {
		want := st.req.Labels[key]
		if v, ok := have[key]; !ok {
			return fmt.Sprintf("%s has no label %s (the request requires %s=%s)", st.c.Racks[k].ID, key, key, want)
		} else if v != want {
			return fmt.Sprintf("%s has %s=%s; the request requires %s=%s", st.c.Racks[k].ID, key, v, key, want)
		}
	}
	return st.c.Racks[k].ID + " has the required labels"
}

// twoFeeds returns the two feeds of a 2N rack, false unless it has exactly
// two distinct ones.
func twoFeeds(r *Rack) (a, b string, ok bool) {
	if len(r.Feeds) != 2 || r.Feeds[0] == r.Feeds[1] {
		return "", "", false
	}
	return r.Feeds[0], r.Feeds[1], true
}

// rackFeedsFilter keeps, for a request that needs both feeds, the racks
// with two feeds.
type rackFeedsFilter struct{}

func (rackFeedsFilter) constraint() constraint { return cBothFeeds }

func (rackFeedsFilter) feasible(st *state, k int) bool {
	if !st.req.BothFeeds {
		return true
	}
	_, _, ok := twoFeeds(&st.c.Racks[k])
	return ok
}

func (rackFeedsFilter) idle(st *state) bool { return !st.req.BothFeeds }

func (rackFeedsFilter) explain(st *state, k int) string {
	r := &st.c.Racks[k]
	return fmt.Sprintf("%s has feeds [%s]; the request needs two distinct feeds", r.ID, strings.Join(r.Feeds, " "))
}

// serverFeedsFilter keeps, for a request that needs both feeds, the
// servers whose PSUs are on both of their rack's feeds.
type serverFeedsFilter struct{}

func (serverFeedsFilter) constraint() constraint { return cBothFeeds }

func (serverFeedsFilter) feasible(st *state, s int) (bool, float64) {
	if !st.req.BothFeeds {
		return true, 0
	}
	a, b, ok := twoFeeds(&st.c.Racks[st.c.Servers[s].Rack])
	psus := st.c.Servers[s].PSUFeeds
	return ok && slices.Contains(psus, a) && slices.Contains(psus, b), 0
}

func (serverFeedsFilter) explain(st *state, s int) string {
	srv := &st.c.Servers[s]
	r := &st.c.Racks[srv.Rack]
	return fmt.Sprintf("%s: PSUs on feeds [%s], rack %s has feeds [%s]; the request needs PSUs on both",
		srv.ID, strings.Join(srv.PSUFeeds, " "), r.ID, strings.Join(r.Feeds, " "))
}

// resourceFilter keeps the servers with enough free CPU, memory or GPUs:
// one type, one resource per instance.
type resourceFilter struct{ c constraint }

func (f resourceFilter) constraint() constraint { return f.c }

// need returns what the request needs of the resource, what server s has
// free of it and its capacity.
func (f resourceFilter) need(st *state, s int) (need, free, capacity int64) {
	fr, srv := st.free(s), &st.c.Servers[s]
	switch f.c {
	case cCPU:
		return st.req.CPUMillicores, fr.cpu, srv.CPUMillicores
	case cMemory:
		return st.req.MemoryMiB, fr.mem, srv.MemoryMiB
	}
	return int64(st.req.GPUs), int64(fr.gpus), int64(srv.GPUs)
}

func (f resourceFilter) feasible(st *state, s int) (bool, float64) {
	need, free, _ := f.need(st, s)
	return need == 0 || need <= free, float64(need - free)
}

func (f resourceFilter) explain(st *state, s int) string {
	need, free, capacity := f.need(st, s)
	unit := map[constraint]string{cCPU: "millicores", cMemory: "MiB", cGPUs: "GPUs"}[f.c]
	return fmt.Sprintf("%s: the replica needs %d %s, %d of %d are free", st.c.Servers[s].ID, need, unit, free, capacity)
}

// staticRack says whether rack k passes the filters that do not depend on
// usage: those that decide which spread domains are eligible.
func staticRack(st *state, k int) bool {
	return pinFilter{}.feasible(st, k) && labelFilter{}.feasible(st, k) && rackFeedsFilter{}.feasible(st, k)
}

// staticServer says whether server s passes the filters that do not depend
// on usage: two feeds when needed, and the capacity for one replica.
func staticServer(st *state, s int) bool {
	srv := &st.c.Servers[s]
	ok, _ := serverFeedsFilter{}.feasible(st, s)
	return ok && srv.CPUMillicores >= st.req.CPUMillicores && srv.MemoryMiB >= st.req.MemoryMiB &&
		srv.GPUs >= st.req.GPUs
}

// rackSpread keeps the racks whose rack, row or hall holds fewer than the
// spread limit of the request's replicas, when it spreads over one of those.
type rackSpread struct{}

func (rackSpread) constraint() constraint { return cSpread }

func (rackSpread) feasible(st *state, k int) bool {
	if st.count == nil {
		return true // nothing placed yet
	}
	key, ok := rackDomain(st, k)
	return !ok || st.count[key] < st.limit
}

func (rackSpread) idle(st *state) bool { return st.count == nil }

func (rackSpread) explain(st *state, k int) string {
	key, _ := rackDomain(st, k)
	return spreadText(st, st.c.Racks[k].ID, st.count[key])
}

// rackDomain is the spread key of rack k, false when the request spreads
// over servers or feeds.
func rackDomain(st *state, k int) (int, bool) {
	switch st.req.spread() {
	case DomainRack:
		return k, true
	case DomainRow:
		return st.rowOf(k), true
	case DomainHall:
		return st.hallOf(k), true
	}
	return 0, false
}

// serverSpread keeps the servers whose server or feed holds fewer than the
// spread limit of the request's replicas, when it spreads over one of those.
type serverSpread struct{}

func (serverSpread) constraint() constraint { return cSpread }

func (serverSpread) feasible(st *state, s int) (bool, float64) {
	if st.count == nil && st.req.spread() == DomainServer {
		return true, 0 // nothing placed yet
	}
	switch st.req.spread() {
	case DomainServer, DomainFeed:
		key, ok := st.domainOf(s)
		return ok && st.count[key] < st.limit, 0
	}
	return true, 0
}

func (serverSpread) explain(st *state, s int) string {
	key, ok := st.domainOf(s)
	if !ok {
		return st.c.Servers[s].ID + " has no PSU, so no feed to spread over"
	}
	return spreadText(st, st.c.Servers[s].ID, st.count[key])
}

func spreadText(st *state, where string, held int) string {
	return fmt.Sprintf("%s: its %s already holds %d of the %d replicas; spread by %s allows at most %d per %s",
		where, st.req.spread(), held, st.req.Replicas, st.req.spread(), st.limit, st.req.spread())
}
