package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/internal/demo"
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
	noWork   bool
	alertmgr []string
	bmcRacks int
	miswire  []string
	psuFail  []string
	drawFrom []string
	vendors  string
	recDir   string
	curves   string
}

func newDemoCmd(g *globalOptions) *cobra.Command {
	o := &demoOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a whole simulated site on loopback: simulator, agent and controller (logs only errors unless --log-level)",
		Long: `Run the reference site on this machine: every PDU and in-row cooling unit is
a real SNMP agent on its own loopback UDP port, an agent polls them all, and
a single-node controller on a temporary data directory accounts for the
power. Once every rack is measured, the city's workloads
(deploy/workloads/city.yaml) are placed through the API, what does not fit
said with its reason; the simulated racks then draw what is placed on them.
Nothing else needs to be installed. Stop it with Ctrl-C.`,
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
	f.BoolVar(&o.noWork, "no-workloads", false, "do not place the city's workloads on start (scenario)")
	f.IntVar(&o.bmcRacks, "bmc-racks", demo.DefaultBMCRacks, "serve simulated BMCs for the servers of the first N racks, 0 none (scenario)")
	f.StringSliceVar(&o.miswire, "miswire", nil, "servers whose PSUs all draw from feed A (scenario)")
	f.StringSliceVar(&o.psuFail, "psu-fail", nil, "servers one of whose PSUs draws nothing (scenario)")
	f.StringSliceVar(&o.drawFrom, "draw-from", nil, "SERVER=RACK: a server whose PSUs draw from another rack's PDUs (scenario)")
	f.StringArrayVar(&o.alertmgr, "alertmanager", nil, "Alertmanager base URL to deliver the demo's alerts to (repeatable)")
	f.StringVar(&o.vendors, "vendors", demo.VendorsAPC, "the PDUs' vendors: apc (the simulator's APC rPDU2), or mixed (recorded walks of real PDUs of every vendor, round robin, the load overlaid)")
	f.StringVar(&o.recDir, "recordings", demo.DefaultRecordings, "where --vendors mixed finds the recorded walks and their MANIFEST.tsv")
	f.StringVar(&o.curves, "load-curves", demo.DefaultCurves, "folder of power traces (Google's 2019 format) whose curves the racks' loads replay, each rack from its own point; none for a daily cosine (the default folder may be missing: then the cosine, said on start)")
	return cmd
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
	site, err := demoSite(o.racks)
	if err != nil {
		return err
	}
	if o.vendors != demo.VendorsAPC && o.vendors != demo.VendorsMixed {
		return usageError{fmt.Errorf("--vendors %q: want %s or %s", o.vendors, demo.VendorsAPC, demo.VendorsMixed)}
	}
	curves, note, err := demo.LoadCurves(o.curves, cmd.Flags().Changed("load-curves"))
	if err != nil {
		return usageError{err}
	}
	c := demo.Config{Curves: curves, LoadNote: note, Vendors: o.vendors, Recordings: o.recDir, Site: site, HTTPAddr: o.httpAddr, Interval: o.interval, Level: o.level,
		Overload: o.overload, Silence: o.silence, SummaryEvery: o.every, Logger: log, Alertmanagers: o.alertmgr,
		BMCRacks: o.bmcRacks, Miswire: o.miswire, PSUFail: o.psuFail, DrawFrom: o.drawFrom}
	if !o.noWork {
		if c.Workloads, err = demo.CityWorkloads(); err != nil {
			return err
		}
	}
	err = demo.Run(cmd.Context(), c, cmd.OutOrStdout())
	if errors.Is(err, sim.ErrUnknown) || errors.Is(err, sim.ErrNoBMC) || errors.Is(err, sim.ErrBadConfig) { // a scenario names what the site lacks, or is malformed
		return usageError{err}
	}
	return err
}

// demoSite returns the site of --racks racks, which the demo, the simulator
// and bench demo run.
func demoSite(racks int) (*inventory.Site, error) {
	if racks < 1 {
		return nil, usageError{fmt.Errorf("--racks %d: want at least 1", racks)}
	}
	return demo.Site(racks)
}
