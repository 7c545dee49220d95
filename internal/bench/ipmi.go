package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/agent"
	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/internal/demo"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/sim"
)

// IPMIConfig is what IPMI measures.
type IPMIConfig struct {
	BMCs     int           // simulated BMCs, the reference site's first servers'
	Interval time.Duration // poll interval of each BMC (the agent's)
	Timeout  time.Duration // each poll's, the agent's and ipmitool's; 5 s if 0
	Duration time.Duration // how long each run measures each side
	Runs     int           // runs, each the agent's window then ipmitool's; 1 if 0
	Workers  int           // the agent's BMC polls at once (Config.BMCWorkers)
	// ToolWorkers is how many ipmitool processes run at once, as a
	// script's 'xargs -P' would.
	ToolWorkers int
	// Ipmitool is the ipmitool program; "ipmitool" (on PATH) if "".
	Ipmitool  string
	SimStderr io.Writer    // the BMC simulator's standard error; nil discards it
	Logger    *slog.Logger // the agent's and its collectors'; nil: discard
	// WarmUpMax bounds the agent's warm-up, which lasts until every BMC's
	// session is open (at least one interval, and 1 s); 5 minutes if 0.
	WarmUpMax time.Duration
	// CPUProfile, when set, is where the Go CPU profile of the agent's
	// last measured window goes, and CPUProfile+".sim" the simulator's
	// of the same window.
	CPUProfile string
}

// IPMIFleet is the BMC count the memory figure is given for: the reference
// site's servers.
const IPMIFleet = 18000

// ipmiUser is the simulated BMCs' user; the password is made at random in
// ipmiPasswordFile of the bench's directory.
const (
	ipmiUser         = "bench"
	ipmiPasswordFile = "bmc-password"
	ipmiSiteFile     = "site.yaml"
	ipmiCredentials  = "bench-bmc"
)

// IPMIResult is what IPMI reports, each figure as a spread over the runs.
type IPMIResult struct {
	BMCs        int     `json:"bmcs"`
	Interval    string  `json:"interval"`
	Timeout     string  `json:"timeout"`
	Workers     int     `json:"agent_bmc_workers"`
	ToolWorkers int     `json:"ipmitool_processes_at_once"`
	Runs        int     `json:"runs"`
	Seconds     float64 `json:"seconds_per_run"`
	AskedPerSec float64 `json:"agent_asked_polls_per_second"`

	AgentPollsPerSec  Spread `json:"agent_polls_per_second"`
	AgentFailedPerSec Spread `json:"agent_failed_polls_per_second"`
	AgentCPUPerKPoll  Spread `json:"agent_cpu_seconds_per_1000_polls"`
	AgentSimCores     Spread `json:"simulator_cpu_cores_agent"`
	ToolPollsPerSec   Spread `json:"ipmitool_polls_per_second"`
	ToolFailedPerSec  Spread `json:"ipmitool_failed_polls_per_second"`
	ToolCPUPerKPoll   Spread `json:"ipmitool_cpu_seconds_per_1000_polls"`
	ToolSimCores      Spread `json:"simulator_cpu_cores_ipmitool"`

	// WarmUpSeconds is how long the first run's warm-up took, and
	// SessionsOpen how many BMCs' sessions were open at its end (all of
	// them unless WarmUpMax passed first), of the first run.
	WarmUpSeconds float64 `json:"agent_warm_up_seconds"`
	SessionsOpen  int     `json:"agent_sessions_open_after_warm_up"`
	// SessionsOpened is how many sessions the agent opened during the
	// measured windows, over all runs: none when every poll reuses a kept
	// session.
	SessionsOpened int `json:"agent_sessions_opened_while_measured"`
	// HeapPerBMC and RSSPerBMC are what the agent holds per BMC with its
	// sessions open (Go heap in use after a GC, and resident memory), from
	// the first run; FleetHeapMiB and FleetRSSMiB are for IPMIFleet BMCs:
	// measured when BMCs is IPMIFleet, else extrapolated linearly
	// (FleetMeasured false).
	HeapPerBMC    float64 `json:"agent_heap_bytes_per_bmc"`
	RSSPerBMC     float64 `json:"agent_rss_bytes_per_bmc"`
	FleetHeapMiB  float64 `json:"agent_heap_mib_for_18000_bmcs"`
	FleetRSSMiB   float64 `json:"agent_rss_mib_for_18000_bmcs"`
	FleetMeasured bool    `json:"agent_memory_for_18000_bmcs_measured"`
	// ProcessRSSMiB is this process's whole resident size then: the
	// agent's, and the bench's own (the inventory, pages the runtime
	// kept from before). RSSPerBMC can be below HeapPerBMC when the
	// sessions' heap reuses pages already resident.
	ProcessRSSMiB float64 `json:"bench_process_rss_mib"`
	// ToolMaxRSSMiB is the largest resident size of one ipmitool process.
	ToolMaxRSSMiB float64 `json:"ipmitool_max_rss_mib"`
	// AgentFailure and ToolFailure are the last failed poll's reason, if any.
	AgentFailure string `json:"agent_failure,omitempty"`
	ToolFailure  string `json:"ipmitool_failure,omitempty"`
}

// IPMI starts c.BMCs simulated BMCs in a child process (this executable's
// 'bench ipmi --serve-bmcs', so the calling program must be dcplane), then
// for each of c.Runs runs polls every BMC with one agent in this process
// (its IPMI collectors, c.Workers at a time) for c.Duration, and then with
// Debian's ipmitool, one process per poll, c.ToolWorkers at once, for as
// long. It reports the polls per second of each, the CPU each spent per
// 1,000 polls, and the agent's memory per BMC.
func IPMI(ctx context.Context, c IPMIConfig) (IPMIResult, error) {
	dir, err := os.MkdirTemp("", "dcplane-bench-ipmi-")
	if err != nil {
		return IPMIResult{}, err
	}
	defer os.RemoveAll(dir)
	if err := writeIPMIPassword(filepath.Join(dir, ipmiPasswordFile)); err != nil {
		return IPMIResult{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	self, err := os.Executable()
	if err != nil {
		return IPMIResult{}, err
	}
	args := []string{"bench", "ipmi", "--serve-bmcs", dir, "--bmcs", strconv.Itoa(c.BMCs)}
	if c.CPUProfile != "" {
		args = append(args, "--cpuprofile", c.CPUProfile+".sim")
	}
	child := exec.CommandContext(ctx, self, args...)
	child.Stderr = c.SimStderr
	if err := child.Start(); err != nil {
		return IPMIResult{}, fmt.Errorf("start the BMC simulator: %w", err)
	}
	defer func() { cancel(); _ = child.Wait() }()
	site, err := waitSite(ctx, filepath.Join(dir, ipmiSiteFile))
	if err != nil {
		return IPMIResult{}, fmt.Errorf("BMC simulator: %w", err)
	}
	return ipmiRuns(ctx, c, site, filepath.Join(dir, ipmiPasswordFile), child.Process.Pid)
}

// writeIPMIPassword writes a random password to path, readable by its
// owner only: 16 characters, since IPMI v2.0 passwords are 20 bytes at
// most and ipmitool refuses a longer one.
func writeIPMIPassword(path string) error {
	pw := make([]byte, 8)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(hex.EncodeToString(pw)+"\n"), 0o600)
}

// waitSite waits a minute at most for the inventory the simulator writes.
func waitSite(ctx context.Context, path string) (*inventory.Site, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		site, err := inventory.LoadFile(path)
		if err == nil {
			return site, nil
		}
		if !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			return nil, err
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// ServeBMCs serves a simulated BMC for each of the first bmcs servers of
// the reference site (sim.StartBMCs) with the password in dir's password
// file, writes the inventory with their addresses to dir, and serves until
// ctx is done: the child IPMI starts. With cpuProfile, it writes a Go CPU
// profile there of the time between a SIGUSR1 and the next SIGUSR2 (the
// agent's measured window).
func ServeBMCs(ctx context.Context, dir string, bmcs int, cpuProfile string) error {
	s, site, err := startBMCSim(ctx, filepath.Join(dir, ipmiPasswordFile), bmcs)
	if err != nil {
		return err
	}
	defer s.Close()
	data, err := inventory.Marshal(site)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ipmiSiteFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ipmiSiteFile)); err != nil {
		return err
	}
	if cpuProfile != "" {
		return profileOnSignals(ctx, cpuProfile)
	}
	<-ctx.Done()
	return nil
}

// profileOnSignals writes a CPU profile of this process to path, from a
// SIGUSR1 to the next SIGUSR2, until ctx is done.
func profileOnSignals(ctx context.Context, path string) error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sig)
	var f *os.File
	for {
		select {
		case <-ctx.Done():
			if f != nil {
				pprof.StopCPUProfile()
				return f.Close()
			}
			return nil
		case s := <-sig:
			switch {
			case s == syscall.SIGUSR1 && f == nil:
				var err error
				if f, err = os.Create(path); err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
			case s == syscall.SIGUSR2 && f != nil:
				pprof.StopCPUProfile()
				if err := f.Close(); err != nil {
					return err
				}
				f = nil
			}
		}
	}
}

// startBMCSim starts the simulated site of the first bmcs servers'
// racks, with their BMCs, and points the site's inventory at them.
func startBMCSim(ctx context.Context, passwordFile string, bmcs int) (*sim.Site, *inventory.Site, error) {
	pw, err := ipmi.LoadPassword(passwordFile, "")
	if err != nil {
		return nil, nil, err
	}
	site := inventory.Reference(referenceRacksFor(bmcs))
	community := make([]byte, 8)
	if _, err := rand.Read(community); err != nil {
		return nil, nil, err
	}
	s, err := sim.StartSite(ctx, sim.SiteConfig{Site: site, Community: hex.EncodeToString(community), Seed: 1})
	if err != nil {
		return nil, nil, err
	}
	n, err := s.StartBMCs(ctx, site, sim.BMCConfig{Servers: bmcs, User: ipmiUser, Password: pw.Reveal(), Credentials: ipmiCredentials,
		FirstPort: bmcFirstPort(bmcs)})
	if err == nil && n < bmcs {
		err = fmt.Errorf("sim: %d BMCs started, want %d", n, bmcs)
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	s.Rewrite(site)
	return s, site, nil
}

// bmcFirstPort is where the simulated BMCs' ports start: below the
// system's ephemeral ports, which the agent's sockets take one per kept
// session, so that 18,000 BMCs and 18,000 sessions on one host do not run
// out of them (Linux's default range holds 28,232). 0 (ports from the
// ephemeral range) when the range cannot be read or leaves no room below.
func bmcFirstPort(bmcs int) int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) != 2 {
		return 0
	}
	low, err := strconv.Atoi(f[0])
	if err != nil {
		return 0
	}
	// Room for the BMCs, and for other programs' ports they skip.
	first := low - bmcs - bmcs/4 - 100
	if first < 1024 {
		return 0
	}
	return first
}

// referenceRacksFor is the fewest racks of the reference site that hold n
// servers.
func referenceRacksFor(n int) int {
	racks := 1
	for {
		have := demo.BMCServers(inventory.Reference(racks), racks)
		if have >= n {
			return racks
		}
		racks += max(1, (n-have)/50) // a reference rack holds fewer than 50 servers
	}
}

// ipmiRun is one run's figures of one side.
type ipmiRun struct {
	pollsPerSec, failedPerSec, cpuPerKPoll, simCores float64
	failure                                          string
}

// ipmiRuns is IPMI against the BMCs of site, served by process simPID.
func ipmiRuns(ctx context.Context, c IPMIConfig, site *inventory.Site, passwordFile string, simPID int) (IPMIResult, error) {
	c = c.withDefaults()
	pw, err := ipmi.LoadPassword(passwordFile, "")
	if err != nil {
		return IPMIResult{}, err
	}
	addrs := bmcAddresses(site)
	r := IPMIResult{BMCs: len(addrs), Interval: c.Interval.String(), Timeout: c.Timeout.String(), Workers: c.Workers,
		ToolWorkers: c.ToolWorkers, Runs: c.Runs, Seconds: c.Duration.Seconds(),
		AskedPerSec: float64(len(addrs)) / c.Interval.Seconds()}
	if len(addrs) == 0 {
		return r, errors.New("bench ipmi: the simulator served no BMC")
	}
	var agentRuns, toolRuns []ipmiRun
	for i := range c.Runs {
		a, err := c.agentRun(ctx, site, pw, simPID, &r, i == 0)
		if err != nil {
			return r, err
		}
		t, err := c.toolRun(ctx, addrs, passwordFile, simPID)
		if err != nil {
			return r, err
		}
		agentRuns, toolRuns = append(agentRuns, a), append(toolRuns, t)
		r.AgentFailure, r.ToolFailure = cmpOr(a.failure, r.AgentFailure), cmpOr(t.failure, r.ToolFailure)
	}
	r.AgentPollsPerSec, r.AgentFailedPerSec, r.AgentCPUPerKPoll, r.AgentSimCores = ipmiSpreads(agentRuns)
	r.ToolPollsPerSec, r.ToolFailedPerSec, r.ToolCPUPerKPoll, r.ToolSimCores = ipmiSpreads(toolRuns)
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		r.ToolMaxRSSMiB = float64(ru.Maxrss) / 1024
	}
	return r, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (c IPMIConfig) withDefaults() IPMIConfig {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.WarmUpMax <= 0 {
		c.WarmUpMax = 5 * time.Minute
	}
	if c.Ipmitool == "" {
		c.Ipmitool = "ipmitool"
	}
	c.Runs, c.Workers, c.ToolWorkers = max(c.Runs, 1), max(c.Workers, 1), max(c.ToolWorkers, 1)
	return c
}

// bmcAddresses are the BMC addresses of site's servers.
func bmcAddresses(site *inventory.Site) []string {
	var out []string
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for _, s := range k.Servers {
			if s.BMC != nil {
				out = append(out, s.BMC.Address)
			}
		}
		return true
	})
	return out
}

// agentRun polls every BMC of site with a new agent for one interval of
// warm-up (sessions opened) and c.Duration measured. With memory, it also
// sets r's memory figures: what the agent holds with every session open,
// less what this process held before its targets were made.
func (c IPMIConfig) agentRun(ctx context.Context, site *inventory.Site, pw ipmi.Password, simPID int, r *IPMIResult, memory bool) (ipmiRun, error) {
	heap0, rss0 := heapInUse(), procStatusMiB("VmRSS")
	targets, skipped := agent.BMCTargets(site, agent.Selection{}, map[string]agent.BMCCredentials{ipmiCredentials: {User: ipmiUser, Password: pw}}, c.Logger)
	if len(skipped) > 0 {
		return ipmiRun{}, fmt.Errorf("bench ipmi: BMC %s skipped: %s", skipped[0].Device, skipped[0].Reason)
	}
	reg := prometheus.NewRegistry()
	push := &discardPusher{failed: map[string]*DeviceFailure{}}
	a, err := agent.New(agent.Config{Name: "bench-ipmi", Targets: targets, Pusher: push, Interval: c.Interval,
		BMCTimeout: c.Timeout, BMCWorkers: c.Workers, Registerer: reg, Logger: c.Logger})
	if err != nil {
		return ipmiRun{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { _ = a.Run(ctx) })
	warm, open, err := c.warmUp(ctx, targets)
	if err != nil {
		return ipmiRun{}, err
	}
	if memory {
		r.WarmUpSeconds, r.SessionsOpen = warm.Seconds(), open
		n := float64(len(targets))
		r.HeapPerBMC, r.RSSPerBMC = (heapInUse()-heap0)/n, (procStatusMiB("VmRSS")-rss0)*(1<<20)/n
		r.FleetHeapMiB, r.FleetRSSMiB = r.HeapPerBMC*IPMIFleet/(1<<20), r.RSSPerBMC*IPMIFleet/(1<<20)
		r.FleetMeasured = len(targets) == IPMIFleet
		r.ProcessRSSMiB = procStatusMiB("VmRSS")
	}
	opened0 := sessionsOpened(targets)
	stop, err := c.profile(simPID)
	if err != nil {
		return ipmiRun{}, err
	}
	before := measure(reg, simPID, push)
	err = sleepCtx(ctx, c.Duration)
	after := measure(reg, simPID, push)
	if perr := stop(); err == nil {
		err = perr
	}
	if err != nil {
		return ipmiRun{}, err
	}
	p := runOf(before, after)
	r.SessionsOpened += sessionsOpened(targets) - opened0
	run := ipmiRun{pollsPerSec: p.pollsPerSec, failedPerSec: p.failedPerSec, cpuPerKPoll: p.cpuPerKPoll, simCores: p.simCores}
	if _, fs := push.failures(1); len(fs) > 0 {
		run.failure = fs[0].Device + ": " + fs[0].Reason
	}
	return run, nil
}

// warmUp waits until every target's session is open, at least one
// interval (and 1 s) and at most c.WarmUpMax, so that the window measures
// polls over kept sessions rather than their opening. It returns how long
// it waited and how many sessions were open then.
func (c IPMIConfig) warmUp(ctx context.Context, targets []agent.Target) (time.Duration, int, error) {
	start := time.Now()
	if err := sleepCtx(ctx, max(c.Interval, time.Second)); err != nil {
		return 0, 0, err
	}
	for {
		open := sessionsOpen(targets)
		if open == len(targets) || time.Since(start) >= c.WarmUpMax {
			return time.Since(start), open, nil
		}
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			return 0, 0, err
		}
	}
}

// sessionsOpen is how many of targets' collectors hold a session.
func sessionsOpen(targets []agent.Target) int {
	n := 0
	for _, t := range targets {
		if c, ok := t.Poller.(*ipmi.Collector); ok && c.SessionOpen() {
			n++
		}
	}
	return n
}

// sessionsOpened is how many sessions targets' collectors have opened.
func sessionsOpened(targets []agent.Target) int {
	n := 0
	for _, t := range targets {
		if c, ok := t.Poller.(*ipmi.Collector); ok {
			n += c.SessionsOpened()
		}
	}
	return n
}

// profile starts the CPU profiles of a measured window, when asked: this
// process's to c.CPUProfile (each window's overwrites the last's), and
// the simulator's, which it starts and stops by signals. stop ends both.
func (c IPMIConfig) profile(simPID int) (stop func() error, err error) {
	if c.CPUProfile == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(c.CPUProfile)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	sim, _ := os.FindProcess(simPID)
	_ = sim.Signal(syscall.SIGUSR1)
	return func() error {
		_ = sim.Signal(syscall.SIGUSR2)
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// heapInUse is the Go heap in use after a collection, in bytes.
func heapInUse() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse)
}

// toolRun polls the BMCs at addrs round-robin with ipmitool, one process
// per poll and c.ToolWorkers at once, for c.Duration: the figures are of
// the polls that ended, over the time until the last did, and the CPU of
// the ipmitool processes.
func (c IPMIConfig) toolRun(ctx context.Context, addrs []string, passwordFile string, simPID int) (ipmiRun, error) {
	pw, err := ipmi.LoadPassword(passwordFile, "")
	if err != nil {
		return ipmiRun{}, err
	}
	env := append(os.Environ(), "IPMI_PASSWORD="+pw.Reveal()) // -E: the password from the environment, never argv
	var next, ok, failed atomic.Int64
	var mu sync.Mutex
	var failure string
	start, cpu0, sim0 := time.Now(), childrenCPU(), procCPU(simPID)
	stop := start.Add(c.Duration)
	var wg sync.WaitGroup
	for range c.ToolWorkers {
		wg.Go(func() {
			for time.Now().Before(stop) && ctx.Err() == nil {
				addr := addrs[int(next.Add(1)-1)%len(addrs)]
				if err := c.ipmitoolPoll(ctx, addr, env); err != nil {
					failed.Add(1)
					mu.Lock()
					failure = err.Error()
					mu.Unlock()
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return ipmiRun{}, err
	}
	secs := time.Since(start).Seconds()
	run := ipmiRun{pollsPerSec: float64(ok.Load()) / secs, failedPerSec: float64(failed.Load()) / secs,
		simCores: (procCPU(simPID) - sim0).Seconds() / secs, failure: failure}
	if n := ok.Load() + failed.Load(); n > 0 {
		run.cpuPerKPoll = (childrenCPU() - cpu0).Seconds() / float64(n) * 1000
	}
	return run, nil
}

// ipmitoolPoll is one operator's poll: 'ipmitool dcmi power reading' over
// RMCP+ with cipher suite 17, checked for the reading.
func (c IPMIConfig) ipmitoolPoll(ctx context.Context, addr string, env []string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Ipmitool, "-I", "lanplus", "-C", "17", "-H", host, "-p", port, "-U", ipmiUser, "-E",
		"-N", "1", "-R", "1", "dcmi", "power", "reading")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ipmitool %s: %w: %s", addr, err, firstLine(out))
	}
	if !strings.Contains(string(out), "Instantaneous power reading") {
		return fmt.Errorf("ipmitool %s: no power reading in %q", addr, firstLine(out))
	}
	return nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// childrenCPU is the user+system CPU time of this process's ended and
// waited-for children.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ipmiSpreads are the spreads of runs' figures.
func ipmiSpreads(runs []ipmiRun) (polls, failed, cpu, sim Spread) {
	of := func(f func(ipmiRun) float64) Spread {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		return SpreadOf(xs)
	}
	return of(func(r ipmiRun) float64 { return r.pollsPerSec }), of(func(r ipmiRun) float64 { return r.failedPerSec }),
		of(func(r ipmiRun) float64 { return r.cpuPerKPoll }), of(func(r ipmiRun) float64 { return r.simCores })
}

// Header names the columns of Rows.
func (IPMIResult) Header() []string { return []string{"FIGURE", "MIN", "MEDIAN", "MAX"} }

// Rows are the figures, one a row, the agent's beside ipmitool's.
func (r IPMIResult) Rows() [][]string {
	row := func(name string, s Spread, decimals int) []string {
		f := func(x float64) string { return fmt.Sprintf("%.*f", decimals, x) }
		return []string{name, f(s.Min), f(s.Median), f(s.Max)}
	}
	return [][]string{
		row("agent polls/s", r.AgentPollsPerSec, 0),
		row("ipmitool polls/s", r.ToolPollsPerSec, 0),
		row("agent failed polls/s", r.AgentFailedPerSec, 1),
		row("ipmitool failed polls/s", r.ToolFailedPerSec, 1),
		row("agent CPU s per 1000 polls", r.AgentCPUPerKPoll, 3),
		row("ipmitool CPU s per 1000 polls", r.ToolCPUPerKPoll, 3),
		row("simulator CPU (cores), agent", r.AgentSimCores, 2),
		row("simulator CPU (cores), ipmitool", r.ToolSimCores, 2),
	}
}

// Summary is the set-up, the memory, and what each side's poll reads.
func (r IPMIResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d simulated BMCs (RMCP+, cipher suite 17) in a child process; timeout %s per poll\n", r.BMCs, r.Timeout)
	fmt.Fprintf(&b, "agent: its IPMI collectors, %d BMC polls at once, interval %s (asked %.0f polls/s); a poll reads DCMI power and each PSU's power and status sensors over the BMC's kept session\n",
		r.Workers, r.Interval, r.AskedPerSec)
	fmt.Fprintf(&b, "ipmitool: one process per poll ('dcmi power reading': a session opened and closed each time), %d at once, the BMCs round-robin\n", r.ToolWorkers)
	fmt.Fprintf(&b, "%s of %.0f s each side, the agent's after a warm-up until every BMC's session is open (run 1: %.0f s, %d of %d open)\n",
		SpreadHeader(r.Runs, "runs"), r.Seconds, r.WarmUpSeconds, r.SessionsOpen, r.BMCs)
	fmt.Fprintf(&b, "agent sessions opened while measured: %d (all runs)\n", r.SessionsOpened)
	rss := fmt.Sprintf("%.1f KiB RSS", r.RSSPerBMC/1024)
	fleetRSS := fmt.Sprintf(", %.0f MiB RSS", r.FleetRSSMiB)
	if r.RSSPerBMC <= 0 { // the runtime returned more to the OS than the sessions took
		rss, fleetRSS = "RSS change below its noise", ""
	}
	how := fmt.Sprintf("extrapolated linearly from %d", r.BMCs)
	if r.FleetMeasured {
		how = "measured"
	}
	fmt.Fprintf(&b, "agent memory per BMC, %d sessions open (run 1): %.1f KiB Go heap, %s; for %d BMCs %.0f MiB heap%s (%s); the whole bench process %.0f MiB RSS\n",
		r.SessionsOpen, r.HeapPerBMC/1024, rss, IPMIFleet, r.FleetHeapMiB, fleetRSS, how, r.ProcessRSSMiB)
	fmt.Fprintf(&b, "ipmitool: largest process %.1f MiB RSS, and no state between polls\n", r.ToolMaxRSSMiB)
	if r.AgentFailure != "" || r.ToolFailure != "" {
		fmt.Fprintf(&b, "last failures: agent %q, ipmitool %q\n", r.AgentFailure, r.ToolFailure)
	}
	return b.String()
}
