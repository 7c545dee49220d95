package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/sim"
)

type simOptions struct {
	*globalOptions
	racks         int
	inventory     string
	inventoryOut  string
	communityFile string
	level         float64
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
(mode 0600).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.racks, "racks", inventory.ReferenceRacks, "size of the reference site to simulate (ignored with --inventory)")
	f.StringVar(&o.inventory, "inventory", "", "inventory to simulate instead of the reference site")
	f.StringVar(&o.inventoryOut, "inventory-out", "", "where to write the inventory with the simulator's addresses (required)")
	f.StringVar(&o.communityFile, "community-file", "", "file holding the SNMP community (required; created if missing)")
	f.Float64Var(&o.level, "level", 0.6, "mean rack load, a share of the rack budget")
	_ = cmd.MarkFlagRequired("inventory-out")
	_ = cmd.MarkFlagRequired("community-file")
	return cmd
}

func (o *simOptions) run(cmd *cobra.Command) error {
	log, err := o.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	site, err := o.site()
	if err != nil {
		return err
	}
	community, err := communityFromFile(o.communityFile)
	if err != nil {
		return err
	}
	s, err := sim.StartSite(cmd.Context(), sim.SiteConfig{Site: site, Community: community.Reveal(), Level: o.level, Seed: 1, Logger: log})
	if err != nil {
		return err
	}
	defer s.Close()
	s.Rewrite(site)
	b, err := inventory.Marshal(site)
	if err != nil {
		return err
	}
	// Write then rename, so a reader never sees half a file.
	if err := os.WriteFile(o.inventoryOut+".tmp", b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(o.inventoryOut+".tmp", o.inventoryOut); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "simulating %d devices; inventory with their addresses in %s\n", s.Devices(), o.inventoryOut)
	<-cmd.Context().Done()
	return nil
}

func (o *simOptions) site() (*inventory.Site, error) {
	if o.inventory != "" {
		return inventory.LoadFile(o.inventory)
	}
	d := demoOptions{racks: o.racks}
	return d.demoSite()
}

// communityFromFile reads a community, creating the file with a random one
// first if it does not exist.
func communityFromFile(path string) (snmp.Secret, error) {
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return newCommunity(path)
	}
	return snmp.LoadSecret(path, "")
}
