package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

// SecurityConfig is what Security measures.
type SecurityConfig struct {
	Racks    int // of the reference site (inventory.Reference)
	Runs     int // each run measures every path both ways
	Pushes   int // measured telemetry pushes of each mode, each run
	Requests int // measured placements of each mode, each run
	Agents   int // concurrent agents pushing, each its own share of the devices
	Clients  int // concurrent placement clients
	// PollsPerPush is how many devices' polls an agent's push carries.
	PollsPerPush int
	// Dir is where the controllers keep their Raft data (new directories
	// are made in it and removed at the end); "" is the system's temp dir.
	Dir    string
	Logger *slog.Logger // the controllers'; nil: discard
	// CPUProfile, if not "", is where a Go CPU profile of each run's
	// placement phases (both ends, without the untimed removals) is
	// written: CPUProfile.run1, .run2, … (go tool pprof takes several and
	// merges them). Its samples carry the labels end=plain or end=tls, and
	// side=controller or side=client. The labels are the goroutines', not
	// the phase's: a controller's background work (Raft, the alert loop)
	// while the other end is measured is in its end's samples too.
	CPUProfile string
}

// SecurityResult is what Security reports: each path's rate without and
// with mutual TLS and authentication, measured in the same runs, and what
// the security costs, run by run.
type SecurityResult struct {
	Racks           int    `json:"racks"`
	Servers         int    `json:"servers"`
	Devices         int    `json:"devices"` // PDUs pushed for
	PollsPerPush    int    `json:"polls_per_push"`
	ReadingsPerPush int    `json:"readings_per_push"`
	Pushes          int    `json:"pushes_per_run"`
	Requests        int    `json:"requests_per_run"`
	Agents          int    `json:"agents"`
	Clients         int    `json:"clients"`
	Runs            int    `json:"runs"`
	CPUs            int    `json:"cpus"`
	LoadBefore      string `json:"load_before"` // the load averages (1, 5, 15 min) at the start
	LoadAfter       string `json:"load_after"`  // and at the end
	// Paths are ingest (readings a second) and placement (placements a
	// second), each plain and secure.
	Paths []SecurityPath `json:"paths"`
	// IngestCost and PlacementCost are the share of the plain rate lost
	// with security, in %, run by run (each run measures both ways).
	IngestCost    Spread `json:"ingest_cost_percent"`
	PlacementCost Spread `json:"placement_cost_percent"`
	// IngestCPUCost and PlacementCPUCost are the CPU per call added by
	// security, in % of the plain CPU per call, run by run: on a shared
	// machine, where a rate swings with what else runs, the steadier
	// figure.
	IngestCPUCost    Spread  `json:"ingest_cpu_cost_percent"`
	PlacementCPUCost Spread  `json:"placement_cpu_cost_percent"`
	Seconds          float64 `json:"seconds"`
}

// SecurityPath is one path measured one way over the runs.
type SecurityPath struct {
	Path     string `json:"path"`     // "ingest" or "placement"
	Security string `json:"security"` // "none" or "mTLS + auth"
	Unit     string `json:"unit"`     // what PerSec counts
	PerSec   Spread `json:"per_second"`
	P50Ms    Spread `json:"p50_ms"` // of a push or a placement
	P99Ms    Spread `json:"p99_ms"`
	// CPUMicros is the process's CPU (controller and clients) per push or
	// placement, in µs: steadier than the rate on a shared machine.
	CPUMicros Spread `json:"cpu_us_per_call"`
	Errors    int    `json:"errors"`
}

// Security modes.
const (
	secNone = "none"
	secOn   = "mTLS + auth"
)

// Security measures what mutual TLS and authentication cost on the ingest
// and placement paths: two single-node controllers (Raft with fsync), one
// serving plain HTTP to anyone (as Config.NoAuth), the other mutual TLS
// with a token or a certificate required of every call, as production
// runs. In each run, and in an order that alternates between runs, agents
// push realistic PDU polls to each (over TLS, authenticated by their agent
// certificates) and clients place the city's shapes on each (over TLS with
// an operator certificate and a platform token, every call checked against
// the token's hash). Both audit every placement. Both keep their
// connections alive, as agents and clients do: the TLS handshake is paid
// once per client, not per call. The per-client rate limits are off on
// both: on the plain one every client is one address, which one bucket
// would throttle.
func Security(ctx context.Context, c SecurityConfig) (SecurityResult, error) {
	if c.Racks <= 0 || c.Runs <= 0 || c.Pushes <= 0 || c.Requests <= 0 || c.Agents <= 0 || c.Clients <= 0 || c.PollsPerPush <= 0 {
		return SecurityResult{}, fmt.Errorf("bench: security: every figure must be positive, got %+v", c)
	}
	start := time.Now()
	site := inventory.Reference(c.Racks)
	topo, err := siteCluster(site)
	if err != nil {
		return SecurityResult{}, err
	}
	templates, err := cityTemplates()
	if err != nil {
		return SecurityResult{}, err
	}
	pdus := sitePDUs(site)
	if len(pdus) < c.Agents {
		return SecurityResult{}, fmt.Errorf("bench: security: %d agents for %d PDUs: want at most one agent a PDU", c.Agents, len(pdus))
	}
	// A push holds each device once: at most an agent's share of them.
	r := SecurityResult{Racks: len(topo.Racks), Servers: len(topo.Servers), Devices: len(pdus), PollsPerPush: min(c.PollsPerPush, len(pdus)/c.Agents),
		Pushes: c.Pushes, Requests: c.Requests, Agents: c.Agents, Clients: c.Clients, Runs: c.Runs, CPUs: runtime.NumCPU(),
		LoadBefore: loadAverage()}
	r.ReadingsPerPush = r.PollsPerPush * len(pduReadings(3000))
	ca, err := newBenchCA()
	if err != nil {
		return r, err
	}
	var ends [2]*secureEnd
	for i, secure := range []bool{false, true} {
		e, err := startSecureEnd(ctx, c, ca, secure, site)
		if err != nil {
			return r, err
		}
		defer e.close()
		ends[i] = e
	}
	for _, e := range ends {
		if err := e.warm(pprof.WithLabels(ctx, e.labels), c, pdus, r.PollsPerPush); err != nil {
			return r, err
		}
	}
	var ts [4][]timing // ingest none, ingest secure, placement none, placement secure
	for run := range c.Runs {
		order := []int{0, 1}
		if run%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			ts[i] = append(ts[i], ends[i].ingest(pprof.WithLabels(ctx, ends[i].labels), c, pdus, r.PollsPerPush))
		}
		if err := placeBoth(ctx, c, ends, order, templates, run, &ts); err != nil {
			return r, err
		}
	}
	r.Paths = []SecurityPath{securityPath("ingest", secNone, "readings", ts[0], r.ReadingsPerPush),
		securityPath("ingest", secOn, "readings", ts[1], r.ReadingsPerPush),
		securityPath("placement", secNone, "placements", ts[2], 1), securityPath("placement", secOn, "placements", ts[3], 1)}
	r.IngestCost, r.PlacementCost = costOf(ts[0], ts[1]), costOf(ts[2], ts[3])
	r.IngestCPUCost, r.PlacementCPUCost = cpuCostOf(ts[0], ts[1]), cpuCostOf(ts[2], ts[3])
	for _, p := range r.Paths {
		if p.Errors > 0 {
			return r, fmt.Errorf("bench: security: %s %s: %d errors, the first: %v", p.Path, p.Security, p.Errors, firstErr(ts[:]))
		}
	}
	r.LoadAfter, r.Seconds = loadAverage(), time.Since(start).Seconds()
	return r, nil
}

// placeBoth times each end's placements of a run, in order, under the
// run's CPU profile if one is asked for, then removes them (unprofiled).
func placeBoth(ctx context.Context, c SecurityConfig, ends [2]*secureEnd, order []int, templates []placement.Request, run int, ts *[4][]timing) error {
	path := ""
	if c.CPUProfile != "" {
		path = fmt.Sprintf("%s.run%d", c.CPUProfile, run+1)
	}
	stop, err := startCPUProfile(path)
	if err != nil {
		return err
	}
	var ids [2][]string
	for _, i := range order {
		var t timing
		t, ids[i] = ends[i].place(pprof.WithLabels(ctx, ends[i].labels), c, templates, run)
		ts[2+i] = append(ts[2+i], t)
	}
	if err := stop(); err != nil {
		return err
	}
	for i, e := range ends {
		if err := e.remove(ctx, ids[i]); err != nil {
			return err
		}
	}
	return nil
}

// benchCA is a site CA in memory, issuing the bench's certificates.
type benchCA struct {
	ca   *tlsutil.CA
	pool *x509.CertPool
}

func newBenchCA() (*benchCA, error) {
	ca, err := tlsutil.NewCA("bench")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &benchCA{ca: ca, pool: pool}, nil
}

// config is the tls.Config of a holder of role, admitting peers of allowed.
func (b *benchCA) config(role tlsutil.Role, name string, allowed ...tlsutil.Role) (*tls.Config, error) {
	cert, key, err := b.ca.Issue(tlsutil.Request{Role: role, Name: name, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return tlsutil.NewConfig(pair, b.pool, allowed...), nil
}

// secureEnd is a controller serving its API on 127.0.0.1, plain or
// secure, and its clients: one per agent, one per placement client.
type secureEnd struct {
	node    *controller.Node
	srv     *http.Server
	url     string
	served  chan error
	dir     string
	agents  []*api.Client
	placers []*api.Client
	https   []*http.Client
	// pushed counts each agent's pushes, which stamp its polls from epoch.
	pushed []int
	epoch  time.Time
	// labels name the end in a CPU profile: end=plain or end=tls.
	labels pprof.LabelSet
}

// startSecureEnd opens a single-node controller (in a new directory under
// c.Dir) with the site, serves its API, and makes its clients.
func startSecureEnd(ctx context.Context, c SecurityConfig, ca *benchCA, secure bool, site *inventory.Site) (_ *secureEnd, err error) {
	dir, err := os.MkdirTemp(c.Dir, "dcplane-bench-security-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	e := &secureEnd{dir: dir, served: make(chan error, 1), labels: pprof.Labels("end", "plain")}
	if secure {
		e.labels = pprof.Labels("end", "tls")
	}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	// The controller's goroutines, and those they start, carry its labels.
	defer pprof.SetGoroutineLabels(ctx)
	pprof.SetGoroutineLabels(pprof.WithLabels(pprof.WithLabels(ctx, e.labels), pprof.Labels("side", "controller")))
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := controller.Config{NodeID: "bench", DataDir: filepath.Join(dir, "raft"), RaftAddr: "127.0.0.1:0", Bootstrap: true,
		StaleAfter: time.Minute, Logger: log, NoAuth: !secure, DeclaredOnly: true, Peers: serve.Peers}
	var apiTLS *tls.Config
	if secure {
		if cfg.TLS, err = ca.config(tlsutil.RoleController, "bench", tlsutil.RoleController); err != nil {
			return nil, err
		}
		cfg.Peers = serve.PeersOver(cfg.TLS)
		// As serve gives the API's port: a client certificate of the CA,
		// of a role the API knows; the API decides what each may call.
		apiTLS = cfg.TLS.Clone()
		apiTLS.VerifyConnection = tlsutil.RequireRole(tlsutil.APIRoles...)
	}
	if e.node, err = controller.Open(ctx, cfg); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	url := "http://" + ln.Addr().String()
	if secure {
		url = "https://" + ln.Addr().String()
	}
	e.url = url
	e.srv = &http.Server{Handler: api.NewServer(e.node, nil, log, api.WithLimits(api.Limits{})), ReadHeaderTimeout: 10 * time.Second, TLSConfig: apiTLS}
	go func() {
		if secure {
			e.served <- e.srv.ServeTLS(ln, "", "")
			return
		}
		e.served <- e.srv.Serve(ln)
	}()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := e.node.WaitForLeader(wctx); err != nil {
		return nil, fmt.Errorf("bench: controller: %w", err)
	}
	if _, err := e.node.PutSite(wctx, site); err != nil {
		return nil, fmt.Errorf("bench: controller: %w", err)
	}
	return e, e.clients(wctx, c, ca, secure, url)
}

// clients makes the agents' and the placement clients' API clients: with
// security, each over mutual TLS with its own certificate (agent, or
// operator with a platform token the bootstrap admin token creates).
func (e *secureEnd) clients(ctx context.Context, c SecurityConfig, ca *benchCA, secure bool, url string) error {
	mk := func(role tlsutil.Role, name string) (*api.Client, error) {
		hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		if secure {
			conf, err := ca.config(role, name, tlsutil.RoleController)
			if err != nil {
				return nil, err
			}
			hc = tlsutil.HTTPClient(conf, time.Minute)
		}
		e.https = append(e.https, hc)
		return api.NewClient(url, hc)
	}
	token := ""
	if secure {
		admin, err := e.node.BootstrapToken(ctx)
		if err != nil {
			return fmt.Errorf("bench: controller: %w", err)
		}
		ac, err := mk(tlsutil.RoleOperator, "bench-admin")
		if err != nil {
			return err
		}
		ac.UseToken(admin)
		t, err := ac.CreateToken(ctx, api.TokenRequest{Name: "bench-platform", Role: api.RolePlatform})
		if err != nil {
			return fmt.Errorf("bench: platform token: %w", err)
		}
		token = t.Secret
	}
	for i := range c.Agents {
		a, err := mk(tlsutil.RoleAgent, fmt.Sprintf("bench-agent-%d", i))
		if err != nil {
			return err
		}
		e.agents = append(e.agents, a)
	}
	for i := range c.Clients {
		p, err := mk(tlsutil.RoleOperator, fmt.Sprintf("bench-client-%d", i))
		if err != nil {
			return err
		}
		if token != "" {
			p.UseToken(token)
		}
		e.placers = append(e.placers, p)
	}
	return nil
}

func (e *secureEnd) close() {
	if e.srv != nil {
		_ = e.srv.Close()
		<-e.served
	}
	for _, hc := range e.https {
		hc.CloseIdleConnections()
	}
	if e.node != nil {
		e.node.Close()
	}
	os.RemoveAll(e.dir)
}

// ingest times c.Pushes pushes from c.Agents agents, each pushing the
// polls of its own share of the PDUs in turn, perPush at a time. A poll's
// time is on the wire in whole seconds, and a device takes only polls
// newer than its last: an agent's n-th push is stamped n seconds after a
// start two hours back, so that every push is taken, however fast they
// come, and none is in the future.
func (e *secureEnd) ingest(ctx context.Context, c SecurityConfig, pdus []string, perPush int) timing {
	share := len(pdus) / len(e.agents)
	if e.pushed == nil {
		e.pushed, e.epoch = make([]int, len(e.agents)), time.Now().Add(-2*time.Hour).Truncate(time.Second)
	}
	slot := make(chan int, len(e.agents)) // an agent pushes one batch at a time
	for i := range e.agents {
		slot <- i
	}
	a := &apiRun{clients: len(e.agents)}
	return a.drive(ctx, c.Pushes, func(ctx context.Context, _ int) error {
		ag := <-slot
		defer func() { slot <- ag }()
		n := e.pushed[ag]
		e.pushed[ag]++
		b := &api.Batch{Agent: fmt.Sprintf("bench-agent-%d", ag), Seq: uint64(n + 1)}
		at := e.epoch.Add(time.Duration(n) * time.Second)
		for k := range perPush {
			dev := pdus[ag*share+(n*perPush+k)%share]
			b.Polls = append(b.Polls, collectors.Status{Device: dev, At: at, OK: true, Readings: pduReadings(2400 + float64(k%7)*100)})
		}
		res, err := e.agents[ag].Push(ctx, b)
		if err == nil && res.Accepted != len(b.Polls) {
			err = fmt.Errorf("push of %d polls: %d accepted", len(b.Polls), res.Accepted)
		}
		return err
	})
}

// warm makes every client open its connection (the TLS handshake, which
// a kept-alive client pays once) and call once, untimed.
func (e *secureEnd) warm(ctx context.Context, c SecurityConfig, pdus []string, perPush int) error {
	w := c
	w.Pushes = len(e.agents)
	if err := firstErr([][]timing{{e.ingest(ctx, w, pdus, perPush)}}); err != nil {
		return fmt.Errorf("bench: warming up: %w", err)
	}
	// The placement clients dial here: their connections' goroutines
	// carry the labels of the goroutine that dials.
	var err error
	pprof.Do(ctx, clientLabels, func(ctx context.Context) {
		for _, p := range e.placers {
			if _, err = p.Placements(ctx, "none"); err != nil {
				err = fmt.Errorf("bench: warming up: %w", err)
				return
			}
		}
	})
	return err
}

// place times c.Requests placements of the city's shapes, one replica
// each, from c.Clients clients, and returns the IDs of those placed, for
// remove.
func (e *secureEnd) place(ctx context.Context, c SecurityConfig, templates []placement.Request, run int) (timing, []string) {
	reqs := measuredRequests(templates, run, c.Requests, 1)
	ids := make([]string, len(reqs))
	a := &apiRun{clients: len(e.placers)}
	slot := make(chan int, len(e.placers))
	for i := range e.placers {
		slot <- i
	}
	t := a.drive(ctx, len(reqs), func(ctx context.Context, i int) error {
		cl := <-slot
		defer func() { slot <- cl }()
		p, err := e.placers[cl].Place(ctx, apiRequest(&reqs[i]), api.PlaceOptions{Key: measuredKey(run, i)})
		if err == nil {
			ids[i] = p.ID
		}
		return err // a refusal too: the site is far from full, and each way places the same
	})
	return t, ids
}

// remove removes a run's placements (untimed), so that every run starts
// from the empty site.
func (e *secureEnd) remove(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if id == "" {
			continue
		}
		if err := e.placers[0].RemovePlacement(ctx, id); err != nil {
			return fmt.Errorf("bench: removing a run's placements: %w", err)
		}
	}
	return nil
}

// sitePDUs are the IDs of the site's PDUs.
func sitePDUs(site *inventory.Site) []string {
	var out []string
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for _, p := range k.PDUs {
			out = append(out, p.ID)
		}
		return true
	})
	return out
}

// pduOutlets is how many outlets a pushed PDU reports, each its power and
// current: a 24-outlet metered-by-outlet PDU.
const pduOutlets = 24

// pduReadings are one poll's readings of a three-phase metered PDU
// drawing watts: the device's power, apparent power and energy, each
// phase's current, voltage and power, each outlet's power and current.
func pduReadings(watts float64) []collectors.Reading {
	rs := []collectors.Reading{
		{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: watts},
		{Metric: collectors.ApparentPowerVA, Scope: collectors.ScopeDevice, Value: watts / 0.95},
		{Metric: collectors.EnergyJoules, Scope: collectors.ScopeDevice, Value: 3.6e9},
	}
	for ph := 1; ph <= 3; ph++ {
		rs = append(rs, collectors.Reading{Metric: collectors.CurrentAmperes, Scope: collectors.ScopePhase, Index: ph, Value: watts / 3 / 230},
			collectors.Reading{Metric: collectors.VoltageVolts, Scope: collectors.ScopePhase, Index: ph, Value: 230},
			collectors.Reading{Metric: collectors.PowerWatts, Scope: collectors.ScopePhase, Index: ph, Value: watts / 3})
	}
	for o := 1; o <= pduOutlets; o++ {
		rs = append(rs, collectors.Reading{Metric: collectors.PowerWatts, Scope: collectors.ScopeOutlet, Index: o, Value: watts / pduOutlets},
			collectors.Reading{Metric: collectors.CurrentAmperes, Scope: collectors.ScopeOutlet, Index: o, Value: watts / pduOutlets / 230})
	}
	return rs
}

// securityPath sums one path's timings, one per run; each call counts
// per calls' worth of the unit.
func securityPath(path, security, unit string, ts []timing, per int) SecurityPath {
	p := SecurityPath{Path: path, Security: security, Unit: unit}
	var rate, p50, p99, cpu []float64
	for _, t := range ts {
		ok := 0
		for _, err := range t.errs {
			if err != nil {
				p.Errors++
			} else {
				ok++
			}
		}
		rate = append(rate, float64(ok*per)/t.elapsed.Seconds())
		lat := slices.Sorted(slices.Values(t.lat))
		p50, p99 = append(p50, ms(percentile(lat, 0.50))), append(p99, ms(percentile(lat, 0.99)))
		cpu = append(cpu, cpuPerCall(t))
	}
	p.PerSec, p.P50Ms, p.P99Ms, p.CPUMicros = SpreadOf(rate), SpreadOf(p50), SpreadOf(p99), SpreadOf(cpu)
	return p
}

// costOf is, run by run, the share of the plain rate lost with security,
// in %.
func costOf(plain, secure []timing) Spread {
	var cost []float64
	for i := range min(len(plain), len(secure)) {
		p, s := float64(len(plain[i].lat))/plain[i].elapsed.Seconds(), float64(len(secure[i].lat))/secure[i].elapsed.Seconds()
		cost = append(cost, 100*(p-s)/p)
	}
	return SpreadOf(cost)
}

// cpuCostOf is, run by run, the CPU per call security adds, in % of the
// plain CPU per call.
func cpuCostOf(plain, secure []timing) Spread {
	var cost []float64
	for i := range min(len(plain), len(secure)) {
		p, s := cpuPerCall(plain[i]), cpuPerCall(secure[i])
		cost = append(cost, 100*(s-p)/p)
	}
	return SpreadOf(cost)
}

// cpuPerCall is the process's CPU per call of t, in µs.
func cpuPerCall(t timing) float64 {
	return t.cores * t.elapsed.Seconds() * 1e6 / float64(max(len(t.lat), 1))
}

// firstErr is the first error of any timing, nil if none.
func firstErr(tss [][]timing) error {
	for _, ts := range tss {
		for _, t := range ts {
			for _, err := range t.errs {
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Header is the table's columns.
func (SecurityResult) Header() []string {
	return []string{"PATH", "SECURITY", "PER SECOND", "P50 MS", "P99 MS", "CPU µS/CALL"}
}

// Rows are the paths, each way.
func (r SecurityResult) Rows() [][]string {
	var rows [][]string
	for _, p := range r.Paths {
		rows = append(rows, []string{p.Path, p.Security, p.PerSec.Cell(0) + " " + p.Unit, p.P50Ms.Cell(2), p.P99Ms.Cell(2), p.CPUMicros.Cell(0)})
	}
	return rows
}

// securityGoal is issue 7's goal: security costs under 10 % on each path.
const securityGoal = 10.0

// verdict says whether the medians of a path's costs meet securityGoal.
func verdict(rate, cpu Spread) string {
	switch {
	case rate.Median < securityGoal && cpu.Median < securityGoal:
		return fmt.Sprintf("both medians meet the goal of under %.0f %%", securityGoal)
	case cpu.Median < securityGoal:
		return fmt.Sprintf("the CPU's median meets the goal of under %.0f %%, the rate's does not", securityGoal)
	case rate.Median < securityGoal:
		return fmt.Sprintf("the rate's median meets the goal of under %.0f %%, the CPU's does not", securityGoal)
	}
	return fmt.Sprintf("both medians miss the goal of under %.0f %%", securityGoal)
}

// Summary says how to read the table, what security costs on each path
// and whether the goal holds.
func (r SecurityResult) Summary() string {
	var b strings.Builder
	fmt.Fprintln(&b, SpreadHeader(r.Runs, "runs"))
	fmt.Fprintf(&b, "site: %d racks, %d servers, %d PDUs; a push: %d PDUs' polls, %d readings; %d agents, %d placement clients, kept-alive connections\n",
		r.Racks, r.Servers, r.Devices, r.PollsPerPush, r.ReadingsPerPush, r.Agents, r.Clients)
	fmt.Fprintf(&b, "each run: %d pushes and %d placements (one replica of the city's shapes, removed after) each way, the order alternating\n", r.Pushes, r.Requests)
	fmt.Fprintf(&b, "load average %s at the start, %s at the end, on %d CPUs\n", r.LoadBefore, r.LoadAfter, r.CPUs)
	for _, c := range []struct {
		path      string
		rate, cpu Spread
	}{{"ingest", r.IngestCost, r.IngestCPUCost}, {"placement", r.PlacementCost, r.PlacementCPUCost}} {
		fmt.Fprintf(&b, "%s: mTLS + auth cost %s %% of the plain rate and add %s %% CPU per call (run by run): %s\n",
			c.path, c.rate.Cell(1), c.cpu.Cell(1), verdict(c.rate, c.cpu))
	}
	fmt.Fprintf(&b, "took %.0f s\n", r.Seconds)
	return b.String()
}
