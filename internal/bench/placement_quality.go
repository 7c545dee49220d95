package bench

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dcplane/dcplane/controller/placement"
)

// never is the departure time of a replica that stays to the end.
const never = math.MaxInt64

// workload is one request of a trace: when it arrives and when each of
// its replicas leaves.
type workload struct {
	req    placement.Request
	arrive int64
	depart []int64 // by replica; never when it stays
}

// replay is a trace ready to be replayed onto a cluster by each policy.
type replay struct {
	cluster *placement.Cluster // topology, the racks' idle draw as ReservedWatts, no other usage
	base    []float64          // the racks' idle draw, for the audit
	works   []workload
	events  []event
	samples []int64 // clock values at which the cluster is measured
	median  []placement.Request
}

// event is an arrival (replica < 0) or the departure of one replica.
type event struct {
	at      int64
	work    int
	replica int
}

// newReplay orders the workloads' events and samples the clock every
// sampleEvery from start up to end (events after end are not replayed).
func newReplay(c *placement.Cluster, works []workload, start, end, sampleEvery int64) *replay {
	rp := &replay{cluster: c, works: works, base: make([]float64, len(c.Racks))}
	for k := range c.Racks {
		rp.base[k] = c.Racks[k].ReservedWatts
	}
	for w := range works {
		if works[w].arrive > end {
			continue
		}
		rp.events = append(rp.events, event{works[w].arrive, w, -1})
		for j, t := range works[w].depart {
			if t <= end {
				rp.events = append(rp.events, event{t, w, j})
			}
		}
	}
	// Departures before arrivals at the same time: room frees first.
	slices.SortFunc(rp.events, func(a, b event) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(arrival(a), arrival(b)), cmp.Compare(a.work, b.work), cmp.Compare(a.replica, b.replica))
	})
	for t := start + sampleEvery; t < end; t += sampleEvery {
		rp.samples = append(rp.samples, t)
	}
	rp.samples = append(rp.samples, end)
	rp.median = rackMedians(c, works)
	return rp
}

// arrival orders departures (0) before arrivals (1).
func arrival(e event) int {
	if e.replica < 0 {
		return 1
	}
	return 0
}

// PolicyResult is what one policy made of a trace.
type PolicyResult struct {
	Policy          string `json:"policy"`
	Placed          int    `json:"placed_requests"`
	Refused         int    `json:"refused_requests"`
	PlacedReplicas  int    `json:"placed_replicas"`
	RefusedReplicas int    `json:"refused_replicas"`
	// CheckRefused counts the policy's picks that placement.Check, which
	// the state machine runs on every commit, refused (they were counted
	// as refused). A policy that uses Check to pick has none.
	CheckRefused int `json:"check_refused"`
	// StrandedShare is the share of the site's rack budgets left unused
	// in racks that can no longer take one replica of their median
	// request, at the busiest sample; StrandedShareMean its mean over
	// the samples.
	StrandedShare     float64 `json:"stranded_share"`
	StrandedWatts     float64 `json:"stranded_watts"`
	StrandedRacks     int     `json:"stranded_racks"`
	StrandedShareMean float64 `json:"stranded_share_mean"`
	// FeedLossRacks is the most racks, at any sample, that would break on
	// the loss of a feed; Violations every limit broken, summed over the
	// samples (see AuditResult).
	FeedLossRacks int `json:"racks_breaking_on_feed_loss"`
	Violations    int `json:"violations"`
	// SumOfRackPeaks is the sum over racks of each rack's daily peak of
	// declared load (its hourly profile), PeakOfSum the peak hour of their
	// sum, at the busiest sample.
	SumOfRackPeaksWatts float64 `json:"sum_of_rack_peaks_watts"`
	PeakOfSumWatts      float64 `json:"peak_of_sum_watts"`
	// SampledSumOfRackPeaks and SampledPeakOfSum are the same over time
	// as the replay went: each rack's most declared load at any sample,
	// summed, against the most the site held at any sample.
	SampledSumOfRackPeaksWatts float64 `json:"sampled_sum_of_rack_peaks_watts"`
	SampledPeakOfSumWatts      float64 `json:"sampled_peak_of_sum_watts"`
	PlacedWatts                float64 `json:"placed_watts"`
	// Allocated is the share of the cluster's CPU, memory, GPUs and rack
	// budgets (idle draw included) in use at the busiest sample.
	Allocated Allocation `json:"allocated"`
	// NonGPUOnGPUServers counts the replicas asking no GPU that run on a
	// server with GPUs, at the busiest sample: they take CPU and memory a
	// GPU replica may need.
	NonGPUOnGPUServers int     `json:"non_gpu_replicas_on_gpu_servers"`
	DecisionsPerSec    float64 `json:"decisions_per_second"`
}

// Allocation is the share of each resource in use.
type Allocation struct {
	CPU    float64 `json:"cpu"`
	Memory float64 `json:"memory"`
	GPUs   float64 `json:"gpus"`
	Power  float64 `json:"power"`
}

// snapshot is what a policy's cluster looks like at one sample.
type snapshot struct {
	demand            float64 // watts the trace's live replicas declare, placed or not
	stranded          float64
	strandedRacks     int
	sumPeaks, peakSum float64
	placed            float64
	rackPlaced        []float64 // each rack's declared load
	allocated         Allocation
	nonGPUOnGPU       int
}

// run replays the trace with p.
func (rp *replay) run(ctx context.Context, name string, p policy) (PolicyResult, error) {
	c := rp.cluster.Clone()
	res := PolicyResult{Policy: name}
	placed := make([][]placement.Assignment, len(rp.works))
	var samples []snapshot
	var busy time.Duration
	var decisions int
	var demand float64
	next := 0
	for i, ev := range rp.events {
		for next < len(rp.samples) && rp.samples[next] <= ev.at {
			samples = append(samples, rp.measure(c, placed, rp.samples[next], demand, &res))
			next++
		}
		if i%4096 == 0 && ctx.Err() != nil {
			return PolicyResult{}, ctx.Err()
		}
		w := &rp.works[ev.work]
		if ev.replica >= 0 {
			demand -= w.req.Watts
			if as := placed[ev.work]; as != nil {
				c.Remove(as[ev.replica:ev.replica+1], w.req)
			}
			continue
		}
		demand += w.req.Watts * float64(w.req.Replicas)
		t0 := time.Now()
		as, ok := p.place(c, w.req)
		busy += time.Since(t0)
		decisions++
		if ok {
			if err := placement.Check(c, as, w.req); err != nil {
				res.CheckRefused++
				ok = false
			}
		}
		if !ok {
			res.Refused++
			res.RefusedReplicas += w.req.Replicas
			continue
		}
		if err := c.Apply(as, w.req); err != nil {
			return PolicyResult{}, fmt.Errorf("bench: %s: %w", name, err)
		}
		placed[ev.work] = as
		res.Placed++
		res.PlacedReplicas += w.req.Replicas
	}
	for ; next < len(rp.samples); next++ {
		samples = append(samples, rp.measure(c, placed, rp.samples[next], demand, &res))
	}
	if busy > 0 {
		res.DecisionsPerSec = float64(decisions) / busy.Seconds()
	}
	rp.summarise(c, samples, &res)
	return res, nil
}

// summarise fills in the figures of the busiest sample (the most watts
// asked for, the first of equals) and the means.
func (rp *replay) summarise(c *placement.Cluster, samples []snapshot, res *PolicyResult) {
	if len(samples) == 0 {
		return
	}
	var budget float64
	for k := range c.Racks {
		budget += c.Racks[k].BudgetWatts
	}
	busiest := samples[0]
	var mean float64
	most := make([]float64, len(c.Racks))
	for _, s := range samples {
		if s.demand > busiest.demand {
			busiest = s
		}
		mean += s.stranded
		res.SampledPeakOfSumWatts = max(res.SampledPeakOfSumWatts, s.placed)
		for k, w := range s.rackPlaced {
			most[k] = max(most[k], w)
		}
	}
	for _, w := range most {
		res.SampledSumOfRackPeaksWatts += w
	}
	res.StrandedWatts, res.StrandedRacks = busiest.stranded, busiest.strandedRacks
	res.StrandedShare, res.StrandedShareMean = busiest.stranded/budget, mean/float64(len(samples))/budget
	res.SumOfRackPeaksWatts, res.PeakOfSumWatts, res.PlacedWatts = busiest.sumPeaks, busiest.peakSum, busiest.placed
	res.Allocated, res.NonGPUOnGPUServers = busiest.allocated, busiest.nonGPUOnGPU
}

// measure audits the cluster at clock value at from the live replicas
// alone, and measures its stranded power and daily peaks.
func (rp *replay) measure(c *placement.Cluster, placed [][]placement.Assignment, at int64, demand float64, res *PolicyResult) snapshot {
	s := snapshot{demand: demand}
	ids := serverIndex(c)
	var live []used
	for w, as := range placed {
		r := &rp.works[w].req
		for j := range as {
			if rp.works[w].depart[j] >= at {
				srv := ids[as[j].Server]
				live = append(live, used{server: srv, watts: as[j].Watts, cpu: r.CPUMillicores, mem: r.MemoryMiB, gpus: r.GPUs})
				s.placed += as[j].Watts
				if r.GPUs == 0 && c.Servers[srv].GPUs > 0 {
					s.nonGPUOnGPU++
				}
			}
		}
	}
	a := audit(c, rp.base, live)
	res.Violations += a.Violations()
	res.FeedLossRacks = max(res.FeedLossRacks, a.FeedLoss)
	byRack := serversByRack(c)
	var hourly [24]float64
	for k := range c.Racks {
		rack := &c.Racks[k]
		if rp.median[k].Watts > 0 && !canTake(c, k, byRack[k], rp.median[k]) {
			s.stranded += max(0, rack.BudgetWatts-rack.PlacedWatts-rack.ReservedWatts)
			s.strandedRacks++
		}
		s.rackPlaced = append(s.rackPlaced, rack.PlacedWatts)
		var peak float64
		for h, w := range rack.ProfileWatts {
			peak = max(peak, w)
			hourly[h] += w
		}
		s.sumPeaks += peak
	}
	s.peakSum = slices.Max(hourly[:])
	s.allocated = allocation(c)
	return s
}

// allocation is the share of c's resources in use.
func allocation(c *placement.Cluster) Allocation {
	var cpu, cpuCap, mem, memCap, gpus, gpuCap, power, budget float64
	for i := range c.Servers {
		s := &c.Servers[i]
		cpu, cpuCap = cpu+float64(s.UsedCPUMillicores), cpuCap+float64(s.CPUMillicores)
		mem, memCap = mem+float64(s.UsedMemoryMiB), memCap+float64(s.MemoryMiB)
		gpus, gpuCap = gpus+float64(s.UsedGPUs), gpuCap+float64(s.GPUs)
	}
	for i := range c.Racks {
		power, budget = power+c.Racks[i].PlacedWatts+c.Racks[i].ReservedWatts, budget+c.Racks[i].BudgetWatts
	}
	return Allocation{CPU: share(cpu, cpuCap), Memory: share(mem, memCap), GPUs: share(gpus, gpuCap), Power: share(power, budget)}
}

// share is a / b, 0 when b is 0.
func share(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// canTake says whether some server of rack k (its servers listed in
// servers) could take one replica of req now, by placement.Check.
func canTake(c *placement.Cluster, k int, servers []int, req placement.Request) bool {
	for _, s := range servers {
		srv := &c.Servers[s]
		if srv.CPUMillicores-srv.UsedCPUMillicores < req.CPUMillicores || srv.MemoryMiB-srv.UsedMemoryMiB < req.MemoryMiB ||
			srv.GPUs-srv.UsedGPUs < req.GPUs {
			continue
		}
		if placement.Check(c, []placement.Assignment{assignmentOn(c, s, 0, req.Watts)}, req) == nil {
			return true
		}
	}
	return false
}

// assignmentOn is replica i of w watts on server s of c.
func assignmentOn(c *placement.Cluster, s, i int, w float64) placement.Assignment {
	srv := &c.Servers[s]
	rack := &c.Racks[srv.Rack]
	row := &c.Rows[rack.Row]
	return placement.Assignment{Replica: i, Server: srv.ID, Rack: rack.ID, Row: row.ID, Hall: c.Halls[row.Hall].ID,
		Feeds: srv.PSUFeeds, Watts: w}
}

// serversByRack lists the servers of each rack, in c's order.
func serversByRack(c *placement.Cluster) [][]int {
	out := make([][]int, len(c.Racks))
	for i := range c.Servers {
		out[c.Servers[i].Rack] = append(out[c.Servers[i].Rack], i)
	}
	return out
}

// shape is one replica's size, and how many of the trace's replicas have it.
type shape struct {
	cpu, mem int64
	gpus     int
	watts    float64
	n        int
}

// rackMedians gives each rack the median, by declared watts, of the
// trace's replicas that one of its servers could hold when empty: the
// workload the rack is there for. A rack none fits gets a zero request.
func rackMedians(c *placement.Cluster, works []workload) []placement.Request {
	count := map[shape]int{}
	for i := range works {
		r := &works[i].req
		count[shape{r.CPUMillicores, r.MemoryMiB, r.GPUs, r.Watts, 0}] += r.Replicas
	}
	shapes := make([]shape, 0, len(count))
	for s, n := range count {
		s.n = n
		shapes = append(shapes, s)
	}
	slices.SortFunc(shapes, func(a, b shape) int {
		return cmp.Or(cmp.Compare(a.watts, b.watts), cmp.Compare(a.cpu, b.cpu), cmp.Compare(a.mem, b.mem), cmp.Compare(a.gpus, b.gpus))
	})
	out := make([]placement.Request, len(c.Racks))
	cache := map[string]placement.Request{}
	for k, servers := range serversByRack(c) {
		key := rackSignature(c, servers)
		if r, ok := cache[key]; ok {
			out[k] = r
			continue
		}
		out[k] = medianFitting(c, servers, shapes)
		cache[key] = out[k]
	}
	return out
}

// rackSignature names the distinct server sizes of a rack.
func rackSignature(c *placement.Cluster, servers []int) string {
	var sizes []string
	for _, s := range servers {
		srv := &c.Servers[s]
		sizes = append(sizes, fmt.Sprintf("%d/%d/%d", srv.CPUMillicores, srv.MemoryMiB, srv.GPUs))
	}
	slices.Sort(sizes)
	return strings.Join(slices.Compact(sizes), ",")
}

// medianFitting is the weighted median of the shapes (sorted) that fit an
// empty server of the list.
func medianFitting(c *placement.Cluster, servers []int, shapes []shape) placement.Request {
	fits := func(sh shape) bool {
		for _, s := range servers {
			srv := &c.Servers[s]
			if srv.CPUMillicores >= sh.cpu && srv.MemoryMiB >= sh.mem && srv.GPUs >= sh.gpus {
				return true
			}
		}
		return false
	}
	var fitting []shape
	total := 0
	for _, sh := range shapes {
		if fits(sh) {
			fitting = append(fitting, sh)
			total += sh.n
		}
	}
	seen := 0
	for _, sh := range fitting {
		if seen += sh.n; 2*seen >= total {
			return placement.Request{Name: "median", Replicas: 1, CPUMillicores: sh.cpu, MemoryMiB: sh.mem, GPUs: sh.gpus, Watts: sh.watts}
		}
	}
	return placement.Request{}
}

// dailyProfile is the hourly profile of a replica that runs from start to
// end (seconds from the trace's start): 1 in each hour of the day it runs
// in, 0 in the others; nil (flat) when it runs a whole day or more.
func dailyProfile(start, end int64) []float64 {
	if end-start >= 86400 || end < start {
		return nil
	}
	p := make([]float64, 24)
	for t := start - start%3600; t < max(end, start+1); t += 3600 {
		p[(t%86400)/3600] = 1
	}
	return p
}

// unionProfile is the hours of the day that any of ps runs in; nil (flat)
// when one of them is flat.
func unionProfile(ps ...[]float64) []float64 {
	out := make([]float64, 24)
	for _, p := range ps {
		if p == nil {
			return nil
		}
		for h, f := range p {
			out[h] = max(out[h], f)
		}
	}
	return out
}
