package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/inventory"
)

// PlacementConfig is what Placement measures.
type PlacementConfig struct {
	Racks int // of the reference site (inventory.Reference)
	// Fill is the share of the site's rack budgets that placements declare
	// before the measured requests: the site is pre-filled with copies of
	// the city's workloads up to it.
	Fill     float64
	Requests int // measured requests of each round, in each mode
	Rounds   int // rounds of each timed mode
	Replicas int // replicas of each measured request
	Clients  int // concurrent API clients
	// Dir is where the controller keeps its Raft data (a new directory is
	// made in it and removed at the end); "" is the system's temp dir.
	Dir    string
	Logger *slog.Logger // the controller's; nil: discard
	// CPUProfile, if set, is where a Go CPU profile (for go tool pprof) of
	// the last round's placements through the API goes: the clients, the
	// HTTP server and the controller, as they share this process.
	CPUProfile string
}

// PlacementResult is what Placement reports. The modes are measured in
// one run, one after the other, on the same pre-filled site, so that they
// can be compared with one another.
type PlacementResult struct {
	Racks           int     `json:"racks"`
	Servers         int     `json:"servers"`
	SiteBudgetWatts float64 `json:"site_budget_watts"`
	// FillBefore and FillAfter are the share of the rack budgets declared
	// by the committed placements before and after a round's requests.
	FillBefore      float64 `json:"fill_before"`
	FillAfter       float64 `json:"fill_after"`
	PrefillRequests int     `json:"prefill_requests"`
	Requests        int     `json:"requests_per_round"`
	Rounds          int     `json:"rounds"`
	Replicas        int     `json:"replicas_per_request"`
	Clients         int     `json:"clients"`
	CPUs            int     `json:"cpus"`
	// LoadBefore and LoadAfter are the machine's load averages (1, 5 and
	// 15 minutes) when the run started and ended: other work on the
	// machine competes for its cores.
	LoadBefore string       `json:"load_before"`
	LoadAfter  string       `json:"load_after"`
	Modes      []ModeResult `json:"modes"`
	Audit      AuditResult  `json:"audit"`
	Committed  CommitCheck  `json:"committed"`
	Seconds    float64      `json:"seconds"`
}

// ModeResult is one way of making decisions, timed request by request.
type ModeResult struct {
	Mode     string  `json:"mode"`
	Requests int     `json:"requests"`
	Placed   int     `json:"placed"`
	Refused  int     `json:"refused"` // the workload did not fit
	Errors   int     `json:"errors"`  // anything else
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"per_second"`
	// PerSecByRound is each round's rate, to show how much they vary.
	PerSecByRound  []float64 `json:"per_second_by_round"`
	ReplicasPerSec float64   `json:"replicas_per_second"`
	P50Ms          float64   `json:"p50_ms"`
	P99Ms          float64   `json:"p99_ms"`
	MaxMs          float64   `json:"max_ms"`
	// CPUCores is the CPU the whole process used over the mode (the
	// controller and the clients together, as they share the process;
	// for the engine alone, over its loop, Apply included).
	CPUCores float64 `json:"cpu_cores"`
	// CPUMicrosPerRequest is that CPU per request answered, in µs: on a
	// shared machine, where the process gets what the others leave, a
	// steadier figure than the rate. Two free cores answer at most
	// 2,000,000 / CPUMicrosPerRequest requests a second.
	CPUMicrosPerRequest float64 `json:"cpu_us_per_request"`
	// FirstError is the first error of the mode, if any.
	FirstError string `json:"first_error,omitempty"`
}

// CommitCheck compares what the controller committed with what the
// clients were told.
type CommitCheck struct {
	Placements int `json:"placements"`
	// Expected is the placements the clients were answered with: the
	// pre-fill's and the last round's (the earlier rounds' are removed).
	Expected int `json:"expected"`
	// KeysReplayed requests were sent again with their idempotency key;
	// KeysDuplicated of them placed again instead of answering with the
	// first placement.
	KeysReplayed   int `json:"keys_replayed"`
	KeysDuplicated int `json:"keys_duplicated"`
}

// Placement measures placement decisions on the reference site pre-filled
// to c.Fill: the engine alone in this process, then a real single-node
// controller (Raft with fsync, in a temporary directory) behind its HTTP
// API on 127.0.0.1, driven by c.Clients concurrent clients. Through the
// API it times, on the same site and in the same run, GET /healthz (the
// HTTP floor), dry runs (the leader's decision, no commit) and placements
// (decision and Raft commit), and the disk's fsync (the floor of an
// unbatched commit). Each timed mode runs c.Rounds rounds of c.Requests;
// the placements of a round are removed (untimed) before the next, so that
// every round starts from the pre-filled site. After each round it
// recomputes every hard limit from the committed placements.
func Placement(ctx context.Context, c PlacementConfig) (PlacementResult, error) {
	if c.Racks <= 0 || c.Requests <= 0 || c.Replicas <= 0 || c.Clients <= 0 || c.Rounds <= 0 || c.Fill < 0 || c.Fill >= 1 {
		return PlacementResult{}, fmt.Errorf("bench: placement: racks, requests, replicas, clients and rounds must be positive and fill in [0, 1), got %+v", c)
	}
	start := time.Now()
	site := inventory.Reference(c.Racks)
	topo, err := siteCluster(site)
	if err != nil {
		return PlacementResult{}, err
	}
	templates, err := cityTemplates()
	if err != nil {
		return PlacementResult{}, err
	}
	r := PlacementResult{Racks: len(topo.Racks), Servers: len(topo.Servers), Requests: c.Requests, Rounds: c.Rounds,
		Replicas: c.Replicas, Clients: c.Clients, CPUs: runtime.NumCPU(), LoadBefore: loadAverage()}
	for _, k := range topo.Racks {
		r.SiteBudgetWatts += k.BudgetWatts
	}
	prefill := prefillRequests(templates, c.Fill*r.SiteBudgetWatts)
	rounds := make([][]placement.Request, c.Rounds)
	for i := range rounds {
		rounds[i] = measuredRequests(templates, i, c.Requests, c.Replicas)
	}
	r.PrefillRequests = len(prefill)
	r.Modes = append(r.Modes, engineAlone(topo, prefill, rounds))
	if err := placeThroughAPI(ctx, c, site, topo, prefill, rounds, &r); err != nil {
		return PlacementResult{}, err
	}
	r.LoadAfter, r.Seconds = loadAverage(), time.Since(start).Seconds()
	return r, nil
}

// engineAlone pre-fills a copy of the site with the engine, then times each
// decision of the rounds' requests, committing each to the copy (Apply) as
// the state machine would, so that every decision sees the last one's; a
// round's placements are removed before the next round.
func engineAlone(topo *placement.Cluster, prefill []placement.Request, rounds [][]placement.Request) ModeResult {
	c, e := topo.Clone(), placement.New()
	for i := range prefill {
		if d, err := e.Place(c, prefill[i], placement.Options{}); err == nil {
			_ = c.Apply(d.Assignments, prefill[i]) // the engine's servers are c's
		}
	}
	var ts []timing
	for _, reqs := range rounds {
		t := timing{lat: make([]time.Duration, len(reqs)), errs: make([]error, len(reqs)), replicas: replicasOf(reqs)}
		decided := make([]placement.Decision, len(reqs))
		cpu0, wall0 := selfCPU(), time.Now()
		for i := range reqs {
			t0 := time.Now()
			d, err := e.Place(c, reqs[i], placement.Options{})
			t.lat[i], t.errs[i] = time.Since(t0), err
			t.elapsed += t.lat[i]
			if err == nil {
				_ = c.Apply(d.Assignments, reqs[i])
				decided[i] = d
			}
		}
		t.cores = (selfCPU() - cpu0).Seconds() / time.Since(wall0).Seconds()
		for i := range reqs {
			c.Remove(decided[i].Assignments, reqs[i])
		}
		ts = append(ts, t)
	}
	return modeOf("engine alone", ts)
}

// timing is one round of a mode, timed call by call.
type timing struct {
	lat      []time.Duration
	errs     []error // nil: placed (or done); an infeasible: refused
	elapsed  time.Duration
	cores    float64       // the process's CPU time over the round, per second of it
	replicas func(int) int // the replicas of call i; nil: none
}

// replicasOf gives the replicas of request i of rs.
func replicasOf(rs []placement.Request) func(int) int {
	return func(i int) int { return rs[i].Replicas }
}

// modeOf sums up a mode's rounds: its rate over their elapsed time,
// each round's rate, the percentiles of all their calls, and their
// answers.
func modeOf(name string, ts []timing) ModeResult {
	m := ModeResult{Mode: name}
	var all []time.Duration
	var elapsed time.Duration
	var cpu float64
	placedReplicas := 0
	for _, t := range ts {
		done := 0
		for i, err := range t.errs {
			switch {
			case err == nil:
				m.Placed++
				done++
				if t.replicas != nil {
					placedReplicas += t.replicas(i)
				}
			case refused(err):
				m.Refused++
				done++
			default:
				m.Errors++
				if m.FirstError == "" {
					m.FirstError = err.Error()
				}
			}
		}
		if t.elapsed > 0 {
			m.PerSecByRound = append(m.PerSecByRound, float64(done)/t.elapsed.Seconds())
		}
		m.Requests += len(t.lat)
		all = append(all, t.lat...)
		elapsed, cpu = elapsed+t.elapsed, cpu+t.cores*t.elapsed.Seconds()
	}
	if m.Seconds = elapsed.Seconds(); m.Seconds > 0 {
		m.PerSec = float64(m.Placed+m.Refused) / m.Seconds
		m.ReplicasPerSec = float64(placedReplicas) / m.Seconds
		m.CPUCores = cpu / m.Seconds
		if done := m.Placed + m.Refused; done > 0 {
			m.CPUMicrosPerRequest = cpu * 1e6 / float64(done)
		}
	}
	slices.Sort(all)
	m.P50Ms, m.P99Ms = ms(percentile(all, 0.50)), ms(percentile(all, 0.99))
	if len(all) > 0 {
		m.MaxMs = ms(all[len(all)-1])
	}
	return m
}

// refused says whether err means the workload did not fit.
func refused(err error) bool {
	var inf *placement.Infeasible
	return errors.As(err, &inf) || isInfeasibleProblem(err)
}

// percentile is the nearest-rank percentile p of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadAverage is the machine's load averages from /proc/loadavg, "" if
// it cannot be read.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// Header names the columns of Rows.
func (PlacementResult) Header() []string {
	return []string{"MODE", "REQUESTS", "PLACED", "REFUSED", "ERRORS", "PER SECOND", "ROUNDS MIN / MEDIAN / MAX", "REPLICAS/S", "P50 ms", "P99 ms", "MAX ms", "CPU", "CPU µs/REQ"}
}

// Rows are the modes as table cells, for people.
func (r PlacementResult) Rows() [][]string {
	out := make([][]string, 0, len(r.Modes))
	for _, m := range r.Modes {
		out = append(out, []string{m.Mode, fmt.Sprint(m.Requests), fmt.Sprint(m.Placed), fmt.Sprint(m.Refused),
			fmt.Sprint(m.Errors), fmt.Sprintf("%.0f", m.PerSec), spanOf(m.PerSecByRound), fmt.Sprintf("%.0f", m.ReplicasPerSec),
			fmt.Sprintf("%.3f", m.P50Ms), fmt.Sprintf("%.3f", m.P99Ms), fmt.Sprintf("%.3f", m.MaxMs), fmt.Sprintf("%.2f", m.CPUCores),
			fmt.Sprintf("%.0f", m.CPUMicrosPerRequest)})
	}
	return out
}

// spanOf is "min / median / max" of rates, "-" for fewer than two.
func spanOf(rates []float64) string {
	if len(rates) < 2 {
		return "-"
	}
	return SpreadOf(rates).Cell(0)
}

// Summary is what the table leaves out: the site, its fill, the load of
// the machine and the audit of the committed placements.
func (r PlacementResult) Summary() string {
	return fmt.Sprintf("site: %d racks, %d servers, %.2f MW of rack budgets; filled %.1f%% -> %.1f%% (%d pre-fill requests)\n"+
		"%d rounds of %d requests of %d replicas (rates per round: min / median / max; latencies over every request); clients: %d; CPUs: %d; load average before: %s, after: %s; %.0f s in all\n"+
		"committed: %d placements (expected %d); %d keys replayed, %d placed twice\n"+
		"audit of the committed replicas after each round (%d at the end): %d racks over budget, %d breaking on a feed loss, %d rows over N+1 cooling, %d halls/site over budget, %d servers over capacity\n",
		r.Racks, r.Servers, r.SiteBudgetWatts/1e6, 100*r.FillBefore, 100*r.FillAfter, r.PrefillRequests,
		r.Rounds, r.Requests, r.Replicas, r.Clients, r.CPUs, r.LoadBefore, r.LoadAfter, r.Seconds,
		r.Committed.Placements, r.Committed.Expected, r.Committed.KeysReplayed, r.Committed.KeysDuplicated,
		r.Audit.Replicas, r.Audit.RackBudget, r.Audit.FeedLoss, r.Audit.Cooling, r.Audit.Budgets, r.Audit.Servers)
}
