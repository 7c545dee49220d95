package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/agent"
	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/demo"
	"github.com/dcplane/dcplane/internal/inventory"
)

// PollConfig is what Poll measures.
type PollConfig struct {
	Racks    int           // racks of the simulated site (two PDUs each, and their rows' cooling units)
	Interval time.Duration // poll interval of each device
	// Timeout bounds each poll, apart from Interval: a device that answers
	// within it is polled, however long a poll takes against the interval,
	// so that a failure counted is the device's, not the bench's own. 2 s
	// if 0.
	Timeout  time.Duration
	Duration time.Duration // how long each run measures, after one interval of warm-up
	Runs     int           // windows of Duration measured one after the other; 1 if 0
	Workers  int           // agent polls at once
	// SimStderr receives the simulator process's standard error; nil
	// discards it.
	SimStderr io.Writer
	Logger    *slog.Logger // the agent's and its collector's; nil: discard
}

// DefaultPollTimeout is PollConfig.Timeout's default.
const DefaultPollTimeout = 2 * time.Second

// PollResult is what Poll reports: the figures of each run, as a spread.
type PollResult struct {
	Devices     int     `json:"devices"`
	Skipped     int     `json:"skipped_devices"`
	Interval    string  `json:"interval"`
	Timeout     string  `json:"timeout"`
	Workers     int     `json:"workers"`
	CPUs        int     `json:"cpus"`
	Runs        int     `json:"runs"`
	Seconds     float64 `json:"seconds_per_run"`
	AskedPerSec float64 `json:"asked_polls_per_second"`

	PollsPerSec      Spread `json:"polls_per_second"`
	FailedPerSec     Spread `json:"failed_polls_per_second"`
	AgentCores       Spread `json:"agent_cpu_cores"`
	SimCores         Spread `json:"simulator_cpu_cores"`
	AgentCPUPerKPoll Spread `json:"agent_cpu_seconds_per_1000_polls"`
	BytesPerPoll     Spread `json:"batch_bytes_per_poll"`

	// FailingDevices counts the devices a poll of which failed, over every
	// run; Failures names the first of them (by name), with why.
	FailingDevices int             `json:"failing_devices"`
	Failures       []DeviceFailure `json:"failures,omitempty"`
}

// DeviceFailure is a device whose polls failed during a bench.
type DeviceFailure struct {
	Device string `json:"device"`
	Reason string `json:"reason"` // the last failed poll's: timeout, refused, parse…
	Failed int    `json:"failed_polls"`
}

// maxFailures is how many failing devices a PollResult names.
const maxFailures = 10

// pollRun is the figures of one run of Poll.
type pollRun struct {
	pollsPerSec, failedPerSec, agentCores, simCores, cpuPerKPoll, bytesPerPoll float64
}

// Poll starts the simulated site in a child process (this executable's
// 'sim' command, so the calling program must be dcplane), polls every device
// of it with one agent in this process for c.Runs windows of c.Duration,
// and reports the polls per second achieved against those asked for, the
// failures (and the devices that failed), and the CPU each process used.
// Batches are encoded as for the controller and then dropped, so the
// controller is not measured.
func Poll(ctx context.Context, c PollConfig) (PollResult, error) {
	dir, err := os.MkdirTemp("", "dcplane-bench-")
	if err != nil {
		return PollResult{}, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	child, site, community, err := startSimProcess(ctx, dir, c.Racks, c.SimStderr)
	if err != nil {
		return PollResult{}, err
	}
	defer func() { cancel(); _ = child.Wait() }()
	return pollSite(ctx, c, site, community, child.Process.Pid)
}

// pollSite is Poll against the devices of a running simulated site, whose
// process is simPID (this process's CPU is counted as the agent's only).
func pollSite(ctx context.Context, c PollConfig, site *inventory.Site, community snmp.Secret, simPID int) (PollResult, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultPollTimeout
	}
	c.Runs = max(c.Runs, 1)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	targets, skipped := demo.Targets(site, community, c.Logger)
	reg := prometheus.NewRegistry()
	push := &discardPusher{failed: map[string]*DeviceFailure{}}
	a, err := agent.New(agent.Config{Name: "bench", Targets: targets, Pusher: push, Interval: c.Interval, Timeout: c.Timeout,
		Workers: c.Workers, Registerer: reg, Logger: c.Logger})
	if err != nil {
		return PollResult{}, err
	}
	wg.Go(func() { _ = a.Run(ctx) })
	if err := sleepCtx(ctx, c.Interval); err != nil { // warm-up: every device polled once
		return PollResult{}, err
	}
	r := PollResult{Devices: len(targets), Skipped: len(skipped), Interval: c.Interval.String(), Timeout: c.Timeout.String(),
		Workers: c.Workers, CPUs: runtime.NumCPU(), Runs: c.Runs, Seconds: c.Duration.Seconds(),
		AskedPerSec: float64(len(targets)) / c.Interval.Seconds()}
	var runs []pollRun
	for range c.Runs {
		before := measure(reg, simPID, push)
		if err := sleepCtx(ctx, c.Duration); err != nil {
			return PollResult{}, err
		}
		runs = append(runs, runOf(before, measure(reg, simPID, push)))
	}
	r.spread(runs)
	r.FailingDevices, r.Failures = push.failures(maxFailures)
	return r, nil
}

// discardPusher encodes batches as the real client does (CBOR, gzip),
// counts them, notes the devices whose polls failed, and drops them.
type discardPusher struct {
	polls, bytes atomic.Int64
	mu           sync.Mutex
	failed       map[string]*DeviceFailure // by device
}

func (p *discardPusher) Push(_ context.Context, b *api.Batch) (*api.IngestResult, error) {
	enc, err := api.EncodeBatch(b)
	if err != nil {
		return nil, err
	}
	p.polls.Add(int64(len(b.Polls)))
	p.bytes.Add(int64(len(enc)))
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range b.Polls {
		if st.OK {
			continue
		}
		f := p.failed[st.Device]
		if f == nil {
			f = &DeviceFailure{Device: st.Device}
			p.failed[st.Device] = f
		}
		f.Reason = st.Reason
		f.Failed++
	}
	return &api.IngestResult{Accepted: len(b.Polls)}, nil
}

// failures is how many devices failed a poll, and the first n of them by
// name.
func (p *discardPusher) failures(n int) (int, []DeviceFailure) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []DeviceFailure
	for _, f := range p.failed {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b DeviceFailure) int { return strings.Compare(a.Device, b.Device) })
	return len(out), out[:min(n, len(out))]
}

// startSimProcess runs 'dcplane sim' as a child and waits for its inventory.
func startSimProcess(ctx context.Context, dir string, racks int, stderr io.Writer) (*exec.Cmd, *inventory.Site, snmp.Secret, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, snmp.Secret{}, err
	}
	invPath, commPath := filepath.Join(dir, "site.yaml"), filepath.Join(dir, "community")
	community, err := demo.Community(commPath)
	if err != nil {
		return nil, nil, snmp.Secret{}, err
	}
	child := exec.CommandContext(ctx, self, "sim", "--racks", strconv.Itoa(racks), "--inventory-out", invPath,
		"--community-file", commPath, "--log-level", "error")
	child.Stderr = stderr
	if err := child.Start(); err != nil {
		return nil, nil, snmp.Secret{}, fmt.Errorf("start simulator: %w", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		site, err := inventory.LoadFile(invPath)
		if err == nil {
			return child, site, community, nil
		}
		if !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			_ = child.Process.Kill()
			_ = child.Wait()
			return nil, nil, snmp.Secret{}, fmt.Errorf("simulator: %w", err)
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return nil, nil, snmp.Secret{}, err
		}
	}
}

// sample is what Poll reads at the start and end of each run.
type sample struct {
	wall         time.Time
	ok, failed   float64
	selfCPU, sim time.Duration
	polls, bytes int64 // pushed
}

func measure(reg *prometheus.Registry, simPID int, push *discardPusher) sample {
	s := sample{wall: time.Now(), selfCPU: selfCPU(), sim: procCPU(simPID), polls: push.polls.Load(), bytes: push.bytes.Load()}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "dcplane_agent_polls_total" {
			continue
		}
		for _, m := range mf.Metric {
			if m.Label[0].GetValue() == "ok" {
				s.ok = m.GetCounter().GetValue()
			} else {
				s.failed = m.GetCounter().GetValue()
			}
		}
	}
	return s
}

// runOf is the figures of the run between samples a and b.
func runOf(a, b sample) pollRun {
	secs := b.wall.Sub(a.wall).Seconds()
	r := pollRun{pollsPerSec: (b.ok - a.ok) / secs, failedPerSec: (b.failed - a.failed) / secs,
		agentCores: (b.selfCPU - a.selfCPU).Seconds() / secs, simCores: (b.sim - a.sim).Seconds() / secs}
	if polls := b.ok + b.failed - a.ok - a.failed; polls > 0 {
		r.cpuPerKPoll = (b.selfCPU - a.selfCPU).Seconds() / polls * 1000
	}
	if pushed := b.polls - a.polls; pushed > 0 {
		r.bytesPerPoll = float64(b.bytes-a.bytes) / float64(pushed)
	}
	return r
}

// spread sets each figure to its spread over runs.
func (r *PollResult) spread(runs []pollRun) {
	of := func(f func(pollRun) float64) Spread {
		xs := make([]float64, len(runs))
		for i, run := range runs {
			xs[i] = f(run)
		}
		return SpreadOf(xs)
	}
	r.PollsPerSec = of(func(p pollRun) float64 { return p.pollsPerSec })
	r.FailedPerSec = of(func(p pollRun) float64 { return p.failedPerSec })
	r.AgentCores = of(func(p pollRun) float64 { return p.agentCores })
	r.SimCores = of(func(p pollRun) float64 { return p.simCores })
	r.AgentCPUPerKPoll = of(func(p pollRun) float64 { return p.cpuPerKPoll })
	r.BytesPerPoll = of(func(p pollRun) float64 { return p.bytesPerPoll })
}

// Header names the columns of Rows.
func (PollResult) Header() []string { return []string{"FIGURE", "MIN", "MEDIAN", "MAX"} }

// Rows are the figures, one a row, for people.
func (r PollResult) Rows() [][]string {
	row := func(name string, s Spread, decimals int) []string {
		f := func(x float64) string { return fmt.Sprintf("%.*f", decimals, x) }
		return []string{name, f(s.Min), f(s.Median), f(s.Max)}
	}
	return [][]string{
		row("polls/s", r.PollsPerSec, 0),
		row("failed polls/s", r.FailedPerSec, 1),
		row("agent CPU (cores)", r.AgentCores, 2),
		row("agent CPU s per 1000 polls", r.AgentCPUPerKPoll, 3),
		row("simulator CPU (cores)", r.SimCores, 2),
		row("batch bytes per poll", r.BytesPerPoll, 0),
	}
}

// Summary is the set-up, the runs and the devices that failed.
func (r PollResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d devices (%d skipped), interval %s (asked %.0f polls/s), timeout %s per poll, %d workers\n",
		r.Devices, r.Skipped, r.Interval, r.AskedPerSec, r.Timeout, r.Workers)
	fmt.Fprintf(&b, "%s of %.0f s each, after one interval of warm-up\n", SpreadHeader(r.Runs, "runs"), r.Seconds)
	if r.FailingDevices == 0 {
		b.WriteString("failing devices: none\n")
		return b.String()
	}
	fmt.Fprintf(&b, "failing devices: %d (the devices', within a %s timeout per poll):", r.FailingDevices, r.Timeout)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, " %s (%s, %d polls)", f.Device, f.Reason, f.Failed)
	}
	if r.FailingDevices > len(r.Failures) {
		fmt.Fprintf(&b, " and %d more", r.FailingDevices-len(r.Failures))
	}
	b.WriteString("\n")
	return b.String()
}
