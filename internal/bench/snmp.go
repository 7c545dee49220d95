package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	_ "embed" // the snmp_exporter modules
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
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

	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/sim"
)

// snmpExporterModules is the snmp_exporter configuration of the bench: a
// module per family of snmpFamilies, walking what dcplane's profile walks.
//
//go:embed testdata/snmp_exporter.yml
var snmpExporterModules string

// snmpFamily is one PDU family the bench serves: the snmp_exporter module
// and the dcplane profile that read it, and the recording it is served from
// ("" for the simulator's APC rPDU2 model).
type snmpFamily struct {
	module, profile, recording string
}

// snmpFamilies are the families of the mixed fleet, given out round robin:
// the simulator's APC rPDU2 model and recorded walks of real PDUs of five
// other vendors, each following a live load (sim.NewRecordedPDU).
var snmpFamilies = []snmpFamily{
	{module: "apc_rpdu2", profile: "apc-rpdu2"},
	{module: "raritan_pdu2", profile: "raritan-pdu2", recording: "raritan-pdu_px2.snmprec"},
	{module: "sentry4", profile: "sentry4", recording: "sentry4.snmprec"},
	{module: "eaton_epdu", profile: "eaton-epdu", recording: "eatonpdu_2.snmprec"},
	{module: "liebert_mph", profile: "liebert-mph", recording: "liebert.snmprec"},
	{module: "hpe_g5", profile: "hpe-g5", recording: "hpe-mapdu_pdu3.snmprec"},
}

// SNMPConfig is what SNMP measures.
type SNMPConfig struct {
	// PDUs are the fleet sizes to measure, each a fleet of simulated PDUs
	// of mixed vendors on as many UDP ports of 127.0.0.1.
	PDUs     []int
	Duration time.Duration // how long each side polls each fleet, per run
	Runs     int           // runs per fleet size; 1 if 0
	// Workers is how many device polls each side has in flight: the
	// agent's polls at once, and the HTTP requests at once to snmp_exporter.
	Workers int
	Timeout time.Duration // each SNMP request's, both sides'; 5 s if 0
	// Cores is GOMAXPROCS of both pollers (this process while it polls, and
	// snmp_exporter); 1 if 0.
	Cores int
	// Exporter is snmp_exporter's program; Debian's path if "".
	Exporter string
	// Recordings is the folder of recorded walks (../shared/snmprec).
	Recordings string
	SimStderr  io.Writer // the simulator's and snmp_exporter's standard error; nil discards
}

// DefaultSNMPExporter is where Debian's prometheus-snmp-exporter installs it.
const DefaultSNMPExporter = "/usr/bin/prometheus-snmp-exporter"

// SNMPResult is what SNMP reports: one row per fleet size and poller.
type SNMPResult struct {
	Workers  int       `json:"polls_in_flight"`
	Cores    int       `json:"gomaxprocs"`
	Timeout  string    `json:"timeout"`
	Seconds  float64   `json:"seconds_per_run"`
	Families []string  `json:"families"`
	Pollers  []SNMPRow `json:"rows"`
}

// SNMPRow is one poller's figures against one fleet, each a spread over
// the runs.
type SNMPRow struct {
	PDUs   int    `json:"pdus"`
	Poller string `json:"poller"` // "dcplane" or "snmp_exporter"
	// PollsPerSec are the device polls that succeeded per second.
	PollsPerSec  Spread `json:"device_polls_per_second"`
	FailedPerSec Spread `json:"failed_polls_per_second"`
	// CPUPerKPoll is the poller process's own CPU (user + system) per
	// 1,000 device polls.
	CPUPerKPoll Spread `json:"cpu_seconds_per_1000_polls"`
	// RequestsPerPoll are the SNMP requests the simulated agents answered
	// per device poll.
	RequestsPerPoll Spread `json:"snmp_requests_per_poll"`
	// RSSMiB is the poller process's resident memory after its window.
	RSSMiB Spread `json:"rss_mib"`
	// SimCores is the CPU the simulated PDUs' process used while this
	// poller polled, in cores: what the pollers share the machine with.
	SimCores Spread `json:"simulator_cpu_cores"`
	// Failure is the last failed poll's reason, if any.
	Failure string `json:"failure,omitempty"`
}

// snmpTarget is one simulated PDU as the child lists it.
type snmpTarget struct {
	Address string `json:"address"`
	Module  string `json:"module"`
	Profile string `json:"profile"`
}

// The files the simulator child and the bench share in their directory.
const (
	snmpTargetsFile   = "targets.json"
	snmpCommunityFile = "community"
	snmpServedFile    = "served"
)

// SNMP measures, for each fleet size of c.PDUs, one agent's SNMP collector
// (this process, sessions kept) and Debian's snmp_exporter (a child,
// scraped over HTTP) polling the same simulated PDUs of mixed vendors for
// the same objects, c.Workers device polls in flight each, one side after
// the other, c.Runs times. The PDUs are served by a child process (this
// executable's 'bench snmp --serve-pdus', so the calling program must be
// dcplane), which counts the SNMP requests it answers.
func SNMP(ctx context.Context, c SNMPConfig) (SNMPResult, error) {
	c = c.withDefaults()
	r := c.result()
	for _, n := range c.PDUs {
		rows, err := c.fleetInChild(ctx, n)
		if err != nil {
			return r, err
		}
		r.Pollers = append(r.Pollers, rows...)
	}
	return r, nil
}

func (c SNMPConfig) withDefaults() SNMPConfig {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Exporter == "" {
		c.Exporter = DefaultSNMPExporter
	}
	if c.SimStderr == nil {
		c.SimStderr = io.Discard
	}
	c.Runs, c.Workers, c.Cores = max(c.Runs, 1), max(c.Workers, 1), max(c.Cores, 1)
	return c
}

func (c SNMPConfig) result() SNMPResult {
	r := SNMPResult{Workers: c.Workers, Cores: c.Cores, Timeout: c.Timeout.String(), Seconds: c.Duration.Seconds()}
	for _, f := range snmpFamilies {
		r.Families = append(r.Families, f.profile)
	}
	return r
}

// fleetInChild serves n PDUs in a child process and measures both pollers.
func (c SNMPConfig) fleetInChild(ctx context.Context, n int) ([]SNMPRow, error) {
	dir, err := os.MkdirTemp("", "dcplane-bench-snmp-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	child := exec.CommandContext(ctx, self, "bench", "snmp", "--serve-pdus", dir, "--pdus", strconv.Itoa(n), "--recordings", c.Recordings)
	child.Stderr = c.SimStderr
	if err := child.Start(); err != nil {
		return nil, fmt.Errorf("start the PDU simulator: %w", err)
	}
	defer func() { cancel(); _ = child.Wait() }()
	fleet, community, err := waitFleet(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("PDU simulator: %w", err)
	}
	served := func() (uint64, error) { return readServed(filepath.Join(dir, snmpServedFile)) }
	return c.measureFleet(ctx, fleet, community, served, func() time.Duration { return procCPU(child.Process.Pid) })
}

// waitFleet waits two minutes at most for the child's targets and community.
func waitFleet(ctx context.Context, dir string) ([]snmpTarget, snmp.Secret, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, err := os.ReadFile(filepath.Join(dir, snmpTargetsFile))
		if err == nil {
			var fleet []snmpTarget
			if err := json.Unmarshal(b, &fleet); err != nil {
				return nil, snmp.Secret{}, fmt.Errorf("%s: %w", snmpTargetsFile, err)
			}
			community, err := snmp.LoadSecret(filepath.Join(dir, snmpCommunityFile), "")
			return fleet, community, err
		}
		if !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			return nil, snmp.Secret{}, err
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return nil, snmp.Secret{}, err
		}
	}
}

// readServed reads the child's count of SNMP answers.
func readServed(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}

// ServeSNMPPDUs serves n simulated PDUs of mixed vendors (snmpFamilies,
// round robin; recordings from the folder given), each on a UDP port of its
// own on 127.0.0.1, writes their list and a random community to dir, and
// the count of SNMP answers sent every 10 ms, until ctx is done: the child
// SNMP starts.
func ServeSNMPPDUs(ctx context.Context, dir string, n int, recordings string) error {
	community := make([]byte, 12)
	if _, err := rand.Read(community); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, snmpCommunityFile), []byte(hex.EncodeToString(community)+"\n"), 0o600); err != nil {
		return err
	}
	pdus, err := startSNMPFleet(ctx, n, hex.EncodeToString(community), recordings)
	if err != nil {
		return err
	}
	defer pdus.close()
	b, err := json.Marshal(pdus.targets)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, snmpTargetsFile), b); err != nil {
		return err
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := writeFileAtomic(filepath.Join(dir, snmpServedFile), []byte(strconv.FormatUint(pdus.server.Served(), 10))); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// writeFileAtomic writes path by renaming a complete file over it, so that
// a reader never sees it half written.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// snmpFleet is a running fleet of simulated PDUs.
type snmpFleet struct {
	server  *sim.Server
	targets []snmpTarget
	conns   []net.PacketConn
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// startSNMPFleet serves n PDUs, family i%len(snmpFamilies) for the i-th,
// each following a load of its own (sim.NewLoadModel, 2 to 7 kW).
func startSNMPFleet(ctx context.Context, n int, community, recordings string) (*snmpFleet, error) {
	plans := map[string]*sim.RecordingPlan{}
	for _, f := range snmpFamilies {
		if f.recording == "" {
			continue
		}
		recs, err := sim.LoadSnmprec(filepath.Join(recordings, f.recording))
		if err != nil {
			return nil, fmt.Errorf("bench snmp: %w", err)
		}
		d, err := snmp.LookupProfile(f.profile)
		if err != nil {
			return nil, err
		}
		def, _ := d.(*snmp.Def)
		if plans[f.module], err = sim.PlanRecording(f.recording, recs, def); err != nil {
			return nil, fmt.Errorf("bench snmp: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	fl := &snmpFleet{server: sim.NewServer(sim.ServerOptions{}), cancel: cancel}
	for i := range n {
		f := snmpFamilies[i%len(snmpFamilies)]
		model := sim.NewLoadModel(2000+float64(i%6)*1000, uint64(i)+1) //nolint:gosec // i >= 0
		load := func() float64 { return model.LoadAt(time.Now()) }
		name := fmt.Sprintf("pdu-%05d", i)
		var dev *sim.Device
		if f.recording == "" {
			p, err := sim.NewRackPDU(sim.RackPDUConfig{Name: name, Phases: 3, Voltage: 230, Banks: 6, Outlets: 24, Load: load})
			if err != nil {
				fl.close()
				return nil, err
			}
			dev = p.Device
		} else {
			p, err := sim.NewRecordedPDU(sim.RecordedPDUConfig{Name: name, Plan: plans[f.module], Load: load})
			if err != nil {
				fl.close()
				return nil, err
			}
			dev = p.Device
		}
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			fl.close()
			return nil, fmt.Errorf("bench snmp: PDU %d of %d: %w", i+1, n, err)
		}
		fl.conns = append(fl.conns, conn)
		fl.targets = append(fl.targets, snmpTarget{Address: conn.LocalAddr().String(), Module: f.module, Profile: f.profile})
		fl.wg.Go(func() { _ = fl.server.Serve(ctx, conn, map[string]*sim.Device{community: dev}) })
	}
	return fl, nil
}

func (fl *snmpFleet) close() {
	fl.cancel()
	fl.wg.Wait()
	for _, c := range fl.conns {
		_ = c.Close()
	}
}

// snmpRun is one poller's figures of one window.
type snmpRun struct {
	pollsPerSec, failedPerSec, cpuPerKPoll, requestsPerPoll, rssMiB, simCores float64
	failure                                                                   string
}

// measureFleet runs both pollers against fleet c.Runs times and returns a
// row for each. served is the count of SNMP answers the simulator sent,
// simCPU its CPU time so far.
func (c SNMPConfig) measureFleet(ctx context.Context, fleet []snmpTarget, community snmp.Secret, served func() (uint64, error), simCPU func() time.Duration) ([]SNMPRow, error) {
	if len(fleet) == 0 {
		return nil, errors.New("bench snmp: the simulator served no PDU")
	}
	ex, err := c.startExporter(ctx, community)
	if err != nil {
		return nil, err
	}
	defer ex.stop()
	ex.fleet = fleet
	agent, err := newAgentPoller(fleet, community, c.Timeout)
	if err != nil {
		return nil, err
	}
	defer agent.c.Close()
	var agentRuns, exporterRuns []snmpRun
	for range c.Runs {
		a, err := c.window(ctx, agent, fleet, served, simCPU, c.Cores, selfCPU, func() float64 { return procStatusMiB("VmRSS") })
		if err != nil {
			return nil, err
		}
		// The exporter's GOMAXPROCS is its environment's; this process,
		// only its HTTP client now, is not held to it.
		e, err := c.window(ctx, ex, fleet, served, simCPU, runtime.GOMAXPROCS(0), func() time.Duration { return procCPU(ex.cmd.Process.Pid) },
			func() float64 { return pidRSSMiB(ex.cmd.Process.Pid) })
		if err != nil {
			return nil, err
		}
		agentRuns, exporterRuns = append(agentRuns, a), append(exporterRuns, e)
	}
	return []SNMPRow{rowOf(len(fleet), "dcplane", agentRuns), rowOf(len(fleet), "snmp_exporter", exporterRuns)}, nil
}

func rowOf(n int, poller string, runs []snmpRun) SNMPRow {
	pick := func(f func(snmpRun) float64) Spread {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		return SpreadOf(xs)
	}
	row := SNMPRow{PDUs: n, Poller: poller,
		PollsPerSec:     pick(func(r snmpRun) float64 { return r.pollsPerSec }),
		FailedPerSec:    pick(func(r snmpRun) float64 { return r.failedPerSec }),
		CPUPerKPoll:     pick(func(r snmpRun) float64 { return r.cpuPerKPoll }),
		RequestsPerPoll: pick(func(r snmpRun) float64 { return r.requestsPerPoll }),
		RSSMiB:          pick(func(r snmpRun) float64 { return r.rssMiB }),
		SimCores:        pick(func(r snmpRun) float64 { return r.simCores })}
	for _, r := range runs {
		row.Failure = cmpOr(r.failure, row.Failure)
	}
	return row
}

// poller polls one device once.
type poller interface {
	poll(ctx context.Context, i int) error
}

// window polls every device of fleet once (warm-up: sessions opened,
// profiles and modules loaded), then round robin for c.Duration with
// c.Workers polls in flight, and measures the polls that ended, over the
// time until the last did. This process's GOMAXPROCS is cores meanwhile.
func (c SNMPConfig) window(ctx context.Context, p poller, fleet []snmpTarget, served func() (uint64, error), simCPU func() time.Duration,
	cores int, cpu func() time.Duration, rss func() float64) (snmpRun, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cores))
	var failures atomic.Int64
	var last atomic.Value
	run := func(d time.Duration, once bool) (ok, failed int64) {
		var next, okN, failedN atomic.Int64
		stop := time.Now().Add(d)
		var wg sync.WaitGroup
		for range c.Workers {
			wg.Go(func() {
				for ctx.Err() == nil {
					i := next.Add(1) - 1
					if once && i >= int64(len(fleet)) || !once && time.Now().After(stop) {
						return
					}
					if err := p.poll(ctx, int(i%int64(len(fleet)))); err != nil {
						failedN.Add(1)
						failures.Add(1)
						last.Store(err.Error())
						continue
					}
					okN.Add(1)
				}
			})
		}
		wg.Wait()
		return okN.Load(), failedN.Load()
	}
	run(0, true)
	if err := ctx.Err(); err != nil {
		return snmpRun{}, err
	}
	if err := sleepCtx(ctx, 50*time.Millisecond); err != nil { // the child's count catches up
		return snmpRun{}, err
	}
	last = atomic.Value{}
	s0, err := served()
	if err != nil {
		return snmpRun{}, err
	}
	start, cpu0, sim0 := time.Now(), cpu(), simCPU()
	ok, failed := run(c.Duration, false)
	secs, used, simUsed := time.Since(start).Seconds(), cpu()-cpu0, simCPU()-sim0
	if err := ctx.Err(); err != nil {
		return snmpRun{}, err
	}
	if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
		return snmpRun{}, err
	}
	s1, err := served()
	if err != nil {
		return snmpRun{}, err
	}
	r := snmpRun{pollsPerSec: float64(ok) / secs, failedPerSec: float64(failed) / secs, rssMiB: rss(), simCores: simUsed.Seconds() / secs}
	if n := ok + failed; n > 0 {
		r.cpuPerKPoll = used.Seconds() / float64(n) * 1000
		r.requestsPerPoll = float64(s1-s0) / float64(n)
	}
	if f, _ := last.Load().(string); f != "" {
		r.failure = f
	}
	return r, nil
}

// agentPoller polls with dcplane's SNMP collector, sessions kept (one per
// PDU), each device through its family's profile.
type agentPoller struct {
	c        *snmp.Collector
	fleet    []snmpTarget
	targets  []snmp.Target
	profiles []snmp.Profile
}

func newAgentPoller(fleet []snmpTarget, community snmp.Secret, timeout time.Duration) (*agentPoller, error) {
	a := &agentPoller{c: snmp.NewCollectorSessions(nil, len(fleet)), fleet: fleet}
	for _, t := range fleet {
		p, err := snmp.LookupProfile(t.Profile)
		if err != nil {
			return nil, err
		}
		a.profiles = append(a.profiles, p)
		a.targets = append(a.targets, snmp.Target{Address: t.Address, Timeout: timeout, Credentials: snmp.Credentials{Community: community}})
	}
	return a, nil
}

func (a *agentPoller) poll(ctx context.Context, i int) error {
	t := a.fleet[i]
	st := a.c.Poll(ctx, a.targets[i], a.profiles[i])
	switch {
	case !st.OK:
		return fmt.Errorf("dcplane %s (%s): %s: %s", t.Address, t.Profile, st.Reason, st.Err)
	case len(st.Readings) == 0:
		return fmt.Errorf("dcplane %s (%s): no readings", t.Address, t.Profile)
	}
	return nil
}

// exporter is a running snmp_exporter and the HTTP client that scrapes it.
type exporter struct {
	cmd    *exec.Cmd
	base   string
	client *http.Client
	fleet  []snmpTarget
	cancel context.CancelFunc
}

// startExporter writes the modules with community to a file of a private
// directory and starts snmp_exporter on a free loopback port, GOMAXPROCS
// c.Cores, waiting until it answers.
func (c SNMPConfig) startExporter(ctx context.Context, community snmp.Secret) (*exporter, error) {
	dir, err := os.MkdirTemp("", "dcplane-bench-snmp-exporter-")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "snmp.yml")
	body := strings.ReplaceAll(snmpExporterModules, "community: COMMUNITY", "community: "+strconv.Quote(community.Reveal()))
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	port, err := freeTCPPort()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.CommandContext(ctx, c.Exporter, "--config.file="+conf, "--web.listen-address="+addr, "--log.level=error")
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(c.Cores))
	cmd.Stderr = c.SimStderr
	if err := cmd.Start(); err != nil {
		cancel()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", c.Exporter, err)
	}
	ex := &exporter{cmd: cmd, base: "http://" + addr, cancel: func() { cancel(); _ = cmd.Wait(); _ = os.RemoveAll(dir) },
		client: &http.Client{Timeout: 2*c.Timeout + 5*time.Second, Transport: &http.Transport{
			MaxIdleConns: c.Workers, MaxIdleConnsPerHost: c.Workers, IdleConnTimeout: time.Minute}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := ex.client.Get(ex.base + "/")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			return ex, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			ex.stop()
			return nil, fmt.Errorf("%s did not answer on %s: %w", c.Exporter, addr, err)
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			ex.stop()
			return nil, err
		}
	}
}

func (e *exporter) stop() {
	e.client.CloseIdleConnections()
	e.cancel()
}

// poll scrapes one device through its family's module, as Prometheus
// would, and checks that the exporter read varbinds from it.
func (e *exporter) poll(ctx context.Context, i int) error {
	t := e.fleet[i]
	u := e.base + "/snmp?" + url.Values{"target": {t.Address}, "module": {t.Module}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("snmp_exporter %s (%s): %w", t.Address, t.Module, err)
	}
	defer resp.Body.Close()
	pdus, err := scrapedPDUs(resp.Body)
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("snmp_exporter %s (%s): HTTP %s", t.Address, t.Module, resp.Status)
	case err != nil:
		return fmt.Errorf("snmp_exporter %s (%s): %w", t.Address, t.Module, err)
	case pdus == 0:
		return fmt.Errorf("snmp_exporter %s (%s): no varbinds returned", t.Address, t.Module)
	}
	return nil
}

// scrapedPDUs reads snmp_scrape_pdus_returned from an exposition.
func scrapedPDUs(r io.Reader) (float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := -1.0
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "snmp_scrape_pdus_returned "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0, fmt.Errorf("snmp_scrape_pdus_returned %q: %w", v, err)
			}
			n = f
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, errors.New("no snmp_scrape_pdus_returned in the answer")
	}
	return n, nil
}

// freeTCPPort returns a loopback TCP port free at the time of asking.
func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// pidRSSMiB reads a process's resident size from /proc, in MiB.
func pidRSSMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// Header implements the bench table.
func (r SNMPResult) Header() []string {
	return []string{"PDUS", "POLLER", "POLLS/S", "FAILED/S", "CPU S/1000 POLLS", "SNMP REQUESTS/POLL", "RSS MIB", "SIMULATOR CORES"}
}

// Rows implements the bench table.
func (r SNMPResult) Rows() [][]string {
	var out [][]string
	for _, w := range r.Pollers {
		out = append(out, []string{strconv.Itoa(w.PDUs), w.Poller, w.PollsPerSec.Cell(0), w.FailedPerSec.Cell(1),
			w.CPUPerKPoll.Cell(3), w.RequestsPerPoll.Cell(1), w.RSSMiB.Cell(0), w.SimCores.Cell(2)})
	}
	return out
}

// Summary implements the bench table: the runs, the families, and each
// fleet's CPU ratio and whether the goals are met.
func (r SNMPResult) Summary() string {
	var b strings.Builder
	runs := 1
	if len(r.Pollers) > 0 {
		runs = r.Pollers[0].PollsPerSec.Runs
	}
	fmt.Fprintf(&b, "%s; %d device polls in flight per poller, GOMAXPROCS %d each, %s timeout, %.0f s per window\n",
		SpreadHeader(runs, "runs"), r.Workers, r.Cores, r.Timeout, r.Seconds)
	fmt.Fprintf(&b, "families (round robin): %s\n", strings.Join(r.Families, ", "))
	for _, g := range r.Goals() {
		fmt.Fprintln(&b, g)
	}
	for _, w := range r.Pollers {
		if w.Failure != "" {
			fmt.Fprintf(&b, "%s at %d PDUs, last failure: %s\n", w.Poller, w.PDUs, w.Failure)
		}
	}
	return b.String()
}

// Goals says, for each fleet size, the CPU ratio of snmp_exporter to
// dcplane per device poll (goal: at least 3) and dcplane's polls per second
// and failures (goal: at least 1,500 per second on one core, none failed),
// from the medians.
func (r SNMPResult) Goals() []string {
	var out []string
	for _, a := range r.Pollers {
		if a.Poller != "dcplane" {
			continue
		}
		i := slices.IndexFunc(r.Pollers, func(e SNMPRow) bool { return e.Poller == "snmp_exporter" && e.PDUs == a.PDUs })
		if i < 0 || a.CPUPerKPoll.Median <= 0 {
			continue
		}
		ratio := r.Pollers[i].CPUPerKPoll.Median / a.CPUPerKPoll.Median
		out = append(out, fmt.Sprintf("%d PDUs: snmp_exporter spends %.1fx dcplane's CPU per device poll (goal >= 3: %s); dcplane %.0f polls/s on %d core(s), %.1f failed/s (goal >= 1,500/s on 1 core, none failed: %s)",
			a.PDUs, ratio, met(ratio >= 3), a.PollsPerSec.Median, r.Cores, a.FailedPerSec.Max,
			met(r.Cores == 1 && a.PollsPerSec.Median >= 1500 && a.FailedPerSec.Max == 0)))
	}
	return out
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// measureInProcess is measureFleet against a fleet served by this process,
// for the harness's test: the simulator's CPU is then the bench's own.
func (c SNMPConfig) measureInProcess(ctx context.Context, n int) ([]SNMPRow, error) {
	community := make([]byte, 12)
	if _, err := rand.Read(community); err != nil {
		return nil, err
	}
	fl, err := startSNMPFleet(ctx, n, hex.EncodeToString(community), c.Recordings)
	if err != nil {
		return nil, err
	}
	defer fl.close()
	return c.measureFleet(ctx, fl.targets, snmp.NewSecret(hex.EncodeToString(community)),
		func() (uint64, error) { return fl.server.Served(), nil }, func() time.Duration { return 0 })
}
