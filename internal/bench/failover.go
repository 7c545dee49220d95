package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/internal/freeport"
	"github.com/dcplane/dcplane/internal/inventory"
)

// Timing of the failover bench's clients.
const (
	// attemptTimeout bounds one placement attempt: a writer whose attempt
	// hangs on a dead leader tries again (same idempotency key) this soon,
	// which is the resolution of the measure.
	attemptTimeout = 100 * time.Millisecond
	// writePace is how long a writer waits after an acknowledged
	// placement, so that tens of kills do not fill the site.
	writePace = 20 * time.Millisecond
	// failoverWriters send placements at once.
	failoverWriters = 8
)

// RaftTimeouts is one setting of Raft's timing flags.
type RaftTimeouts struct {
	Name      string        `json:"name"`
	Heartbeat time.Duration `json:"heartbeat"`
	Election  time.Duration `json:"election"`
	Lease     time.Duration `json:"leader_lease"`
	Commit    time.Duration `json:"commit"`
}

func (t RaftTimeouts) String() string {
	return fmt.Sprintf("%s (heartbeat %v, election %v, lease %v, commit %v)", t.Name, t.Heartbeat, t.Election, t.Lease, t.Commit)
}

// FailoverConfig is what Failover measures.
type FailoverConfig struct {
	Binary   string         // the dcplane binary to start controllers with
	Kills    int            // leader kills of each setting
	Timeouts []RaftTimeouts // the settings
	Dir      string         // where the nodes' data and logs go (a new directory, removed at the end)
	// Progress, if set, receives a line per kill.
	Progress io.Writer
}

// FailoverResult is what Failover reports.
type FailoverResult struct {
	Runs    []FailoverRun `json:"runs"`
	Machine MachineFacts  `json:"machine"`
}

// FailoverRun is the kills of one setting.
type FailoverRun struct {
	Timeouts     RaftTimeouts `json:"timeouts"`
	Kills        int          `json:"kills"`
	Seconds      []float64    `json:"seconds"` // kill to first committed write, each kill
	MinMs        float64      `json:"min_ms"`
	P50Ms        float64      `json:"p50_ms"`
	P99Ms        float64      `json:"p99_ms"`
	MaxMs        float64      `json:"max_ms"`
	Acknowledged int          `json:"acknowledged"`
	Lost         int          `json:"lost"` // acknowledged placements missing at the end
	Converged    string       `json:"converged"`
}

// Failover measures the time from a kill -9 of the leader of a 3-node
// controller cluster (real processes on 127.0.0.1, this binary) to the
// first write committed after it: writers keep placing (each placement with
// its idempotency key, retried until acknowledged), and the time is that of
// the first acknowledgement of an attempt sent after the kill. After each
// kill the dead node is restarted on its data directory and the cluster
// waits until every node is ready. At the end every acknowledged placement
// must be in a linearizable read, and every node must hold the same state.
func Failover(ctx context.Context, c FailoverConfig) (FailoverResult, error) {
	r := FailoverResult{Machine: machineFacts()}
	for _, t := range c.Timeouts {
		run, err := failoverRun(ctx, c, t)
		if err != nil {
			return r, fmt.Errorf("bench: failover with %s: %w", t.Name, err)
		}
		r.Runs = append(r.Runs, run)
	}
	r.Machine.LoadEnd = loadAverage()
	return r, nil
}

// failoverRun kills the leader c.Kills times with timeouts t.
func failoverRun(ctx context.Context, c FailoverConfig, t RaftTimeouts) (FailoverRun, error) {
	run := FailoverRun{Timeouts: t}
	dir, err := os.MkdirTemp(c.Dir, "dcplane-bench-failover-")
	if err != nil {
		return run, err
	}
	defer os.RemoveAll(dir)
	pc, err := startProcCluster(ctx, c.Binary, dir, t)
	if err != nil {
		return run, err
	}
	defer pc.stop()
	w := startWriters(pc.urls(), pc.token)
	defer w.stop()
	for k := range c.Kills {
		d, err := pc.killLeader(ctx, w)
		if err != nil {
			return run, err
		}
		run.Seconds = append(run.Seconds, d.Seconds())
		if c.Progress != nil {
			fmt.Fprintf(c.Progress, "%s: kill %d/%d: first write committed %.0f ms after the kill\n", t.Name, k+1, c.Kills, ms(d))
		}
	}
	w.stop()
	run.Kills = len(run.Seconds)
	lat := make([]time.Duration, len(run.Seconds))
	for i, s := range run.Seconds {
		lat[i] = time.Duration(s * float64(time.Second))
	}
	slices.Sort(lat)
	run.MinMs, run.P50Ms, run.P99Ms, run.MaxMs = ms(lat[0]), ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)), ms(lat[len(lat)-1])
	run.Acknowledged, run.Lost, run.Converged, err = pc.audit(ctx, w.acked())
	return run, err
}

// procCluster is three controller processes.
type procCluster struct {
	dir   string
	nodes []*procNode
	token string // the first node's admin token, once it wrote it
}

type procNode struct {
	id, http string
	args     []string
	status   *api.Client
	cmd      *exec.Cmd
	exited   chan struct{}
}

// startProcCluster starts 3 controllers with timeouts t: the first
// bootstraps with inventory.Reference(4), the others join.
func startProcCluster(ctx context.Context, bin, dir string, t RaftTimeouts) (*procCluster, error) {
	pc := &procCluster{dir: dir}
	site := filepath.Join(dir, "site.yaml")
	doc, err := inventory.Marshal(inventory.Reference(4))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(site, doc, 0o644); err != nil {
		return nil, err
	}
	for i := range 3 {
		n := &procNode{id: fmt.Sprintf("n%d", i+1), http: freeport.Addr()}
		if n.status, err = api.NewClient("http://"+n.http, &http.Client{Timeout: 2 * time.Second}); err != nil {
			return nil, err
		}
		pc.nodes = append(pc.nodes, n)
	}
	for i, n := range pc.nodes {
		n.args = []string{"controller", "--node-id", n.id, "--data-dir", filepath.Join(dir, n.id), "--http-addr", n.http,
			"--raft-addr", freeport.Addr(), "--raft-heartbeat-timeout", t.Heartbeat.String(), "--raft-election-timeout", t.Election.String(),
			"--raft-leader-lease-timeout", t.Lease.String(), "--raft-commit-timeout", t.Commit.String(),
			// What is measured is Raft's failover, on loopback: plaintext,
			// the joiners known by the first node's admin token.
			"--insecure"}
		if i == 0 {
			n.args = append(n.args, "--bootstrap", "--inventory", site)
		} else {
			n.args = append(n.args, "--join", pc.urls(), "--token-file", filepath.Join(dir, pc.nodes[0].id, controller.AdminTokenFile))
		}
		if err := pc.start(n, bin); err != nil {
			pc.stop()
			return nil, err
		}
		if i == 0 {
			if err := pc.readAdminToken(ctx); err != nil {
				pc.stop()
				return nil, err
			}
		}
		if err := pc.waitReady(ctx); err != nil {
			pc.stop()
			return nil, err
		}
	}
	return pc, nil
}

func (pc *procCluster) urls() string {
	var us []string
	for _, n := range pc.nodes {
		us = append(us, "http://"+n.http)
	}
	return strings.Join(us, ",")
}

// start starts n's process, its output appended to its log.
func (pc *procCluster) start(n *procNode, bin string) error {
	args := n.args
	if n.cmd != nil && slices.Contains(args, "--inventory") {
		args = args[:len(args)-2] // the cluster has it: see internal/faults
	}
	log, err := os.OpenFile(filepath.Join(pc.dir, n.id+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", n.id, err)
	}
	n.cmd, n.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { _ = cmd.Wait(); log.Close(); close(exited) }(n.exited)
	return nil
}

func (pc *procCluster) stop() {
	for _, n := range pc.nodes {
		if n.cmd != nil {
			_ = n.cmd.Process.Signal(syscall.SIGKILL)
			<-n.exited
		}
	}
}

// waitReady waits until every running node serves and one leads; it
// returns the leader's index.
// readAdminToken waits for the admin token the bootstrapping node writes
// into its data directory, and gives it to every node's status client.
func (pc *procCluster) readAdminToken(ctx context.Context) error {
	path := filepath.Join(pc.dir, pc.nodes[0].id, controller.AdminTokenFile)
	return waitUntil(ctx, path, func() bool {
		b, err := os.ReadFile(path)
		if pc.token = strings.TrimSpace(string(b)); err != nil || pc.token == "" {
			return false
		}
		for _, n := range pc.nodes {
			n.status.UseToken(pc.token)
		}
		return true
	})
}

func (pc *procCluster) waitReady(ctx context.Context) error {
	_, err := pc.leader(ctx)
	return err
}

// leader waits until every running node is ready and names the same
// leader, and returns its index.
func (pc *procCluster) leader(ctx context.Context) (int, error) {
	found := -1
	err := waitUntil(ctx, "a ready cluster", func() bool {
		found = -1
		var leaders []string
		for i, n := range pc.nodes {
			if n.cmd == nil {
				continue
			}
			st, err := n.status.Cluster(ctx)
			if err != nil || st.Ready != "ok" {
				return false
			}
			leaders = append(leaders, st.Leader)
			if st.State == "Leader" {
				found = i
			}
		}
		return found >= 0 && !slices.ContainsFunc(leaders, func(l string) bool { return l != pc.nodes[found].id })
	})
	return found, err
}

// killLeader kills -9 the leader, waits for the first placement sent after
// the kill to be acknowledged, restarts the dead node and waits until the
// cluster is ready again. It returns the time from the kill to that
// acknowledgement.
func (pc *procCluster) killLeader(ctx context.Context, w *writers) (time.Duration, error) {
	l, err := pc.leader(ctx)
	if err != nil {
		return 0, err
	}
	n := pc.nodes[l]
	t0 := time.Now()
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	first, err := w.firstAckAfter(ctx, t0)
	if err != nil {
		return 0, err
	}
	<-n.exited
	if err := pc.start(n, n.cmd.Path); err != nil {
		return 0, err
	}
	return first.Sub(t0), pc.waitReady(ctx)
}

// audit reads every placement through the leader (consistent), counts the
// acknowledged keys missing, and waits until every node holds the same
// state.
func (pc *procCluster) audit(ctx context.Context, acked []string) (int, int, string, error) {
	l, err := pc.leader(ctx)
	if err != nil {
		return len(acked), len(acked), "", err
	}
	var list api.PlacementList
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+pc.nodes[l].http+"/v1/placements?consistent=true", nil)
	req.Header.Set("Authorization", "Bearer "+pc.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return len(acked), len(acked), "", err
	}
	defer resp.Body.Close()
	// Anything but the list (a refusal, a node catching up) is an error,
	// never an empty list that would count every acknowledged write lost.
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return len(acked), len(acked), "", fmt.Errorf("read placements: %s: %s", resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return len(acked), len(acked), "", fmt.Errorf("read placements: %w", err)
	}
	have := map[string]bool{}
	for _, p := range list.Placements {
		have[p.Name] = true
	}
	lost := 0
	for _, k := range acked {
		if !have[k] {
			lost++
		}
	}
	var seen string
	err = waitUntil(ctx, "every node to hold the same state", func() bool {
		var states []string
		for _, n := range pc.nodes {
			st, err := n.status.Cluster(ctx)
			if err != nil {
				return false
			}
			states = append(states, fmt.Sprintf("%d:%.12s", st.StateIndex, st.StateHash))
		}
		seen = strings.Join(states, " ")
		return !slices.ContainsFunc(states, func(s string) bool { return s != states[0] })
	})
	return len(acked), lost, seen, err
}

// writers place keys through an API client of every controller until
// stopped, and record when each placement was acknowledged.
type writers struct {
	stopped atomic.Bool
	wg      sync.WaitGroup
	next    atomic.Int64
	mu      sync.Mutex
	acks    []ack
	cond    chan struct{} // closed and replaced at each acknowledgement
}

// ack is one acknowledged placement: its key, when its successful attempt
// was sent and when it was answered.
type ack struct {
	key        string
	sent, done time.Time
}

func startWriters(urls, token string) *writers {
	w := &writers{cond: make(chan struct{})}
	for range failoverWriters {
		cl, _ := api.NewClient(urls, &http.Client{Timeout: 2 * time.Second})
		cl.UseToken(token)
		w.wg.Add(1)
		go func() { defer w.wg.Done(); w.write(cl) }()
	}
	return w
}

func (w *writers) stop() {
	w.stopped.Store(true)
	w.wg.Wait()
}

// write places keys one after the other, each retried until acknowledged.
func (w *writers) write(cl *api.Client) {
	defer cl.CloseIdleConnections()
	for !w.stopped.Load() {
		key := fmt.Sprintf("f%07d", w.next.Add(1))
		req := &api.PlacementRequest{Name: key, System: "failover", Replicas: 1, CPUMillicores: 10, MemoryMiB: 16, Watts: 1}
		for !w.stopped.Load() {
			sent := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), attemptTimeout)
			_, err := cl.Place(ctx, req, api.PlaceOptions{Key: key})
			cancel()
			if err == nil {
				w.record(ack{key: key, sent: sent, done: time.Now()})
				time.Sleep(writePace)
				break
			}
			var p *api.Problem
			if errors.As(err, &p) && p.Type == api.ProblemInfeasible {
				break // the site is full: a refusal, not an acknowledgement
			}
		}
	}
}

func (w *writers) record(a ack) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.acks = append(w.acks, a)
	close(w.cond)
	w.cond = make(chan struct{})
}

// firstAckAfter waits for the first acknowledgement of an attempt sent
// after t0 and returns when it came.
func (w *writers) firstAckAfter(ctx context.Context, t0 time.Time) (time.Time, error) {
	deadline := time.After(raftSettle)
	for {
		w.mu.Lock()
		for _, a := range w.acks {
			if a.sent.After(t0) {
				w.mu.Unlock()
				return a.done, nil
			}
		}
		cond := w.cond
		w.mu.Unlock()
		select {
		case <-cond:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-deadline:
			return time.Time{}, fmt.Errorf("no write committed within %v of the kill", raftSettle)
		}
	}
}

// acked returns every acknowledged key.
func (w *writers) acked() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	keys := make([]string, len(w.acks))
	for i, a := range w.acks {
		keys[i] = a.key
	}
	return keys
}

// Header names the columns of Rows.
func (FailoverResult) Header() []string {
	return []string{"TIMEOUTS", "KILLS", "MIN ms", "P50 ms", "P99 ms", "MAX ms", "ACKNOWLEDGED", "LOST"}
}

// Rows are the settings, one a row.
func (r FailoverResult) Rows() [][]string {
	var rows [][]string
	for _, run := range r.Runs {
		rows = append(rows, []string{run.Timeouts.Name, strconv.Itoa(run.Kills), fmt.Sprintf("%.0f", run.MinMs),
			fmt.Sprintf("%.0f", run.P50Ms), fmt.Sprintf("%.0f", run.P99Ms), fmt.Sprintf("%.0f", run.MaxMs),
			strconv.Itoa(run.Acknowledged), strconv.Itoa(run.Lost)})
	}
	return rows
}

// Summary is what the table leaves out.
func (r FailoverResult) Summary() string {
	var b strings.Builder
	for _, run := range r.Runs {
		fmt.Fprintf(&b, "%s: every node at the end: %s\n", run.Timeouts, run.Converged)
	}
	fmt.Fprintf(&b, "3 controller processes on 127.0.0.1, kill -9 of the leader; time to the first placement acknowledged among those sent after the kill (%d writers through api.Client with every controller, attempts of %v)\n",
		failoverWriters, attemptTimeout)
	fmt.Fprintf(&b, "machine: %d CPUs (%s), %s, load average %s at the start, %s at the end\n",
		r.Machine.CPUs, r.Machine.CPU, r.Machine.GoVersion, r.Machine.LoadStart, r.Machine.LoadEnd)
	return b.String()
}
