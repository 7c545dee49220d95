package placement

import (
	"math"
	"slices"
	"sync"
)

// Weights of the scorers in the final score.
const (
	// FitWeight weighs bin packing (or spreading) by rack headroom.
	FitWeight = 1.0
	// PeakWeight weighs peak decorrelation: half of a full fit score, so
	// that a replica goes to a rack whose peak hours differ from its own
	// unless that strands much more power.
	PeakWeight = 0.5
	// BalanceWeight weighs keeping a rack's power and resources in step:
	// more than the fit, the peak and the GPU preference together (2.5),
	// because what a rack strands when one runs out before the other is
	// lost for good, while the others only choose among racks in step.
	BalanceWeight = 3.0
	// GPUWeight weighs keeping GPU servers for the replicas that need
	// GPUs: as much as the fit, so that a replica asking for none takes a
	// GPU server when none without GPUs fits, or when that keeps a rack
	// much better in step.
	GPUWeight = 1.0
	// RoomWeight weighs keeping room on GPU servers for a typical
	// workload: twice the fit, so that a GPU replica leaves a server with
	// a fragment no typical workload can use only when that fills a much
	// fuller rack and keeps one better in step. On the Alibaba GPU trace
	// (docs/benchmarks.md), with gpuAlign, binpack stranded 4.23 % of the
	// budgets at weight 1 and 2.97 % at 2 (2.74 % at 3), the mean of 16
	// layouts and loads, refusing 359 pods against 346 (before gpuAlign,
	// weights 1, 2 and 3 stranded alike at full load).
	RoomWeight = 2.0
	// AlignWeight weighs keeping a GPU server's CPU, memory and GPUs in
	// step (binpack only): as much as the fit, so that a server far out of
	// step loses to one in step in a rack that fits a little worse. On the
	// Alibaba GPU trace (docs/benchmarks.md), measured with RoomWeight 1,
	// weights 0.5, 2 and 3 strand more than 1 near full load, and 2 and 3
	// refuse more at 80–90 % of the GPUs asked.
	AlignWeight = 1.0
)

// DefaultTopN is how many candidates an explained decision lists when
// Options.TopN is not given; MaxTopN bounds it.
const (
	DefaultTopN = 5
	MaxTopN     = 100
)

// Assignment is where one replica goes.
type Assignment struct {
	Replica int      `json:"replica"`
	Server  string   `json:"server"`
	Rack    string   `json:"rack"`
	Row     string   `json:"row"`
	Hall    string   `json:"hall"`
	Feeds   []string `json:"feeds"` // the server's PSU feeds
	Watts   float64  `json:"watts"`
}

// Candidate is a rack the first replica could go to, with the server it
// would take there and its scores, for explanations.
type Candidate struct {
	Rack   string             `json:"rack"`
	Server string             `json:"server"`
	Score  float64            `json:"score"`  // the weighted sum
	Scores map[string]float64 `json:"scores"` // each scorer's own, in [0, 1]
}

// Decision is where a request's replicas go.
type Decision struct {
	Assignments []Assignment
	// Candidates are the best racks for the first replica, best first,
	// when Options.Explain is set.
	Candidates []Candidate
}

// Options tune a decision.
type Options struct {
	Explain bool // list the best candidates of the first replica
	TopN    int  // how many; DefaultTopN when 0
}

// Engine decides placements: a chain of feasibility checkers, then
// scorers. It holds no state between calls and is safe for concurrent use.
type Engine struct {
	rackFilters   []rackFilter
	power         []powerCheck
	serverFilters []serverFilter
	scorers       []weighted
	serverScorers []weightedServer
	// exhaustive turns pruning off, for tests that check it changes no
	// decision.
	exhaustive bool
}

// maxPower bounds the number of power checks, so that a rack's rooms fit
// in an array on the stack.
const maxPower = 8

// New assembles the engine's chain. Each stage sees only the candidates
// the stages before it let through, and the checks that rule out whole
// racks come first.
func New() *Engine {
	e := &Engine{}
	e.rackFilters = []rackFilter{
		// Hall and row pins: two integer compares rule out whole halls.
		pinFilter{},
		// Required rack labels, e.g. tier=gpu.
		labelFilter{},
		// A request that needs both feeds goes only to racks fed 2N.
		rackFeedsFilter{},
		// Spread over racks, rows or halls: at most ceil(replicas /
		// eligible domains) replicas per domain.
		rackSpread{},
	}
	e.power = []powerCheck{
		// The rack's headroom: budget − max(peak, declared) − reserved.
		rackPower{},
		// 2N: either feed alone carries the rack, per phase, within 80 %
		// of its breakers.
		feedFailover{},
		// The row's N+1 cooling: all units but the largest.
		cooling{},
		// The hall's budget, then the site's.
		hallBudget{},
		siteBudget{},
	}
	e.serverFilters = []serverFilter{
		// PSUs on both of the rack's feeds, when the request needs it.
		serverFeedsFilter{},
		// Free CPU, memory and GPUs.
		resourceFilter{cCPU},
		resourceFilter{cMemory},
		resourceFilter{cGPUs},
		// Spread over servers or feeds.
		serverSpread{},
	}
	e.scorers = []weighted{
		// Always: keep each rack's power and scarcest resource in step,
		// so that neither runs out with the other left. First, as it
		// weighs the most: a rack far out of step is cut soonest.
		{balance{}, BalanceWeight},
		// Best fit by rack headroom (the default strategy)…
		{binpack{}, FitWeight},
		// …or the most headroom, for Strategy "spread".
		{spreadScore{}, FitWeight},
		// Always: keep coinciding daily peaks off the same rack.
		{peakDecorrelation{}, PeakWeight},
	}
	e.serverScorers = []weightedServer{
		// A replica asking for no GPU: servers without GPUs first.
		{gpuKeep{}, GPUWeight},
		// A replica asking for GPUs: servers it leaves with no GPU free
		// or with room for a typical workload's GPUs first.
		{keepRoom{}, RoomWeight},
		// A replica asking for GPUs, binpack: servers it leaves with CPU,
		// memory and GPUs in step first.
		{gpuAlign{}, AlignWeight},
	}
	return e
}

// choice is a feasible candidate: server s in rack k, taking w watts.
type choice struct {
	k, s  int
	w     float64
	score float64
}

// Place decides where the replicas of req go on c. It does not modify c;
// the replicas it places count against the limits of the ones after them.
// It fails with a *FieldError for a malformed request, with an *Infeasible
// when a replica does not fit (then none is placed), and with ErrTopology
// when c's indices do not link up.
func (e *Engine) Place(c *Cluster, req Request, opt Options) (Decision, error) {
	if err := req.Validate(); err != nil {
		return Decision{}, err
	}
	st, err := e.start(c, &req)
	if err != nil {
		return Decision{}, err
	}
	defer st.release()
	d := Decision{Assignments: make([]Assignment, 0, req.Replicas)}
	for i := range req.Replicas {
		st.listAll = opt.Explain && i == 0
		best, ok := e.pick(st)
		if !ok {
			return Decision{}, e.infeasible(st, i)
		}
		if st.listAll {
			d.Candidates = e.candidates(st, st.all, opt.TopN)
			st.listAll, st.all = false, nil
		}
		d.Assignments = append(d.Assignments, st.assign(i, best.s, best.w, i+1 < req.Replicas))
	}
	return d, nil
}

// start prepares a call with the scorers the request wants.
func (e *Engine) start(c *Cluster, req *Request) (*state, error) {
	st, err := newState(c, req)
	if err != nil {
		return nil, err
	}
	st.scorers = st.scorerBuf[:0]
	for _, s := range e.scorers {
		if s.wants(req) {
			st.scorers = append(st.scorers, s)
		}
	}
	st.servers = st.serverBuf[:0]
	for _, s := range e.serverScorers {
		if s.wants(req) {
			st.servers = append(st.servers, s)
		}
	}
	return st, nil
}

// pick finds the best candidate for one replica. With st.listAll set it
// lists the best server of every feasible rack in st.all, and skips no
// rack.
func (e *Engine) pick(st *state) (choice, bool) {
	if st.req.Watts > 0 && st.prunes(e) && len(st.scorers) > 0 {
		return e.pickDeclared(st)
	}
	best := choice{k: -1}
	for k := range st.c.Racks {
		servers := st.byRack[k]
		if len(servers) == 0 || st.skips(e) && !st.roomFor(k) || !e.rackOK(st, k, len(servers)) {
			continue
		}
		var c choice
		var ok bool
		if st.req.Watts > 0 {
			c, ok = e.declared(st, k, servers)
		} else {
			c, ok = e.derived(st, k, servers, best)
		}
		if !ok {
			continue
		}
		if st.listAll {
			st.all = append(st.all, c)
		}
		if best.k < 0 || st.better(c, best) {
			best = c
		}
	}
	return best, best.k >= 0
}

// rackOK runs the rack filters on rack k, of n servers.
func (e *Engine) rackOK(st *state, k, n int) bool {
	for i, f := range e.rackFilters {
		if !f.feasible(st, k) {
			st.reject(rejection{c: f.constraint(), stage: i, k: k, s: -1}, n)
			return false
		}
	}
	return true
}

// fits says whether w watts fit in every room of rack k; stage is the
// chain position of the first power check, s the server (-1: the rack).
func (e *Engine) fits(st *state, k, s int, rooms *[maxPower]float64, w float64, stage, n int) bool {
	for i, p := range e.power {
		if !(w <= rooms[i]) {
			st.reject(rejection{c: p.constraint(), stage: stage + i, short: w - rooms[i], k: k, s: s, w: w}, n)
			return false
		}
	}
	return true
}

// rooms computes the room of rack k under each power check.
func (e *Engine) rooms(st *state, k int, rooms *[maxPower]float64) {
	for i, p := range e.power {
		rooms[i] = p.room(st, k)
	}
}

// serverOK runs the server filters on server s; stage is the chain
// position of the first.
func (e *Engine) serverOK(st *state, s, stage int) bool {
	for i, f := range e.serverFilters {
		if ok, short := f.feasible(st, s); !ok {
			st.reject(rejection{c: f.constraint(), stage: stage + i, short: short, k: st.c.Servers[s].Rack, s: s}, 1)
			return false
		}
	}
	return true
}

// declared handles a request of declared watts in rack k: the power checks
// and the rack scores are the rack's, so the rack's candidate is its server
// with the best server score, the lowest ID among equals (servers lists
// them by ID). It skips no rack: it serves the calls that list all racks or
// count rejections, and the tests that ask for every check; pickDeclared
// is the search that prunes, and finds the same best candidate.
func (e *Engine) declared(st *state, k int, servers []int32) (choice, bool) {
	w := st.req.Watts
	most := e.serverMost(st, k)
	score := e.score(st, k, w)
	c := choice{k: k, s: -1, w: w}
	nf := len(e.rackFilters)
	for i, p := range e.power {
		if room := p.room(st, k); !(w <= room) {
			st.reject(rejection{c: p.constraint(), stage: nf + i, short: w - room, k: k, s: -1, w: w}, len(servers))
			return choice{}, false
		}
	}
	s, v, ok := e.server(st, k, servers, most)
	if !ok {
		return choice{}, false
	}
	c.s, c.score = s, score+v
	return c, true
}

// partial is a rack that passed the rack filters for a replica of
// declared watts, with the weighted sum of all its rack scores but the
// last (total) and the most its servers may score (most).
type partial struct {
	k           int
	total, most float64
	bound       float64 // total + the last scorer's weight + most
}

// pickDeclared is pick for a replica of declared watts when the search
// prunes. It scores every rack the filters let through with all its rack
// scorers but the last, then finishes first the rack whose score may be
// the highest, so that the best found so far is high from the start and
// the last scorer, the power checks and the server search are spared on
// the racks that cannot beat it. Which racks are cut changes no decision:
// a rack is cut only when its score cannot beat the best so far, as in
// declared, and better orders the candidates whatever the order they are
// found in.
func (e *Engine) pickDeclared(st *state) (choice, bool) {
	w, n := st.req.Watts, len(st.scorers)-1
	last := st.scorers[n].weight
	_, peak := st.scorers[n].scorer.(peakDecorrelation)
	filters := st.filterBuf[:0] // those that may rule a rack out
	for _, f := range e.rackFilters {
		if !f.idle(st) {
			filters = append(filters, f)
		}
	}
	if st.partials == nil {
		st.partials = partialPool.Get().(*[]partial)
	}
	ps := (*st.partials)[:0]
	seed := -1
	for k := range st.c.Racks {
		servers := st.byRack[k]
		if len(servers) == 0 || !st.roomFor(k) || !rackPasses(st, filters, k) {
			continue
		}
		p := partial{k: k, most: e.serverMost(st, k)}
		for _, s := range st.scorers[:n] { // summed as score sums them
			p.total += s.weight * s.score(st, k, w)
		}
		// The last scorer and the server scores at their most of 1 and
		// most, added in the order the total adds them: rounding is
		// monotone, so a rack at every maximum is never cut.
		p.bound = p.total + last + p.most
		if seed < 0 || p.bound > ps[seed].bound {
			seed = len(ps)
		}
		ps = append(ps, p)
	}
	*st.partials = ps
	best := choice{k: -1}
	if seed < 0 {
		return best, false
	}
	try := func(p *partial) {
		if c, ok := e.finish(st, p, best, peak); ok && (best.k < 0 || st.better(c, best)) {
			best = c
		}
	}
	try(&ps[seed])
	for i := range ps {
		if i != seed {
			try(&ps[i])
		}
	}
	return best, best.k >= 0
}

// partialPool keeps pickDeclared's buffers between calls: one a rack.
var partialPool = sync.Pool{New: func() any { return new([]partial) }}

// rackPasses says whether rack k passes the rack filters, those that let
// every rack through left out; it counts no rejection.
func rackPasses(st *state, filters []rackFilter, k int) bool {
	for _, f := range filters {
		if !f.feasible(st, k) {
			return false
		}
	}
	return true
}

// finish is declared for a rack scored by pickDeclared but for its last
// scorer (peak when that is peakDecorrelation): cut when it cannot beat
// best, first by its bound, then by its peak score's bound, then by its
// score with the most its servers may score.
func (e *Engine) finish(st *state, p *partial, best choice, peak bool) (choice, bool) {
	k, w := p.k, st.req.Watts
	if best.k >= 0 && p.bound < best.score {
		return choice{}, false
	}
	s := st.scorers[len(st.scorers)-1]
	if peak && best.k >= 0 {
		// The peak score is the costliest; its bound from the rack's peak
		// hour, summed as the score is, cuts most racks before it.
		if (p.total+s.weight*peakMost(st, k, w))+p.most < best.score {
			return choice{}, false
		}
	}
	score := p.total + s.weight*s.score(st, k, w)
	c := choice{k: k, s: -1, w: w, score: score + p.most}
	if best.k >= 0 && !st.better(c, best) {
		return choice{}, false
	}
	for _, pc := range e.power {
		if !(w <= pc.room(st, k)) {
			return choice{}, false // no rejection to count: the search prunes
		}
	}
	servers := st.byRack[k]
	srv, v, ok := e.server(st, k, servers, p.most)
	if !ok {
		return choice{}, false
	}
	c.s, c.score = srv, score+v
	return c, true
}

// server picks rack k's server for a replica of declared watts: the best
// server score, the lowest ID among equals. A server that cannot beat the
// one found is not checked, and the search stops at a server scoring most,
// the highest any server of the rack can.
func (e *Engine) server(st *state, k int, servers []int32, most float64) (int, float64, bool) {
	stage := len(e.rackFilters) + len(e.power)
	best, bestScore := -1, 0.0
	for _, s := range servers { // by ID
		si := int(s)
		if st.c.Servers[si].Rack != k {
			continue
		}
		v := e.serverScore(st, si)
		if best >= 0 && !(v > bestScore) || !e.serverOK(st, si, stage) {
			continue
		}
		best, bestScore = si, v
		if v >= most {
			break
		}
	}
	return best, bestScore, best >= 0
}

// derived handles a request whose watts depend on the server: each server
// has its own watts, checked against the rack's rooms, and its own score.
// A server whose score cannot beat best, or the rack's best so far, is
// skipped before its checks, unless the call lists all racks or counts
// rejections; servers of one model share their watts and so their rack
// scores.
func (e *Engine) derived(st *state, k int, servers []int32, best choice) (choice, bool) {
	prune := st.prunes(e)
	var rooms [maxPower]float64
	haveRooms := false
	local := choice{k: -1}
	lastW, lastScore := math.NaN(), 0.0
	nf, ns := len(e.rackFilters), len(e.serverFilters)
	for _, s := range servers {
		si := int(s)
		if st.c.Servers[si].Rack != k {
			continue
		}
		w := st.req.wattsOn(&st.c.Servers[si])
		if w != lastW {
			lastW, lastScore = w, e.score(st, k, w)
		}
		c := choice{k: k, s: si, w: w, score: lastScore + e.serverScore(st, si)}
		if prune && (best.k >= 0 && !st.better(c, best) || local.k >= 0 && !st.better(c, local)) {
			continue
		}
		if !e.serverOK(st, si, nf) {
			continue
		}
		if !(w > 0) {
			st.reject(rejection{c: cWatts, stage: nf + ns, k: k, s: si}, 1)
			continue
		}
		if !haveRooms {
			e.rooms(st, k, &rooms)
			haveRooms = true
		}
		if e.fits(st, k, si, &rooms, w, nf+ns+1, 1) && (local.k < 0 || st.better(c, local)) {
			local = c
		}
	}
	return local, local.k >= 0
}

// skips says whether the search may pass over racks none of whose
// servers has the resources a replica needs: not when it counts the
// rejections of their servers, nor when a test asks for every check. Such
// a rack yields no candidate, so passing over it changes no decision and
// no list of candidates.
func (st *state) skips(e *Engine) bool { return !st.diag && !e.exhaustive }

// roomFor says whether one of rack k's servers may have the CPU, one the
// memory and one the GPUs a replica needs, by the rack's maxima: false
// only when none of them can take it, as the resource filters would find
// server by server. Without maxima (a cluster not indexed) every rack may.
func (st *state) roomFor(k int) bool {
	if st.most == nil {
		return true
	}
	m, r := &st.most[k], st.req
	return (r.CPUMillicores == 0 || r.CPUMillicores <= m.cpu) &&
		(r.MemoryMiB == 0 || r.MemoryMiB <= m.mem) &&
		(r.GPUs == 0 || r.GPUs <= m.gpus)
}

// prunes says whether the search may skip candidates that cannot beat the
// best so far: not when it lists or counts them all.
func (st *state) prunes(e *Engine) bool { return !st.listAll && !st.diag && !e.exhaustive }

// score is the weighted sum of the call's rack scorers for rack k.
func (e *Engine) score(st *state, k int, w float64) float64 {
	var total float64
	for _, s := range st.scorers {
		total += s.weight * s.score(st, k, w)
	}
	return total
}

// serverScore is the weighted sum of the call's server scorers for server s.
func (e *Engine) serverScore(st *state, s int) float64 {
	var total float64
	for _, sc := range st.servers {
		total += sc.weight * sc.score(st, s)
	}
	return total
}

// serverMost is the highest serverScore a server of rack k can get, summed
// in the same order.
func (e *Engine) serverMost(st *state, k int) float64 {
	var total float64
	for _, sc := range st.servers {
		total += sc.weight * sc.most(st, k)
	}
	return total
}

// better orders candidates: higher score, then lower rack ID, then lower
// server ID. A candidate whose server is not chosen yet (s < 0) ranks by
// its rack only.
func (st *state) better(a, b choice) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	ra, rb := st.c.Racks[a.k].ID, st.c.Racks[b.k].ID
	if ra != rb || a.s < 0 || b.s < 0 {
		return ra < rb || (ra == rb && a.s < 0)
	}
	return st.c.Servers[a.s].ID < st.c.Servers[b.s].ID
}

// candidates lists the top n of all, best first, with each scorer's score.
func (e *Engine) candidates(st *state, all []choice, n int) []Candidate {
	if n <= 0 {
		n = DefaultTopN
	}
	n = min(n, MaxTopN, len(all))
	slices.SortFunc(all, func(a, b choice) int {
		switch {
		case st.better(a, b):
			return -1
		case st.better(b, a):
			return 1
		}
		return 0
	})
	out := make([]Candidate, 0, n)
	for _, c := range all[:n] {
		scores := make(map[string]float64, len(st.scorers)+len(st.servers))
		for _, s := range st.scorers {
			scores[s.name()] = s.score(st, c.k, c.w)
		}
		for _, s := range st.servers {
			scores[s.name()] = s.score(st, c.s)
		}
		out = append(out, Candidate{Rack: st.c.Racks[c.k].ID, Server: st.c.Servers[c.s].ID, Score: c.score, Scores: scores})
	}
	return out
}
