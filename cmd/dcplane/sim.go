package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/internal/demo"
	"github.com/dcplane/dcplane/internal/inventory"
)

type simOptions struct {
	*globalOptions
	racks         int
	inventory     string
	inventoryOut  string
	communityFile string
	level         float64
	followEvery   time.Duration
	vendors       string
	recDir        string
}

func newSimCmd(g *globalOptions) *cobra.Command {
	o := &simOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run only the simulated site, for an agent run separately",
		Long: `Serve every PDU and cooling unit of a site as an SNMP agent on its own
loopback UDP port, and write the inventory with the simulator's addresses to
--inventory-out, ready for 'dcplane agent --inventory'. The SNMP community is
read from --community-file; a missing file is created with a random one
(mode 0600).

Given --controller (or DCPLANE_CONTROLLER), the simulated racks follow that
controller's placements, listed every --follow-every: a placed workload's
replicas add their declared watts, shaped by the workload's daily profile,
to their racks' draw, and a removed one takes them away.

With --vendors mixed the PDUs serve recorded walks of real PDUs, as
'dcplane demo --vendors mixed' does, and the inventory written says what
each is (its phases, voltage and rating), its rack's budget lowered to what
its PDUs carry on one feed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.racks, "racks", inventory.ReferenceRacks, "size of the reference site to simulate (ignored with --inventory)")
	f.StringVar(&o.inventory, "inventory", "", "inventory to simulate instead of the reference site")
	f.StringVar(&o.inventoryOut, "inventory-out", "", "where to write the inventory with the simulator's addresses (required)")
	f.StringVar(&o.communityFile, "community-file", "", "file holding the SNMP community (required; created if missing)")
	f.Float64Var(&o.level, "level", 0.6, "mean rack load, a share of the rack budget")
	f.DurationVar(&o.followEvery, "follow-every", 5*time.Second, "how often to list the placements of --controller, when given")
	f.StringVar(&o.vendors, "vendors", demo.VendorsAPC, "the PDUs' vendors: apc (the simulator's APC rPDU2), or mixed (recorded walks of real PDUs, the inventory written fitted to them)")
	f.StringVar(&o.recDir, "recordings", demo.DefaultRecordings, "where --vendors mixed finds the recorded walks and their MANIFEST.tsv")
	requireFlag(cmd, "inventory-out", "FILE", "")
	requireFlag(cmd, "community-file", "FILE", "")
	return cmd
}

func (o *simOptions) run(cmd *cobra.Command) error {
	log, err := o.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if o.vendors != demo.VendorsAPC && o.vendors != demo.VendorsMixed {
		return usageError{fmt.Errorf("--vendors %q: want %s or %s", o.vendors, demo.VendorsAPC, demo.VendorsMixed)}
	}
	site, err := o.site()
	if err != nil {
		return err
	}
	c := demo.SimConfig{Site: site, InventoryOut: o.inventoryOut, CommunityFile: o.communityFile,
		Level: o.level, FollowEvery: o.followEvery, Vendors: o.vendors, Recordings: o.recDir, Logger: log}
	// The global --controller has a default for the commands that need
	// one; the simulator follows a controller only when told which.
	if cmd.Flags().Changed("controller") || os.Getenv("DCPLANE_CONTROLLER") != "" {
		c.Controller = o.controller
		if c.HTTPClient, err = operatorHTTPClient(30 * time.Second); err != nil {
			return usageError{err}
		}
		if c.Token, err = o.token(); err != nil {
			return err
		}
	}
	return demo.RunSim(cmd.Context(), c, cmd.OutOrStdout())
}

func (o *simOptions) site() (*inventory.Site, error) {
	if o.inventory != "" {
		return inventory.LoadFile(o.inventory)
	}
	return demoSite(o.racks)
}
