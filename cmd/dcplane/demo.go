package main

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
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/agent"
	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/deploy"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/sim"
)

type demoOptions struct {
	*globalOptions
	racks    int
	httpAddr string
	interval time.Duration
	level    float64
	overload []string
	silence  []string
	every    time.Duration
}

func newDemoCmd(g *globalOptions) *cobra.Command {
	o := &demoOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a whole simulated site on loopback: simulator, agent and controller (logs only errors unless --log-level)",
		Long: `Run the reference site on this machine: every PDU and in-row cooling unit is
a real SNMP agent on its own loopback UDP port, an agent polls them all, and
a single-node controller on a temporary data directory accounts for the
power. Nothing else needs to be installed. Stop it with Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.racks, "racks", inventory.ReferenceRacks, "number of racks (460 is the bundled 7 MW reference site)")
	f.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:8080", "API and /metrics listen address")
	f.DurationVar(&o.interval, "interval", 2*time.Second, "agent poll interval")
	f.Float64Var(&o.level, "level", 0.6, "mean rack load, a share of the rack budget")
	f.StringSliceVar(&o.overload, "overload", nil, "racks to push over budget (scenario)")
	f.StringSliceVar(&o.silence, "silence", nil, "devices that stop answering (scenario)")
	f.DurationVar(&o.every, "summary-every", 5*time.Second, "how often to print the live summary")
	return cmd
}

// demoSite returns the site the demo runs: the bundled file, or one of the
// asked size.
func (o *demoOptions) demoSite() (*inventory.Site, error) {
	if o.racks < 1 {
		return nil, usageError{fmt.Errorf("--racks %d: want at least 1", o.racks)}
	}
	if o.racks == inventory.ReferenceRacks {
		return inventory.Parse(deploy.ReferenceSiteName, deploy.ReferenceSite)
	}
	return inventory.Reference(o.racks), nil
}

func (o *demoOptions) run(cmd *cobra.Command) error {
	if !cmd.Flags().Changed("log-level") {
		// The live summary says what matters (stale racks, unpushed
		// batches); warnings about each silent device would drown it.
		o.logLevel = "error"
	}
	log, err := o.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	site, err := o.demoSite()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "dcplane-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	d, err := startDemo(ctx, demoConfig{site: site, dir: dir, httpAddr: o.httpAddr, interval: o.interval, level: o.level, log: log})
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.scenario(o.overload, o.silence); err != nil {
		return usageError{err}
	}
	d.banner(cmd.OutOrStdout())
	return d.summaries(ctx, cmd.OutOrStdout(), o.every)
}

// demoConfig is what startDemo needs.
type demoConfig struct {
	site     *inventory.Site
	dir      string
	httpAddr string
	interval time.Duration
	level    float64
	log      *slog.Logger
}

// demo is a running simulator, controller and agent.
type demo struct {
	cancel context.CancelFunc // stops everything started
	sim    *sim.Site
	node   *controller.Node
	client *api.Client
	agent  *agent.Agent
	// agentReg holds the agent's metrics, served on the controller's
	// /metrics so that the demo has one scrape target.
	agentReg *prometheus.Registry
	apiURL   string
	site     *inventory.Site
	wg       sync.WaitGroup
	errs     chan error
}

// startDemo starts the simulator, the controller (with the site applied) and
// an agent polling every simulated device; all stop when ctx is done.
func startDemo(ctx context.Context, c demoConfig) (_ *demo, err error) {
	ctx, cancel := context.WithCancel(ctx)
	d := &demo{site: c.site, cancel: cancel, errs: make(chan error, 3), agentReg: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	community, err := newCommunity(filepath.Join(c.dir, "snmp-community"))
	if err != nil {
		return nil, err
	}
	if d.sim, err = sim.StartSite(ctx, sim.SiteConfig{Site: c.site, Community: community.Reveal(), Level: c.level, Seed: 1,
		Refresh: min(time.Second, c.interval/10), Logger: c.log}); err != nil {
		return nil, err
	}
	d.sim.Rewrite(c.site) // devices now live at the simulator's addresses
	if err := d.startController(ctx, c); err != nil {
		return nil, err
	}
	creds := map[string]snmp.Credentials{}
	for _, name := range credentialNames(c.site) {
		creds[name] = snmp.Credentials{Community: community}
	}
	targets, skipped := agent.Targets(c.site, agent.Selection{}, creds, snmp.NewCollector(c.log))
	logSkipped(c.log, skipped)
	d.agent, err = agent.New(agent.Config{Name: "demo-agent", Targets: targets, Pusher: d.client, Interval: c.interval,
		Timeout: c.interval, FlushInterval: min(time.Second, c.interval/4), Reasons: snmp.Reasons(), Registerer: d.agentReg, Logger: c.log})
	if err != nil {
		return nil, err
	}
	d.goRun(func() error { return d.agent.Run(ctx) })
	return d, nil
}

func (d *demo) startController(ctx context.Context, c demoConfig) error {
	ln, err := net.Listen("tcp", c.httpAddr)
	if err != nil {
		return fmt.Errorf("--http-addr %s: %w (is another dcplane running? pick another with --http-addr)", c.httpAddr, err)
	}
	d.node, err = controller.Open(ctx, controller.Config{NodeID: "demo", DataDir: filepath.Join(c.dir, "raft"), RaftAddr: "127.0.0.1:0",
		Bootstrap: true, StaleAfter: 3 * c.interval, Logger: c.log, Gatherer: d.agentReg})
	if err != nil {
		ln.Close()
		return err
	}
	d.goRun(func() error { return d.node.Serve(ctx, ln) })
	d.apiURL = "http://" + ln.Addr().String()
	if d.client, err = api.NewClient(d.apiURL, nil); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := d.node.WaitForLeader(wctx); err != nil {
		return err
	}
	_, err = d.node.PutSite(ctx, c.site)
	return err
}

func (d *demo) goRun(fn func() error) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := fn(); err != nil && !errors.Is(err, context.Canceled) {
			d.errs <- err
		}
	}()
}

// close stops everything started and waits for it.
func (d *demo) close() {
	d.cancel()
	d.wg.Wait()
	if d.node != nil {
		d.node.Close()
	}
	if d.sim != nil {
		d.sim.Close()
	}
}

// scenario pushes racks over budget and silences devices.
func (d *demo) scenario(overload, silence []string) error {
	budgets := map[string]float64{}
	d.site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		budgets[k.ID] = k.BudgetWatts()
		return true
	})
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

func (d *demo) banner(w io.Writer) {
	c := d.site.Count()
	fmt.Fprintf(w, `dcplane demo: site %s, %d halls, %d rows, %d racks (budget %.2f MW), %d PDUs, %d cooling units
  simulator  %d SNMP agents on 127.0.0.1 (UDP, one port each)
  API        %s/v1/racks   %s/v1/power
  metrics    %s/metrics
  try        export DCPLANE_CONTROLLER=%s
             go run ./cmd/dcplane rack ls | head
             go run ./cmd/dcplane power
Ctrl-C stops it.

`, d.site.Name, c.Halls, c.Rows, c.Racks, c.BudgetWatts/1e6, c.PDUs, c.CoolingUnits, d.sim.Devices(),
		d.apiURL, d.apiURL, d.apiURL, d.apiURL)
}

// summaries prints a line of live figures every period until ctx is done
// (nil: the user stopped it) or a part of the demo fails (its error).
func (d *demo) summaries(ctx context.Context, w io.Writer, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(w, "stopping")
			return nil
		case err := <-d.errs:
			return fmt.Errorf("demo stopped: %w", err)
		case <-t.C:
			fmt.Fprintln(w, d.summary(ctx))
		}
	}
}

func (d *demo) summary(ctx context.Context) string {
	rep, err := d.node.Report(ctx)
	if err != nil {
		return "summary: " + err.Error()
	}
	count := map[string]int{}
	for _, k := range rep.Racks {
		count[k.Status]++
	}
	s := rep.Site
	draw := fmt.Sprintf("%.3f MW", s.DrawWatts/1e6)
	if !s.Complete {
		draw = "≥ " + draw // stale racks are not counted
	}
	line := fmt.Sprintf("%s  draw %s of %.3f MW budget  racks: %d ok, %d warn, %d over, %d stale",
		rep.At.Format("15:04:05"), draw, s.BudgetWatts/1e6, count["ok"], count["warn"], count["over"], count["stale"])
	// A batch or two is normal: the one being pushed. More is a backlog.
	if n := d.agent.Buffered(); n > 2 {
		line += fmt.Sprintf("  agent backlog: %d batches", n)
	}
	return line
}

// newCommunity makes a random SNMP community and keeps it in a file at path
// readable only by its owner, as a real deployment would.
func newCommunity(path string) (snmp.Secret, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return snmp.Secret{}, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		return snmp.Secret{}, err
	}
	return snmp.LoadSecret(path, "")
}

// credentialNames lists the credential names a site uses.
func credentialNames(s *inventory.Site) []string {
	seen := map[string]bool{}
	var out []string
	for _, ep := range s.Devices() {
		if !seen[ep.Credentials] {
			seen[ep.Credentials] = true
			out = append(out, ep.Credentials)
		}
	}
	return out
}
