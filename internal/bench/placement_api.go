package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
)

// keysReplayed bounds how many measured requests are sent again with their
// idempotency key, to check that none places twice.
const keysReplayed = 100

// clientLabels mark the clients' goroutines in a CPU profile: see them
// with go tool pprof -tagfocus side=client, the controller's with
// -tagignore side=client.
var clientLabels = pprof.Labels("side", "client")

// fsyncFor is how long the disk's fsync is timed.
const fsyncFor = time.Second

// apiRun is a single-node controller serving its API on 127.0.0.1, and
// clients of it.
type apiRun struct {
	node    *serve.Node
	client  *api.Client
	http    *http.Client
	url     string
	dir     string
	cancel  context.CancelFunc
	served  chan error
	clients int
}

// startController opens a single-node controller (Raft bootstrapped in a
// new directory under dir, fsync on every commit as in production), serves
// its API on 127.0.0.1:0 and loads site.
func startController(ctx context.Context, dir string, clients int, site *inventory.Site, log *slog.Logger) (_ *apiRun, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d, err := os.MkdirTemp(dir, "dcplane-bench-placement-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	a := &apiRun{dir: d, clients: clients, served: make(chan error, 1)}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	a.node, err = serve.Open(ctx, controller.Config{NodeID: "bench", DataDir: filepath.Join(d, "raft"),
		RaftAddr: "127.0.0.1:0", Bootstrap: true, StaleAfter: time.Minute, Logger: log,
		// No agent feeds this node: place on declared power rather than
		// refuse every rack once the leader finds them stale.
		DeclaredOnly: true})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() { a.served <- a.node.Serve(sctx, ln) }() // ends when close cancels sctx
	a.url = "http://" + ln.Addr().String()
	// One kept-alive connection per client: the default keeps two.
	a.http = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxIdleConns: clients}}
	if a.client, err = api.NewClient(a.url, a.http); err != nil {
		return nil, err
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := a.node.WaitForLeader(wctx); err != nil {
		return nil, fmt.Errorf("bench: controller: %w", err)
	}
	// The clients authenticate as the operator who reads the bootstrapping
	// node's first admin token: every request carries it, and every
	// placement is audited, as in production.
	token, err := a.node.BootstrapToken(wctx)
	if err != nil {
		return nil, fmt.Errorf("bench: controller: %w", err)
	}
	a.client.UseToken(token)
	if _, err := a.node.PutSite(ctx, site); err != nil {
		return nil, fmt.Errorf("bench: controller: %w", err)
	}
	return a, nil
}

// close stops the server and the controller and removes their directory.
func (a *apiRun) close() {
	if a.cancel != nil {
		a.cancel()
		<-a.served
	}
	if a.http != nil {
		a.http.CloseIdleConnections()
	}
	if a.node != nil {
		a.node.Close()
	}
	os.RemoveAll(a.dir)
}

// drive calls do for i in [0, n) from a.clients goroutines, each taking
// the next i as it finishes the last, and times each call. It returns when
// every call has returned.
func (a *apiRun) drive(ctx context.Context, n int, do func(ctx context.Context, i int) error) timing {
	t := timing{lat: make([]time.Duration, n), errs: make([]error, n)}
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0, start := selfCPU(), time.Now()
	for range a.clients {
		wg.Add(1)
		// Labelled, with the goroutines their connections start, so that a
		// CPU profile tells the clients' share from the controller's.
		go pprof.Do(ctx, clientLabels, func(ctx context.Context) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				t.errs[i] = do(ctx, i)
				t.lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	t.elapsed = time.Since(start)
	t.cores = (selfCPU() - cpu0).Seconds() / t.elapsed.Seconds()
	return t
}

// healthz is one GET /healthz: the HTTP round trip with no work behind it.
func (a *apiRun) healthz(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.url+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET /healthz: %s", resp.Status)
	}
	return err
}

// apiModes are the timings of the API's modes, round after round.
type apiModes struct {
	healthz, dryRun, place []timing
}

// placeThroughAPI runs the API modes on a fresh controller and audits what
// it committed after each round.
func placeThroughAPI(ctx context.Context, c PlacementConfig, site *inventory.Site, topo *placement.Cluster,
	prefill []placement.Request, rounds [][]placement.Request, r *PlacementResult) error {
	a, err := startController(ctx, c.Dir, c.Clients, site, c.Logger)
	if err != nil {
		return err
	}
	defer a.close()
	r.Modes = append(r.Modes, modeOf("disk fsync (4 KiB)", []timing{fsyncTiming(a.dir)}))
	pre, err := a.prefill(ctx, prefill, r)
	if err != nil {
		return err
	}
	r.Modes = append(r.Modes, pre)
	var m apiModes
	for round, reqs := range rounds {
		last := round == len(rounds)-1
		prof := ""
		if last {
			prof = c.CPUProfile
		}
		ids, err := a.round(ctx, round, reqs, &m, prof)
		if err != nil {
			return err
		}
		if err := a.auditCommitted(ctx, topo, r); err != nil {
			return err
		}
		if last {
			r.Committed.Expected = pre.Placed + len(slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" }))
			if err := a.replayKeys(ctx, round, reqs, ids, &r.Committed); err != nil {
				return err
			}
			break
		}
		if err := a.remove(ctx, ids); err != nil {
			return err
		}
	}
	r.Modes = append(r.Modes, modeOf("API GET /healthz", m.healthz), modeOf("API dry run (no commit)", m.dryRun),
		modeOf("API place + Raft commit", m.place))
	return nil
}

// prefill places the pre-fill requests and notes the fill they reach.
func (a *apiRun) prefill(ctx context.Context, prefill []placement.Request, r *PlacementResult) (ModeResult, error) {
	watts := make([]float64, len(prefill))
	t := a.drive(ctx, len(prefill), func(ctx context.Context, i int) error {
		p, err := a.client.Place(ctx, apiRequest(&prefill[i]), api.PlaceOptions{Key: fmt.Sprintf("prefill-%d", i)})
		if err == nil {
			watts[i] = p.Watts
		}
		return err
	})
	t.replicas = replicasOf(prefill)
	pre := modeOf(fmt.Sprintf("API pre-fill (up to %d replicas)", prefillChunk), []timing{t})
	if pre.Errors > 0 {
		return pre, fmt.Errorf("bench: pre-fill: %d errors, the first: %s", pre.Errors, pre.FirstError)
	}
	var filled float64
	for _, w := range watts {
		filled += w
	}
	r.FillBefore = filled / r.SiteBudgetWatts
	return pre, nil
}

// round times one round of each API mode, and returns the IDs of the
// placements it made ("" where refused). With prof, a CPU profile of its
// placements is written there.
func (a *apiRun) round(ctx context.Context, round int, reqs []placement.Request, m *apiModes, prof string) ([]string, error) {
	m.healthz = append(m.healthz, a.drive(ctx, len(reqs), func(ctx context.Context, _ int) error { return a.healthz(ctx) }))
	t := a.drive(ctx, len(reqs), func(ctx context.Context, i int) error {
		_, err := a.client.Place(ctx, apiRequest(&reqs[i]), api.PlaceOptions{DryRun: true})
		return err
	})
	t.replicas = replicasOf(reqs)
	m.dryRun = append(m.dryRun, t)
	ids := make([]string, len(reqs))
	stop, err := startCPUProfile(prof)
	if err != nil {
		return nil, err
	}
	t = a.drive(ctx, len(reqs), func(ctx context.Context, i int) error {
		p, err := a.client.Place(ctx, apiRequest(&reqs[i]), api.PlaceOptions{Key: measuredKey(round, i)})
		if err == nil {
			ids[i] = p.ID
		}
		return err
	})
	if err := stop(); err != nil {
		return nil, err
	}
	t.replicas = replicasOf(reqs)
	m.place = append(m.place, t)
	return ids, nil
}

// remove removes the placements of ids (untimed), so that the next round
// starts from the pre-filled site.
func (a *apiRun) remove(ctx context.Context, ids []string) error {
	t := a.drive(ctx, len(ids), func(ctx context.Context, i int) error {
		if ids[i] == "" {
			return nil
		}
		return a.client.RemovePlacement(ctx, ids[i])
	})
	for _, err := range t.errs {
		if err != nil {
			return fmt.Errorf("bench: removing a round's placements: %w", err)
		}
	}
	return nil
}

func measuredKey(round, i int) string { return fmt.Sprintf("bench-r%d-%d", round, i) }

// replayKeys sends the first placed requests of a round again, with the
// same keys, and counts those answered with another placement.
func (a *apiRun) replayKeys(ctx context.Context, round int, reqs []placement.Request, ids []string, cc *CommitCheck) error {
	for i := 0; i < len(reqs) && cc.KeysReplayed < keysReplayed; i++ {
		if ids[i] == "" {
			continue
		}
		p, err := a.client.Place(ctx, apiRequest(&reqs[i]), api.PlaceOptions{Key: measuredKey(round, i)})
		if err != nil {
			return fmt.Errorf("bench: replaying key %s: %w", measuredKey(round, i), err)
		}
		cc.KeysReplayed++
		if p.ID != ids[i] {
			cc.KeysDuplicated++
		}
	}
	return nil
}

// auditCommitted lists what the controller committed and recomputes every
// hard limit from it, adding what it finds to r's audit.
func (a *apiRun) auditCommitted(ctx context.Context, topo *placement.Cluster, r *PlacementResult) error {
	list, err := a.client.Placements(ctx, "")
	if err != nil {
		return fmt.Errorf("bench: listing the committed placements: %w", err)
	}
	servers := serverIndex(topo)
	var rs []used
	var total float64
	for _, p := range list.Placements {
		for _, rep := range p.Replicas {
			s, ok := servers[rep.Server]
			if !ok {
				return fmt.Errorf("bench: placement %s on server %q, which the site does not have", p.ID, rep.Server)
			}
			rs = append(rs, used{server: s, watts: rep.Watts, cpu: p.Request.CPUMillicores, mem: p.Request.MemoryMiB, gpus: p.Request.GPUs})
			total += rep.Watts
		}
	}
	au := audit(topo, nil, rs)
	r.Audit = AuditResult{Replicas: au.Replicas, RackBudget: r.Audit.RackBudget + au.RackBudget, FeedLoss: r.Audit.FeedLoss + au.FeedLoss,
		Cooling: r.Audit.Cooling + au.Cooling, Budgets: r.Audit.Budgets + au.Budgets, Servers: r.Audit.Servers + au.Servers}
	r.Committed.Placements = len(list.Placements)
	r.FillAfter = total / r.SiteBudgetWatts
	return nil
}

// startCPUProfile starts a CPU profile written to path ("" : none) and
// returns what stops it and closes the file.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: CPU profile %s: %w", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("bench: CPU profile %s: %w", path, err)
		}
		return nil
	}, nil
}

// fsyncTiming times 4 KiB appends each followed by fsync, in dir, for
// fsyncFor: the floor under a commit that is not batched with others.
func fsyncTiming(dir string) timing {
	var t timing
	f, err := os.CreateTemp(dir, "fsync-")
	if err != nil {
		return timing{lat: []time.Duration{0}, errs: []error{err}}
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	start := time.Now()
	for time.Since(start) < fsyncFor {
		t0 := time.Now()
		_, err := f.Write(buf)
		if err == nil {
			err = f.Sync()
		}
		t.lat, t.errs = append(t.lat, time.Since(t0)), append(t.errs, err)
	}
	t.elapsed = time.Since(start)
	return t
}

// isInfeasibleProblem says whether err is the API's answer that the
// workload does not fit.
func isInfeasibleProblem(err error) bool {
	var p *api.Problem
	return errors.As(err, &p) && p.Type == api.ProblemInfeasible
}
