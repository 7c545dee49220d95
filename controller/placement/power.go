package placement

import (
	"fmt"
	"math"
	"strconv"
)

// Derate is the share of a breaker's rating a continuous load may use.
const Derate = 0.8

// powerCheck is a power limit: it says how many more watts a rack may take
// under it. A replica of w watts fits when w ≤ room for every check.
type powerCheck interface {
	constraint() constraint
	// room is the watts rack k may still take under the limit; -Inf when
	// it can take nothing at all, +Inf when the limit does not apply.
	room(st *state, k int) float64
	// explain says why w watts more do not fit in rack k.
	explain(st *state, k int, w float64) string
}

// rackPower is the rack's own budget: headroom B − max(P, D) − R.
type rackPower struct{}

func (rackPower) constraint() constraint { return cRackPower }

func (rackPower) room(st *state, k int) float64 {
	if k == st.roomAt { // asked by the scorers and the check in turn
		return st.room
	}
	r := &st.c.Racks[k]
	room := math.Inf(-1)
	// Unless its draw is unknown: never measured, or not since the peak
	// history began. Counting only what was declared would count the rest
	// as free.
	if !r.Stale || r.PeakKnown {
		room = r.BudgetWatts - st.declared(k) - r.ReservedWatts
	}
	st.roomAt, st.room = k, room
	return room
}

func (rackPower) explain(st *state, k int, w float64) string {
	r := &st.c.Racks[k]
	if r.Stale && !r.PeakKnown {
		return fmt.Sprintf("%s: its draw is unknown (live telemetry stale and no peak recorded), so it takes nothing", r.ID)
	}
	d := r.PlacedWatts + st.placedBy(k)
	peak := kW(r.PeakWatts)
	if u := st.unmeasured(k); u > 0 {
		peak = fmt.Sprintf("%s + %s placed since", peak, kW(u))
	}
	basis := fmt.Sprintf("declared %s", kW(d))
	switch {
	case r.PeakKnown && r.Stale:
		basis = fmt.Sprintf("max(24 h peak %s, declared %s); live telemetry stale", peak, kW(d))
	case r.PeakKnown:
		basis = fmt.Sprintf("max(peak %s, declared %s)", peak, kW(d))
	case r.Stale:
		basis = fmt.Sprintf("declared %s; live telemetry stale and no peak known", kW(d))
	}
	load, budget := kWPair(st.declared(k)+r.ReservedWatts+w, r.BudgetWatts)
	return fmt.Sprintf("%s: the rack would draw %s > its budget %s (%s + reserved %s + replica %s)",
		r.ID, load, budget, basis, kW(r.ReservedWatts), kW(w))
}

// feedFailover is 2N: whichever feed fails, every phase of the surviving
// feed's PDUs carries its share of the whole rack within Derate of its
// breaker (see the package comment for the per-phase model).
type feedFailover struct{}

func (feedFailover) constraint() constraint { return cFeedFailover }

func (feedFailover) room(st *state, k int) float64 {
	room, _ := failover(st, k)
	return room
}

func (feedFailover) explain(st *state, k int, w float64) string {
	_, at := failover(st, k)
	r := &st.c.Racks[k]
	if at.pdu < 0 {
		return fmt.Sprintf("%s: feed %s has no PDU to carry the rack if feed %s fails", r.ID, at.feed, at.failed)
	}
	p := &r.PDUs[at.pdu]
	load, capacity := kWPair(at.load+w/float64(at.n), at.capacity)
	return fmt.Sprintf("%s: phase L%d of feed %s (PDU %s) would carry %s > %s (80 %% of %s A × %s V) if feed %s fails",
		r.ID, at.phase+1, at.feed, p.ID, load, capacity, num(p.BreakerA), num(p.VoltageV), at.failed)
}

// phaseAt is the most loaded surviving phase of a rack after a feed fails.
type phaseAt struct {
	failed, feed   string // the failed feed and the surviving one
	pdu, phase     int    // pdu is -1 when the surviving feed has none
	n              int    // phases of the surviving feed
	load, capacity float64
}

// failover returns the room of rack k under "either feed fails" and the
// phase that bounds it. A rack without two feeds has no failover limit.
func failover(st *state, k int) (float64, phaseAt) {
	a, b, ok := twoFeeds(&st.c.Racks[k])
	if !ok {
		return math.Inf(1), phaseAt{pdu: -1}
	}
	room, at := surviving(st, k, a, b)
	if r2, at2 := surviving(st, k, b, a); below(r2, room) {
		room, at = r2, at2
	}
	return room, at
}

// surviving returns the room of rack k when feed failed is down and feed
// feed carries it all, and the phase that bounds it.
func surviving(st *state, k int, failed, feed string) (float64, phaseAt) {
	r := &st.c.Racks[k]
	at := phaseAt{failed: failed, feed: feed, pdu: -1}
	var moved float64 // the failed feed's measured load, moving over
	for i := range r.PDUs {
		switch p := &r.PDUs[i]; p.Feed {
		case feed:
			at.n += phases(p)
		case failed:
			for j := range phases(p) {
				moved += measured(p, j)
			}
		}
	}
	if at.n == 0 {
		return math.Inf(-1), at
	}
	n := float64(at.n)
	declared, reserved, recent := st.declared(k)/n, r.ReservedWatts/n, st.unmeasured(k)/n
	slack := math.Inf(1)
	for i := range r.PDUs {
		p := &r.PDUs[i]
		if p.Feed != feed {
			continue
		}
		capacity := p.VoltageV * p.BreakerA * Derate
		for j := range phases(p) {
			load := max(measured(p, j)+moved/n+recent, declared) + reserved
			if s := capacity - load; below(s, slack) {
				slack, at.pdu, at.phase, at.load, at.capacity = s, i, j, load, capacity
			}
		}
	}
	return slack * n, at
}

// below says whether a is below b, a NaN being below everything so that a
// broken figure never passes for room.
func below(a, b float64) bool { return a < b || (a != a && b == b) }

// phases is the number of phases of a PDU, 1 when not given.
func phases(p *PDU) int {
	if p.Phases < 1 {
		return 1
	}
	return p.Phases
}

// measured is the measured peak of phase j of a PDU, 0 when unknown.
func measured(p *PDU, j int) float64 {
	if len(p.PhasePeakWatts) != phases(p) {
		return 0
	}
	return p.PhasePeakWatts[j]
}

// cooling is the row's N+1 cooling: its load within the capacity of its
// units less the largest.
type cooling struct{}

func (cooling) constraint() constraint { return cCooling }

func (cooling) room(st *state, k int) float64 {
	r := st.rowOf(k)
	return st.rowCap[r] - st.rowLoad[r]
}

func (cooling) explain(st *state, k int, w float64) string {
	r := st.rowOf(k)
	units := st.c.Rows[r].CoolingWatts
	var sum, largest float64
	for _, u := range units {
		sum, largest = sum+u, max(largest, u)
	}
	load, capacity := kWPair(st.rowLoad[r]+w, st.rowCap[r])
	return fmt.Sprintf("%s: row %s would carry %s > its N+1 cooling %s (%d units, %s less the largest %s)",
		st.c.Racks[k].ID, st.c.Rows[r].ID, load, capacity, len(units), kW(sum), kW(largest))
}

// hallBudget is the hall's supply: the sum of its racks' loads within its
// budget, when it has one.
type hallBudget struct{}

func (hallBudget) constraint() constraint { return cHallBudget }

func (hallBudget) room(st *state, k int) float64 {
	h := st.hallOf(k)
	if b := st.c.Halls[h].BudgetWatts; b != 0 {
		return b - st.hallLoad[h]
	}
	return math.Inf(1)
}

func (hallBudget) explain(st *state, k int, w float64) string {
	h := st.hallOf(k)
	load, budget := kWPair(st.hallLoad[h]+w, st.c.Halls[h].BudgetWatts)
	return fmt.Sprintf("%s: hall %s would carry %s > its budget %s", st.c.Racks[k].ID, st.c.Halls[h].ID, load, budget)
}

// siteBudget is the site's supply, when it has a budget of its own.
type siteBudget struct{}

func (siteBudget) constraint() constraint { return cSiteBudget }

func (siteBudget) room(st *state, _ int) float64 {
	if b := st.c.SiteBudgetWatts; b != 0 {
		return b - st.siteLoad
	}
	return math.Inf(1)
}

func (siteBudget) explain(st *state, k int, w float64) string {
	load, budget := kWPair(st.siteLoad+w, st.c.SiteBudgetWatts)
	return fmt.Sprintf("%s: the site would carry %s > its budget %s", st.c.Racks[k].ID, load, budget)
}

// kW formats watts as kilowatts with two decimals.
func kW(w float64) string { return strconv.FormatFloat(w/1000, 'f', 2, 64) + " kW" }

// kWPair formats a load and its limit with as many decimals (up to
// milliwatts) as it takes to tell them apart.
func kWPair(load, limit float64) (string, string) {
	for d := 2; ; d++ {
		a, b := strconv.FormatFloat(load/1000, 'f', d, 64), strconv.FormatFloat(limit/1000, 'f', d, 64)
		if a != b || d == 6 {
			return a + " kW", b + " kW"
		}
	}
}

// num formats a rating without trailing zeros.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
