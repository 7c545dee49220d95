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
	"strconv"
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
	Duration time.Duration // how long to measure, after one interval of warm-up
	Workers  int           // agent polls at once
	// SimStderr receives the simulator process's standard error; nil
	// discards it.
	SimStderr io.Writer
	Logger    *slog.Logger // the agent's and its collector's; nil: discard
}

// PollResult is what Poll reports.
type PollResult struct {
	Devices          int     `json:"devices"`
	Skipped          int     `json:"skipped_devices"`
	Interval         string  `json:"interval"`
	Workers          int     `json:"workers"`
	CPUs             int     `json:"cpus"`
	Seconds          float64 `json:"seconds"`
	AskedPerSec      float64 `json:"asked_polls_per_second"`
	PollsPerSec      float64 `json:"polls_per_second"`
	FailedPerSec     float64 `json:"failed_polls_per_second"`
	AgentCores       float64 `json:"agent_cpu_cores"`
	SimCores         float64 `json:"simulator_cpu_cores"`
	AgentCPUPerKPoll float64 `json:"agent_cpu_seconds_per_1000_polls"`
	BytesPerPoll     float64 `json:"batch_bytes_per_poll"`
}

// Poll starts the simulated site in a child process (this executable's
// 'sim' command, so the calling program must be dcplane), polls every device
// of it with one agent in this process for c.Duration, and reports the polls
// per second achieved against those asked for, the failures, and the CPU
// each process used. Batches are encoded as for the controller and then
// dropped, so the controller is not measured.
func Poll(ctx context.Context, c PollConfig) (PollResult, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
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
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait(); _ = child.Wait() }() // the agent, then the simulator
	targets, skipped := demo.Targets(site, community, c.Logger)
	reg := prometheus.NewRegistry()
	push := &discardPusher{}
	a, err := agent.New(agent.Config{Name: "bench", Targets: targets, Pusher: push, Interval: c.Interval, Timeout: c.Interval,
		Workers: c.Workers, Registerer: reg, Logger: c.Logger})
	if err != nil {
		return PollResult{}, err
	}
	wg.Go(func() { _ = a.Run(ctx) })
	if err := sleepCtx(ctx, c.Interval); err != nil { // warm-up: every device polled once
		return PollResult{}, err
	}
	before := measure(reg, child.Process.Pid)
	if err := sleepCtx(ctx, c.Duration); err != nil {
		return PollResult{}, err
	}
	after := measure(reg, child.Process.Pid)
	r := PollResult{Devices: len(targets), Skipped: len(skipped), Interval: c.Interval.String(), Seconds: after.wall.Sub(before.wall).Seconds(),
		Workers: c.Workers, CPUs: runtime.NumCPU()}
	r.fill(before, after, float64(push.bytes.Load())/max(1, float64(push.polls.Load())))
	return r, nil
}

// discardPusher encodes batches as the real client does (CBOR, gzip),
// counts them and drops them.
type discardPusher struct{ polls, bytes atomic.Int64 }

func (p *discardPusher) Push(_ context.Context, b *api.Batch) (*api.IngestResult, error) {
	enc, err := api.EncodeBatch(b)
	if err != nil {
		return nil, err
	}
	p.polls.Add(int64(len(b.Polls)))
	p.bytes.Add(int64(len(enc)))
	return &api.IngestResult{Accepted: len(b.Polls)}, nil
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

// sample is what Poll reads at the start and end of its window.
type sample struct {
	wall         time.Time
	ok, failed   float64
	selfCPU, sim time.Duration
}

func measure(reg *prometheus.Registry, simPID int) sample {
	s := sample{wall: time.Now(), selfCPU: selfCPU(), sim: procCPU(simPID)}
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

func (r *PollResult) fill(a, b sample, bytesPerPoll float64) {
	secs := r.Seconds
	iv, _ := time.ParseDuration(r.Interval)
	r.AskedPerSec = float64(r.Devices) / iv.Seconds()
	r.PollsPerSec = (b.ok - a.ok) / secs
	r.FailedPerSec = (b.failed - a.failed) / secs
	r.AgentCores = (b.selfCPU - a.selfCPU).Seconds() / secs
	r.SimCores = (b.sim - a.sim).Seconds() / secs
	if polls := b.ok + b.failed - a.ok - a.failed; polls > 0 {
		r.AgentCPUPerKPoll = (b.selfCPU - a.selfCPU).Seconds() / polls * 1000
	}
	r.BytesPerPoll = bytesPerPoll
}

// Header names the columns of Row.
func (PollResult) Header() []string {
	return []string{"DEVICES", "INTERVAL", "ASKED/s", "POLLS/s", "FAILED/s", "AGENT CPU", "CPU s/1k POLLS", "SIM CPU", "BYTES/POLL"}
}

// Row is the result as table cells, for people.
func (r PollResult) Row() []string {
	return []string{fmt.Sprint(r.Devices), r.Interval, fmt.Sprintf("%.0f", r.AskedPerSec), fmt.Sprintf("%.0f", r.PollsPerSec),
		fmt.Sprintf("%.1f", r.FailedPerSec), fmt.Sprintf("%.2f cores", r.AgentCores), fmt.Sprintf("%.3f", r.AgentCPUPerKPoll),
		fmt.Sprintf("%.2f cores", r.SimCores), fmt.Sprintf("%.0f", r.BytesPerPoll)}
}
