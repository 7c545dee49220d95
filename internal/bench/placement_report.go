package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/dcplane/dcplane/controller/placement"
)

// QualityResult is what one trace's replay reports: the cluster it was
// replayed onto, the requests, and each policy's figures.
type QualityResult struct {
	Trace  string `json:"trace"`
	Source string `json:"source"` // the files, and the part of them used
	Racks  int    `json:"racks"`
	Rows   int    `json:"rows"`
	// Servers, their threads (millicores / 1000), memory and GPUs.
	Servers     int     `json:"servers"`
	Threads     int64   `json:"threads"`
	MemoryGiB   int64   `json:"memory_gib"`
	GPUs        float64 `json:"gpus"`
	BudgetWatts float64 `json:"budget_watts"` // the racks' budgets
	IdleWatts   float64 `json:"idle_watts"`   // the servers' idle draw, held in the racks
	Requests    int     `json:"requests"`
	Replicas    int     `json:"replicas"`
	// DemandPeakWatts is the most the trace's live replicas declare at
	// once, placed or not, at a sample.
	DemandPeakWatts float64 `json:"demand_peak_watts"`
	Samples         int     `json:"samples"`
	// Medians are the median requests the racks are measured against
	// (see PolicyResult.StrandedShare), one per kind of rack.
	Medians  []string       `json:"medians"`
	Policies []PolicyResult `json:"policies"`
}

// newQualityResult describes the cluster and the workloads of a replay;
// gpuUnits is how many of the cluster's GPU units make a GPU (1000 when
// GPUs are shared in thousandths).
func newQualityResult(trace string, c *placement.Cluster, works []workload, gpuUnits int) QualityResult {
	r := QualityResult{Trace: trace, Racks: len(c.Racks), Rows: len(c.Rows), Servers: len(c.Servers), Requests: len(works)}
	for _, k := range c.Racks {
		r.BudgetWatts += k.BudgetWatts
		r.IdleWatts += k.ReservedWatts
	}
	var mem int64
	for _, s := range c.Servers {
		r.Threads += s.CPUMillicores / 1000
		mem += s.MemoryMiB
		r.GPUs += float64(s.GPUs) / float64(gpuUnits)
	}
	r.MemoryGiB = mem / 1024
	for _, w := range works {
		r.Replicas += w.req.Replicas
	}
	return r
}

// runAll replays the trace with every policy into r.
func (rp *replay) runAll(ctx context.Context, r *QualityResult) error {
	r.Samples = len(rp.samples)
	r.DemandPeakWatts = rp.demandPeak()
	seen := map[string]bool{}
	for _, m := range rp.median {
		s := fmt.Sprintf("%d millicores, %d MiB, %d GPU-thousandths, %.0f W", m.CPUMillicores, m.MemoryMiB, m.GPUs, m.Watts)
		if m.Watts > 0 && !seen[s] {
			seen[s] = true
			r.Medians = append(r.Medians, s)
		}
	}
	for _, p := range policies() {
		res, err := rp.run(ctx, p.name, p.p)
		if err != nil {
			return err
		}
		r.Policies = append(r.Policies, res)
	}
	return nil
}

// demandPeak is the most watts the trace's live replicas declare at a
// sample, placed or not.
func (rp *replay) demandPeak() float64 {
	var demand, peak float64
	next := 0
	for _, ev := range rp.events {
		for next < len(rp.samples) && rp.samples[next] <= ev.at {
			peak = max(peak, demand)
			next++
		}
		w := &rp.works[ev.work].req
		if ev.replica >= 0 {
			demand -= w.Watts
		} else {
			demand += w.Watts * float64(w.Replicas)
		}
	}
	return max(peak, demand)
}

// QualityResults are the replays of several traces.
type QualityResults []QualityResult

// Header names the columns of Rows.
func (QualityResults) Header() []string {
	return []string{"TRACE", "POLICY", "PLACED", "REFUSED", "REFUSED REPLICAS", "STRANDED", "STRANDED MEAN", "STRANDED RACKS",
		"FEED-LOSS RACKS", "VIOLATIONS", "RACK PEAKS: PROFILES kW", "RATIO", "RACK PEAKS: SAMPLES kW", "RATIO",
		"CPU/MEM/GPU/POWER USED", "NON-GPU ON GPU", "DECISIONS/S"}
}

// Rows are the policies of each trace as table cells, for people.
func (rs QualityResults) Rows() [][]string {
	var out [][]string
	for _, r := range rs {
		for _, p := range r.Policies {
			out = append(out, []string{r.Trace, p.Policy, fmt.Sprint(p.Placed), fmt.Sprint(p.Refused), fmt.Sprint(p.RefusedReplicas),
				fmt.Sprintf("%.2f%%", 100*p.StrandedShare), fmt.Sprintf("%.2f%%", 100*p.StrandedShareMean), fmt.Sprint(p.StrandedRacks),
				fmt.Sprint(p.FeedLossRacks), fmt.Sprint(p.Violations),
				fmt.Sprintf("%.0f/%.0f", p.SumOfRackPeaksWatts/1000, p.PeakOfSumWatts/1000), ratio(p.SumOfRackPeaksWatts, p.PeakOfSumWatts),
				fmt.Sprintf("%.0f/%.0f", p.SampledSumOfRackPeaksWatts/1000, p.SampledPeakOfSumWatts/1000),
				ratio(p.SampledSumOfRackPeaksWatts, p.SampledPeakOfSumWatts),
				fmt.Sprintf("%.0f/%.0f/%.0f/%.0f%%", 100*p.Allocated.CPU, 100*p.Allocated.Memory, 100*p.Allocated.GPUs, 100*p.Allocated.Power),
				fmt.Sprint(p.NonGPUOnGPUServers), fmt.Sprintf("%.0f", p.DecisionsPerSec)})
		}
	}
	return out
}

// ratio is a / b to three places, "-" when b is 0.
func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", a/b)
}

// Summary says what each trace was replayed onto.
func (rs QualityResults) Summary() string {
	var b strings.Builder
	// The replay decides the same on every run; only its timing varies.
	b.WriteString("figures: what is placed, stranded and refused is deterministic (the same on every run: no spread); decision times are this run's\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "%s: %s\n  cluster: %d racks in %d rows, %d servers (%d threads, %d GiB, %.0f GPUs), %.2f MW of rack budgets, %.2f MW idle\n"+
			"  %d requests (%d replicas), at most %.2f MW declared at once; %d samples; medians: %s\n",
			r.Trace, r.Source, r.Racks, r.Rows, r.Servers, r.Threads, r.MemoryGiB, r.GPUs,
			r.BudgetWatts/1e6, r.IdleWatts/1e6, r.Requests, r.Replicas, r.DemandPeakWatts/1e6, r.Samples, strings.Join(r.Medians, "; "))
	}
	return b.String()
}
