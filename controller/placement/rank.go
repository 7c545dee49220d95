package placement

// scorer rates a feasible candidate rack for a replica of w watts. Scores
// are in [0, 1], higher being better; the engine adds them up weighted.
type scorer interface {
	// name is the scorer's key in Candidate.Scores.
	name() string
	// wants says whether the scorer rates candidates for req.
	wants(req *Request) bool
	score(st *state, k int, w float64) float64
}

// weighted is a scorer and its weight in the final score.
type weighted struct {
	scorer
	weight float64
}

// serverScorer rates a feasible server of a candidate rack for a replica.
// Scores are in [0, 1], higher being better, and add to the rack's.
type serverScorer interface {
	// name is the scorer's key in Candidate.Scores.
	name() string
	// wants says whether the scorer rates servers for req.
	wants(req *Request) bool
	score(st *state, s int) float64
	// most is the highest score a server of rack k can get, so that a
	// rack that cannot beat the best candidate is passed over unvisited.
	most(st *state, k int) float64
}

// weightedServer is a server scorer and its weight in the final score.
type weightedServer struct {
	serverScorer
	weight float64
}

// headroomAfter is the share of the largest rack budget that rack k would
// have left after a replica of w watts: in [0, 1] for a rack it fits.
func headroomAfter(st *state, k int, w float64) float64 {
	if !(st.maxBudget > 0) {
		return 0
	}
	h := (rackPower{}.room(st, k) - w) / st.maxBudget
	switch { // plain compares: this runs for every rack
	case h > 1:
		return 1
	case h > 0:
		return h
	}
	return 0
}

// binpack prefers the rack with the least headroom left after the replica
// (best fit), so that racks fill up and whole racks stay free: the least
// power is stranded in half-used racks.
type binpack struct{}

func (binpack) name() string { return StrategyBinpack }

func (binpack) wants(req *Request) bool { return req.Strategy != StrategySpread }

func (binpack) score(st *state, k int, w float64) float64 { return 1 - headroomAfter(st, k, w) }

// spreadScore prefers the rack with the most headroom left after the
// replica, as Kubernetes' least-allocated scoring does.
type spreadScore struct{}

func (spreadScore) name() string { return StrategySpread }

func (spreadScore) wants(req *Request) bool { return req.Strategy == StrategySpread }

func (spreadScore) score(st *state, k int, w float64) float64 { return headroomAfter(st, k, w) }

// peakDecorrelation avoids stacking on one rack workloads whose daily peaks
// coincide. For a rack's hourly load P and the replica's w·f, the penalty
// (max_h(P[h] + w·f[h]) − max_h P[h]) / w is 0 when the replica's peak
// falls in the rack's trough and 1 when it lands on the rack's peak; the
// score is 1 − penalty.
type peakDecorrelation struct{}

func (peakDecorrelation) name() string { return "peak" }

func (peakDecorrelation) wants(*Request) bool { return true }

func (peakDecorrelation) score(st *state, k int, w float64) float64 {
	if st.flat || !(w > 0) {
		return 0 // a flat profile raises every rack's peak by all of w
	}
	p := st.rackProfile(k)
	var before, after float64
	for h := range p { // plain compares: this loop runs for every rack
		if p[h] > before {
			before = p[h]
		}
		if x := p[h] + w*st.f[h]; x > after {
			after = x
		}
	}
	return peakScore(before, after, w)
}

// peakScore is 1 − the penalty of a replica of w watts that raises a
// rack's highest hourly load from before to after.
func peakScore(before, after, w float64) float64 {
	return 1 - min(max((after-before)/w, 0), 1)
}

// peakMost is the most peakDecorrelation may score rack k for a replica of
// w watts, from the rack's peak hour alone: the replica raises that hour
// to at least p[h] + w·f[h], computed as score computes it, and every step
// from there (a larger after, the subtraction, the division, the clamp) is
// monotone in floating point too, so score ≤ peakMost exactly, not only
// up to rounding. The peak hour comes from the cluster's index (see
// Cluster.peakHour), or from a walk of the profile of a rack without it or
// holding this call's replicas.
func peakMost(st *state, k int, w float64) float64 {
	if st.flat || !(w > 0) {
		return 0
	}
	var p *[24]float64
	var at uint8
	if h := st.heldAt(k); h != nil || st.peakHour == nil {
		p = st.rackProfile(k)
		at = peakHourOf(p)
	} else {
		p, at = &st.c.Racks[k].ProfileWatts, st.peakHour[k]
	}
	var before float64
	if p[at] > before { // as score finds before
		before = p[at]
	}
	return peakScore(before, p[at]+w*st.f[at], w)
}

// balance prefers the rack whose power and resources stay in step: the
// share of its power replicas may draw (budget less reservations) that
// they draw once the replica is on it, close to the share of its scarcest
// resource in use (see state.scarcest). A rack that runs out of CPU,
// memory or GPUs with power left strands that power, and one that runs
// out of power with resources left strands those; the score is
// 1 − |power share − resource share|.
type balance struct{}

func (balance) name() string { return "balance" }

func (balance) wants(*Request) bool { return true }

func (balance) score(st *state, k int, w float64) float64 {
	r := &st.c.Racks[k]
	b := r.BudgetWatts - r.ReservedWatts
	if !(b > 0) {
		return 0
	}
	power := 1 - (rackPower{}.room(st, k)-w)/b // +Inf when the rack takes nothing
	d := power - st.scarcest(k)
	if d < 0 {
		d = -d
	}
	if !(d < 1) { // NaN too
		return 0
	}
	return 1 - d
}

// gpuKeep keeps GPU servers for the replicas that need GPUs: a replica
// asking for none scores 1 on a server without GPUs and 0 on one with, so
// that it takes a GPU server's CPU and memory only when no other server
// fits, or when the rack scores weigh more.
type gpuKeep struct{}

func (gpuKeep) name() string { return "gpus" }

func (gpuKeep) wants(req *Request) bool { return req.GPUs == 0 }

func (gpuKeep) score(st *state, s int) float64 {
	if st.c.Servers[s].GPUs > 0 {
		return 0
	}
	return 1
}

func (gpuKeep) most(st *state, k int) float64 {
	if st.gpuless[k] {
		return 1
	}
	return 0
}

// keepRoom keeps room on GPU servers for a typical workload: it prefers
// the server that a replica asking for GPUs leaves either with none of its
// GPUs free or able to take the typical workload whole (its GPUs, CPU and
// memory; the median replica placed so far by declared watts, see
// workloads), so that what is left of a GPU server is not a fragment no
// typical workload can use, whose rack's power would be stranded with it.
// A server left with such a fragment scores 0, any other 1. When the
// typical workload asks for no GPU, or nothing is placed yet, the replica
// itself stands for it: a server keeps room for another like it.
type keepRoom struct{}

func (keepRoom) name() string { return "room" }

func (keepRoom) wants(req *Request) bool { return req.GPUs > 0 }

func (keepRoom) score(st *state, s int) float64 {
	f, r := st.free(s), st.req
	if f.gpus == r.GPUs {
		return 1 // all its GPUs taken: nothing left to fragment
	}
	t := st.c.placed.typical
	if t.gpus <= 0 {
		t = shapeOf(r, r.Watts)
	}
	if f.gpus-r.GPUs >= t.gpus && f.cpu-r.CPUMillicores >= t.cpu && f.mem-r.MemoryMiB >= t.mem {
		return 1
	}
	return 0
}

func (keepRoom) most(*state, int) float64 { return 1 }
