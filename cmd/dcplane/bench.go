package main

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
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/agent"
	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/inventory"
)

func newBenchCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure dcplane on this machine (figures for docs/benchmarks.md)"}
	cmd.AddCommand(newBenchPollCmd(g), newBenchDemoCmd(g))
	return cmd
}

type benchPollOptions struct {
	*globalOptions
	racks    int
	interval time.Duration
	duration time.Duration
	workers  int
}

func newBenchPollCmd(g *globalOptions) *cobra.Command {
	o := &benchPollOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "poll",
		Short: "Device polls per second one agent sustains against the simulator, and the CPU it uses",
		Long: `Start the simulated site in a child process ('dcplane sim'), poll every
device of it with one agent in this process for --duration, and report the
polls per second achieved against those asked for (devices / --interval), the
failures, and the CPU each process used. Batches are encoded as for the
controller and then dropped, so the controller is not measured.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.racks, "racks", inventory.ReferenceRacks, "racks of the simulated site (two PDUs each, and their rows' cooling units)")
	f.DurationVar(&o.interval, "interval", time.Second, "poll interval of each device")
	f.DurationVar(&o.duration, "duration", 30*time.Second, "how long to measure, after one interval of warm-up")
	f.IntVar(&o.workers, "workers", 64, "agent polls at once")
	return cmd
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

func (o *benchPollOptions) run(cmd *cobra.Command) error {
	dir, err := os.MkdirTemp("", "dcplane-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	child, site, community, err := startSimProcess(ctx, dir, o.racks)
	if err != nil {
		return err
	}
	defer func() { cancel(); _ = child.Wait() }()
	creds := map[string]snmp.Credentials{}
	for _, n := range credentialNames(site) {
		creds[n] = snmp.Credentials{Community: community}
	}
	targets, skipped := agent.Targets(site, agent.Selection{}, creds, snmp.NewCollector(slog.New(slog.DiscardHandler)))
	reg := prometheus.NewRegistry()
	push := &discardPusher{}
	a, err := agent.New(agent.Config{Name: "bench", Targets: targets, Pusher: push, Interval: o.interval, Timeout: o.interval,
		Workers: o.workers, Registerer: reg})
	if err != nil {
		return err
	}
	go func() { _ = a.Run(ctx) }()
	if err := sleepCtx(ctx, o.interval); err != nil { // warm-up: every device polled once
		return err
	}
	before := measure(reg, child.Process.Pid)
	if err := sleepCtx(ctx, o.duration); err != nil {
		return err
	}
	after := measure(reg, child.Process.Pid)
	r := pollResult{Devices: len(targets), Skipped: len(skipped), Interval: o.interval.String(), Seconds: after.wall.Sub(before.wall).Seconds(),
		Workers: o.workers, CPUs: runtime.NumCPU()}
	r.fill(before, after, float64(push.bytes.Load())/max(1, float64(push.polls.Load())))
	return o.print(cmd.OutOrStdout(), r)
}

// startSimProcess runs 'dcplane sim' as a child and waits for its inventory.
func startSimProcess(ctx context.Context, dir string, racks int) (*exec.Cmd, *inventory.Site, snmp.Secret, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, snmp.Secret{}, err
	}
	invPath, commPath := filepath.Join(dir, "site.yaml"), filepath.Join(dir, "community")
	community, err := newCommunity(commPath)
	if err != nil {
		return nil, nil, snmp.Secret{}, err
	}
	child := exec.CommandContext(ctx, self, "sim", "--racks", strconv.Itoa(racks), "--inventory-out", invPath,
		"--community-file", commPath, "--log-level", "error")
	child.Stderr = os.Stderr
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

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sample is what bench reads at the start and end of its window.
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

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU reads a process's user+system CPU time from /proc (Linux; clock
// ticks of 1/100 s, as on every Linux this runs on).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return time.Duration((ut + st) * float64(time.Second) / 100)
}

// pollResult is what bench poll reports.
type pollResult struct {
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

func (r *pollResult) fill(a, b sample, bytesPerPoll float64) {
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

func (o *benchPollOptions) print(w io.Writer, r pollResult) error {
	if o.output == "json" {
		return printJSON(w, r)
	}
	return table(w, []string{"DEVICES", "INTERVAL", "ASKED/s", "POLLS/s", "FAILED/s", "AGENT CPU", "CPU s/1k POLLS", "SIM CPU", "BYTES/POLL"},
		[][]string{{fmt.Sprint(r.Devices), r.Interval, fmt.Sprintf("%.0f", r.AskedPerSec), fmt.Sprintf("%.0f", r.PollsPerSec),
			fmt.Sprintf("%.1f", r.FailedPerSec), fmt.Sprintf("%.2f cores", r.AgentCores), fmt.Sprintf("%.3f", r.AgentCPUPerKPoll),
			fmt.Sprintf("%.2f cores", r.SimCores), fmt.Sprintf("%.0f", r.BytesPerPoll)}})
}
