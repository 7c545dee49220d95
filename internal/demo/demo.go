package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/agent"
	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
	"github.com/dcplane/dcplane/sim"
)

// Config is what Start and Run need.
type Config struct {
	Site *inventory.Site // the site to simulate and account for; required
	// Dir holds the controller's Raft state and the SNMP community file.
	// Empty: a temporary directory, removed by Close.
	Dir      string
	HTTPAddr string        // API and /metrics listen address; port 0 picks one
	Interval time.Duration // agent poll interval; the controller's staleness is three of them
	Level    float64       // mean rack load, a share of the rack budget
	// Overload lists racks pushed 10 % over budget, Silence devices that stop
	// answering: the scenario. A name the site lacks fails Start with an
	// error wrapping sim.ErrUnknown.
	Overload, Silence []string
	// BMCRacks is how many racks' servers (the first ones) get a simulated
	// BMC that the agent polls over IPMI; 0 none (see DefaultBMCRacks).
	BMCRacks int
	// Miswire and PSUFail are servers (with a BMC) whose PSUs all draw from
	// feed A, or whose last PSU draws nothing: the cross-check's faults.
	Miswire, PSUFail []string
	// DrawFrom are SERVER=RACK moves: the server's PSUs draw from that
	// rack's PDUs while the inventory keeps it in its own (both racks need
	// BMCs for the cross-check to see it).
	DrawFrom     []string
	SummaryEvery time.Duration // how often Run prints the live summary; Start ignores it
	// Workloads are placed by Run once the controller has measured every
	// rack (see Demo.PlaceWorkloads); Start ignores them. Nil places none.
	Workloads []api.PlacementRequest
	// Alerts are the alert thresholds; nil is alerts.DemoConfig(), whose
	// short durations show alerts within a minute.
	Alerts *alerts.Config
	// Alertmanagers are the Alertmanagers the alerts are delivered to;
	// none: they are listed (dcplane alerts ls, the summary) only.
	Alertmanagers []string
	Logger        *slog.Logger // nil: discard
	// Vendors is the PDUs' vendors: VendorsAPC ("" too) or VendorsMixed,
	// whose recorded walks are in Recordings (DefaultRecordings if "").
	Vendors, Recordings string
	// Curves are the real power curves the racks' loads replay (see
	// LoadCurves); none: a daily cosine with noise. LoadNote says which,
	// for the banner.
	Curves   []*sim.Curve
	LoadNote string
}

// Demo is a running simulator, controller and agent.
type Demo struct {
	cancel context.CancelFunc // stops everything started
	tmpDir string             // removed by Close; empty if Config.Dir was given
	site   *inventory.Site
	sim    *sim.Site
	node   *serve.Node
	client *api.Client // with the admin token
	pusher *api.Client // with the agent's token: telemetry only
	token  string      // the cluster's first admin token
	agent  *agent.Agent
	// agentReg holds the agent's metrics, served on the controller's
	// /metrics so that the demo has one scrape target.
	agentReg *prometheus.Registry
	apiURL   string
	interval time.Duration // the agent's poll interval
	silenced int           // devices the scenario silenced
	bmcs     int           // simulated BMCs
	// bmcPassword is the file holding the simulated BMCs' password.
	bmcPassword string
	// recorded is each PDU's recording, with VendorsMixed; nil otherwise.
	recorded map[string]*recording
	loadNote string // how the racks' loads are modelled, for the banner
	log      *slog.Logger
	wg       sync.WaitGroup
	errs     chan error // what goRun's functions fail with; Run reports the first
}

// Start starts the simulator, the controller (with the site applied) and an
// agent polling every simulated device, then applies the scenario; all run
// until Close or until ctx is done. The simulator follows the controller's
// placements, polled every agent interval: a placed workload adds its power
// to its racks' draw.
func Start(ctx context.Context, c Config) (_ *Demo, err error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	d := &Demo{site: c.Site, cancel: cancel, errs: make(chan error, 4), agentReg: prometheus.NewRegistry(),
		interval: c.Interval, silenced: len(c.Silence), loadNote: c.LoadNote, log: c.Logger.With("component", "demo")}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "dcplane-demo-"); err != nil {
			return nil, err
		}
		d.tmpDir = c.Dir
	}
	community, err := newCommunity(filepath.Join(c.Dir, "snmp-community"))
	if err != nil {
		return nil, err
	}
	plans, recorded, err := recordedPDUs(c, d.log)
	if err != nil {
		return nil, err
	}
	d.recorded = recorded
	if d.sim, err = sim.StartSite(ctx, sim.SiteConfig{Site: c.Site, Community: community.Reveal(), Level: c.Level, Seed: 1,
		Refresh: min(time.Second, c.Interval/10), Logger: c.Logger, Recorded: plans, Curves: c.Curves}); err != nil {
		return nil, err
	}
	if d.bmcs, err = d.startBMCs(ctx, c, c.Dir); err != nil {
		return nil, err
	}
	d.sim.Rewrite(c.Site) // devices now live at the simulator's addresses
	if err := d.startController(ctx, c); err != nil {
		return nil, err
	}
	targets, _ := Targets(c.Site, community, c.Logger)
	bmcs, err := d.bmcTargets(c.Site, c.Logger)
	if err != nil {
		return nil, err
	}
	targets = append(targets, bmcs...)
	d.agent, err = agent.New(agent.Config{Name: "demo-agent", Targets: targets, Pusher: d.pusher, Interval: c.Interval,
		Timeout: c.Interval, FlushInterval: min(time.Second, c.Interval/4), Reasons: snmp.Reasons(), Registerer: d.agentReg, Logger: c.Logger})
	if err != nil {
		return nil, err
	}
	d.goRun(func() error { return d.agent.Run(ctx) })
	d.goRun(func() error {
		followPlacements(ctx, d.client, d.sim, c.Interval, c.Logger)
		return nil
	})
	if err := d.scenario(c.Overload, c.Silence); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Demo) startController(ctx context.Context, c Config) error {
	ln, err := net.Listen("tcp", c.HTTPAddr)
	if err != nil {
		// Named as the flag, for 'dcplane demo', whose only way to set it is --http-addr.
		return fmt.Errorf("--http-addr %s: %w (is another dcplane running? pick another with --http-addr)", c.HTTPAddr, err)
	}
	ac := c.Alerts
	if ac == nil {
		dc := alerts.DemoConfig()
		ac = &dc
	}
	d.apiURL = "http://" + ln.Addr().String()
	d.node, err = serve.Open(ctx, controller.Config{NodeID: "demo", DataDir: filepath.Join(c.Dir, "raft"), RaftAddr: "127.0.0.1:0",
		Bootstrap: true, StaleAfter: 3 * c.Interval, Logger: c.Logger, Gatherer: d.agentReg, APIURL: d.apiURL,
		// Peaks and alerts as fresh as the telemetry: PlaceWorkloads waits
		// one of these, and an alert at once shows within one.
		AccountEvery: c.Interval, Alerts: ac, Alertmanagers: c.Alertmanagers})
	if err != nil {
		ln.Close()
		return err
	}
	d.goRun(func() error { return d.node.Serve(ctx, ln) })
	if d.client, err = api.NewClient(d.apiURL, nil); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := d.node.WaitForLeader(wctx); err != nil {
		return err
	}
	if err := d.tokens(wctx); err != nil {
		return err
	}
	_, err = d.node.PutSite(ctx, c.Site)
	return err
}

// tokens reads the admin token the controller wrote when it bootstrapped,
// as its operator would, and makes the agent's with it.
func (d *Demo) tokens(ctx context.Context) error {
	var err error
	if d.token, err = d.node.BootstrapToken(ctx); err != nil {
		return err
	}
	d.client.UseToken(d.token)
	at, err := d.client.CreateToken(ctx, api.TokenRequest{Name: "demo-agent", Role: api.RoleAgent})
	if err != nil {
		return fmt.Errorf("the demo agent's token: %w", err)
	}
	if d.pusher, err = api.NewClient(d.apiURL, nil); err != nil {
		return err
	}
	d.pusher.UseToken(at.Secret)
	return nil
}

// Token is the cluster's first admin token, which the controller wrote to
// admin-token in its data directory: what the demo's user exports as
// DCPLANE_TOKEN.
func (d *Demo) Token() string { return d.token }

// goRun runs fn until it returns; Close waits for it. Its failure, other
// than being cancelled, goes to d.errs (buffered for every caller of goRun:
// the controller's server, the agent and the placement follower).
func (d *Demo) goRun(fn func() error) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := fn(); err != nil && !errors.Is(err, context.Canceled) {
			d.errs <- err
		}
	}()
}

// Close stops everything started and waits for it.
func (d *Demo) Close() {
	d.cancel()
	d.wg.Wait()
	if d.node != nil {
		d.node.Close()
	}
	if d.sim != nil {
		d.sim.Close()
	}
	if d.tmpDir != "" {
		os.RemoveAll(d.tmpDir)
	}
}

// scenario pushes racks over budget and silences devices.
func (d *Demo) scenario(overload, silence []string) error {
	budgets := map[string]float64{}
	d.site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		budgets[k.ID] = k.BudgetWatts()
		return true
	})
	// The errors are named as the flags, as in 'dcplane demo --overload'.
	for _, id := range overload {
		r, err := d.sim.Rack(id)
		if err != nil {
			return fmt.Errorf("--overload: %w", err)
		}
		r.Set(1.1 * budgets[id]) // 10 % over budget
	}
	for _, id := range silence {
		dev, err := d.sim.Device(id)
		if err != nil {
			return fmt.Errorf("--silence: %w", err)
		}
		dev.Silence(true)
	}
	return nil
}

// URL is the base URL of the controller's API and /metrics.
func (d *Demo) URL() string { return d.apiURL }

// Client is an API client of the controller.
func (d *Demo) Client() *api.Client { return d.client }

// Sim is the simulated site, to change a rack's load or silence a device.
func (d *Demo) Sim() *sim.Site { return d.sim }
