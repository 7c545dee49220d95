package placement

import (
	"fmt"
	"math"
)

// noPin and missingPin are the values of state.pinHall and state.pinRow
// when the request pins nothing, and when it pins a name the cluster lacks.
const (
	noPin      = -1
	missingPin = -2
)

// state is one Place or Check call: the cluster as given plus the replicas
// the call has placed so far, held as an overlay so that c is never
// written. The overlay stays nil until a replica is placed, so that the
// first replica's search (the only one of most requests) looks nothing up.
type state struct {
	c      *Cluster
	req    *Request
	f      [24]float64 // the request's hourly factors
	flat   bool        // no profile: every factor is 1
	byRack [][]int32   // the servers of each rack, by ID

	// By rack, from the index: what its servers use, the most one of them
	// has free, the share of their resources a unit is, and whether one of
	// them has no GPU.
	rackUsed []usage
	most     []usage
	perUnit  []perUnit
	gpuless  []bool
	peakHour []uint8 // the first hour of its highest hourly load; nil without maxima

	pinHall, pinRow int // indices, or noPin, or missingPin

	rowCap    []float64 // N+1 cooling capacity of each row
	rowLoad   []float64 // sum of the row's rack loads
	hallLoad  []float64
	siteLoad  float64
	maxBudget float64 // largest rack budget, to scale the fit scores

	// rackPower's room of rack roomAt, the last it was asked for; roomAt
	// is -1 when none is kept, as after a hold.
	roomAt int
	room   float64

	// The overlay is sparse, as a call places a few replicas on a few of
	// the cluster's racks: bit k of heldBits says that held has an entry
	// for rack k, so that the racks without one (nearly all) cost one test.
	heldBits []uint64
	held     []heldRack
	used     map[int]usage // server → usage placed by this call
	count    map[int]int   // spread domain key → replicas of this call
	limit    int           // most replicas one spread domain may hold
	feeds    []string      // feed names, interned for the feed domain

	scorers   []weighted       // the engine's rack scorers this request wants
	servers   []weightedServer // and its server scorers
	scorerBuf [4]weighted
	filterBuf [4]rackFilter
	serverBuf [3]weightedServer

	partials *[]partial // pickDeclared's racks, from partialPool

	listAll bool     // list every feasible rack's candidate in all
	all     []choice // for explanations

	// Diagnostics, kept only when diag is set: a decision that fails is
	// made again with diag set to say why.
	diag  bool
	rej   [nConstraints]int // candidates rejected, by constraint
	worst rejection         // the most promising rejected candidate
}

// heldRack is what this call's replicas add to rack k: their watts, its
// hourly load with theirs, and their CPU, memory and GPUs.
type heldRack struct {
	k       int
	placed  float64
	profile [24]float64
	added   usage
}

// heldAt is the overlay's entry for rack k, nil when this call placed
// nothing there. It is valid until the next hold.
func (st *state) heldAt(k int) *heldRack {
	if w := uint(k) >> 6; w >= uint(len(st.heldBits)) || st.heldBits[w]&(1<<(k&63)) == 0 {
		return nil
	}
	for i := range st.held {
		if st.held[i].k == k {
			return &st.held[i]
		}
	}
	return nil
}

// usage is CPU, memory and GPUs: what a server or a rack's servers use, or
// have.
type usage struct {
	cpu, mem int64
	gpus     int
}

func (u *usage) add(cpu, mem int64, gpus int) {
	u.cpu, u.mem, u.gpus = u.cpu+cpu, u.mem+mem, u.gpus+gpus
}

// newState prepares a call on c for req: resolves the pins, sums the loads
// of rows, halls and the site, and sets the spread limit.
func newState(c *Cluster, req *Request) (*state, error) {
	x, used, most, peakHour, err := c.index()
	if err != nil {
		return nil, err
	}
	st := &state{c: c, req: req, f: req.factors(), flat: req.Profile == nil, byRack: x.byRack,
		rackUsed: used, most: most, perUnit: x.perUnit, gpuless: x.gpuless, peakHour: peakHour, roomAt: -1}
	st.pinHall, st.pinRow = st.resolvePins()
	if err := st.sumLoads(); err != nil {
		return nil, err
	}
	st.limit = st.spreadLimit()
	return st, nil
}

func (st *state) resolvePins() (hall, row int) {
	hall, row = noPin, noPin
	if st.req.Hall != "" {
		hall = missingPin
		for i := range st.c.Halls {
			if st.c.Halls[i].ID == st.req.Hall {
				hall = i
				break
			}
		}
	}
	if st.req.Row != "" {
		row = missingPin
		for i := range st.c.Rows {
			if st.c.Rows[i].ID == st.req.Row {
				row = i
				break
			}
		}
	}
	return hall, row
}

// sumLoads computes the loads of rows, halls and the site from their
// racks', and the rows' N+1 cooling capacity.
func (st *state) sumLoads() error {
	c := st.c
	st.rowCap = make([]float64, len(c.Rows))
	st.rowLoad = make([]float64, len(c.Rows))
	st.hallLoad = make([]float64, len(c.Halls))
	for r := range c.Rows {
		if h := c.Rows[r].Hall; h < 0 || h >= len(c.Halls) {
			return fmt.Errorf("row %q: hall %d of %d: %w", c.Rows[r].ID, h, len(c.Halls), ErrTopology)
		}
		st.rowCap[r] = coolingCapacity(c.Rows[r].CoolingWatts)
	}
	for k := range c.Racks {
		r := c.Racks[k].Row
		if r < 0 || r >= len(c.Rows) {
			return fmt.Errorf("rack %q: row %d of %d: %w", c.Racks[k].ID, r, len(c.Rows), ErrTopology)
		}
		l := st.rackLoad(k)
		st.rowLoad[r] += l
		st.hallLoad[c.Rows[r].Hall] += l
		st.siteLoad += l
		st.maxBudget = max(st.maxBudget, c.Racks[k].BudgetWatts)
	}
	return nil
}

// coolingCapacity is what a row's units can cool with the largest one
// down (N+1): their sum minus the largest.
func coolingCapacity(units []float64) float64 {
	var sum, largest float64
	for _, u := range units {
		sum += u
		largest = max(largest, u)
	}
	return sum - largest
}

// declared is max(P + N, D) of rack k: its known measured peak plus the
// declared power placed too recently for the peak to hold it, or its
// declared placed power, whichever is larger. The replicas this call has
// placed count in both: they are new. Stale telemetry changes nothing here:
// a known peak is a committed summary, and declared power never goes away.
func (st *state) declared(k int) float64 {
	r := &st.c.Racks[k]
	by := st.placedBy(k)
	d := r.PlacedWatts + by
	if r.PeakKnown {
		return max(r.PeakWatts+r.PendingWatts+by, d)
	}
	return d
}

// unmeasured is the declared power of rack k that its measured peaks may
// not hold yet: the recent placements' and this call's.
func (st *state) unmeasured(k int) float64 {
	return st.c.Racks[k].PendingWatts + st.placedBy(k)
}

// placedBy is the watts this call placed in rack k.
func (st *state) placedBy(k int) float64 {
	if h := st.heldAt(k); h != nil {
		return h.placed
	}
	return 0
}

// rackLoad is the load L = max(P, D) + R of rack k.
func (st *state) rackLoad(k int) float64 {
	return st.declared(k) + st.c.Racks[k].ReservedWatts
}

// rowOf and hallOf give the row and hall of rack k.
func (st *state) rowOf(k int) int  { return st.c.Racks[k].Row }
func (st *state) hallOf(k int) int { return st.c.Rows[st.c.Racks[k].Row].Hall }

// free is what is left of server s's CPU, memory and GPUs.
func (st *state) free(s int) usage {
	srv := &st.c.Servers[s]
	var u usage
	if st.used != nil && st.heldAt(srv.Rack) != nil {
		u = st.used[s]
	}
	return usage{
		cpu:  srv.CPUMillicores - srv.UsedCPUMillicores - u.cpu,
		mem:  srv.MemoryMiB - srv.UsedMemoryMiB - u.mem,
		gpus: srv.GPUs - srv.UsedGPUs - u.gpus,
	}
}

// scarcest is the largest share of a resource of rack k's servers (CPU,
// memory, or GPUs when they have some) in use once one more replica is
// on them, this call's replicas included: the resource the rack would run
// out of first.
func (st *state) scarcest(k int) float64 {
	u, per := st.rackUsed[k], &st.perUnit[k]
	if h := st.heldAt(k); h != nil {
		u.add(h.added.cpu, h.added.mem, h.added.gpus)
	}
	u.add(st.req.CPUMillicores, st.req.MemoryMiB, st.req.GPUs)
	share := float64(u.cpu) * per.cpu
	if m := float64(u.mem) * per.mem; m > share { // plain compares: this runs for every rack
		share = m
	}
	if g := float64(u.gpus) * per.gpus; g > share {
		share = g
	}
	return share
}

// rackProfile is the hourly declared load of rack k, this call's included.
func (st *state) rackProfile(k int) *[24]float64 {
	if h := st.heldAt(k); h != nil {
		return &h.profile
	}
	return &st.c.Racks[k].ProfileWatts
}

// assign returns the Assignment of one replica of w watts on server s and,
// when more replicas follow, adds it to the overlay for them.
func (st *state) assign(replica, s int, w float64, more bool) Assignment {
	srv := &st.c.Servers[s]
	k := srv.Rack
	if more {
		st.hold(s, w)
	}
	row, hall := st.rowOf(k), st.hallOf(k)
	return Assignment{Replica: replica, Server: srv.ID, Rack: st.c.Racks[k].ID, Row: st.c.Rows[row].ID,
		Hall: st.c.Halls[hall].ID, Feeds: append([]string(nil), srv.PSUFeeds...), Watts: w}
}

// hold adds one replica of w watts on server s to the overlay: the
// server's usage, its rack's placed watts and hourly load, the loads of its
// row, hall and the site, and the count of its spread domain.
func (st *state) hold(s int, w float64) {
	st.roomAt = -1 // the rack's declared power changes
	k := st.c.Servers[s].Rack
	if st.used == nil {
		st.used, st.count = map[int]usage{}, map[int]int{}
		st.heldBits = make([]uint64, (len(st.c.Racks)+63)/64)
	}
	before := st.rackLoad(k)
	h := st.heldAt(k)
	if h == nil {
		st.held = append(st.held, heldRack{k: k, profile: st.c.Racks[k].ProfileWatts})
		st.heldBits[k>>6] |= 1 << (k & 63)
		h = &st.held[len(st.held)-1]
	}
	u := st.used[s]
	u.add(st.req.CPUMillicores, st.req.MemoryMiB, st.req.GPUs)
	st.used[s] = u
	h.added.add(st.req.CPUMillicores, st.req.MemoryMiB, st.req.GPUs)
	for i := range h.profile {
		h.profile[i] += w * st.f[i]
	}
	h.placed += w
	delta := st.rackLoad(k) - before
	st.rowLoad[st.rowOf(k)] += delta
	st.hallLoad[st.hallOf(k)] += delta
	st.siteLoad += delta
	if key, ok := st.domainOf(s); ok {
		st.count[key]++
	}
}

// domainOf is the spread domain key of server s, false when s is in no
// domain (a server without PSUs, spread by feed).
func (st *state) domainOf(s int) (int, bool) {
	k := st.c.Servers[s].Rack
	switch st.req.spread() {
	case DomainRack:
		return k, true
	case DomainRow:
		return st.rowOf(k), true
	case DomainHall:
		return st.hallOf(k), true
	case DomainFeed:
		return st.feedKey(s)
	}
	return s, true
}

// feedKey interns the feed of server s's first PSU.
func (st *state) feedKey(s int) (int, bool) {
	feeds := st.c.Servers[s].PSUFeeds
	if len(feeds) == 0 {
		return 0, false
	}
	for i, f := range st.feeds {
		if f == feeds[0] {
			return i, true
		}
	}
	st.feeds = append(st.feeds, feeds[0])
	return len(st.feeds) - 1, true
}

// spreadLimit is ceil(replicas / eligible domains): the most replicas of
// the request one domain may hold. One replica needs no count.
func (st *state) spreadLimit() int {
	n := st.req.Replicas
	if n <= 1 {
		return 1
	}
	d := st.eligibleDomains(n)
	if d == 0 {
		return n // nothing is eligible; the filters say why
	}
	return int(math.Ceil(float64(n) / float64(d)))
}

// eligibleDomains counts the domains holding a server that passes the
// request's static filters, stopping at enough: beyond it the limit is 1.
func (st *state) eligibleDomains(enough int) int {
	seen := map[int]bool{}
	for k := range st.c.Racks {
		if !staticRack(st, k) {
			continue
		}
		for _, s := range st.byRack[k] {
			if st.c.Servers[s].Rack != k || !staticServer(st, int(s)) {
				continue
			}
			if key, ok := st.domainOf(int(s)); ok {
				seen[key] = true
			}
			if len(seen) >= enough {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// release returns the call's buffers to their pool.
func (st *state) release() {
	if st.partials != nil {
		partialPool.Put(st.partials)
		st.partials = nil
	}
}
