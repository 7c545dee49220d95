package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/sim"
)

// SimConfig is what RunSim needs.
type SimConfig struct {
	Site          *inventory.Site // the site to simulate; required
	InventoryOut  string          // where to write Site with the simulator's addresses; required
	CommunityFile string          // the SNMP community, read by Community (created if missing); required
	Level         float64         // mean rack load, a share of the rack budget
	Logger        *slog.Logger    // nil: discard
}

// RunSim serves every device of c.Site as an SNMP agent on its own loopback
// UDP port, writes the site with their addresses to c.InventoryOut (whole or
// not at all), says so on out, and serves until ctx is done.
func RunSim(ctx context.Context, c SimConfig, out io.Writer) error {
	community, err := Community(c.CommunityFile)
	if err != nil {
		return err
	}
	s, err := sim.StartSite(ctx, sim.SiteConfig{Site: c.Site, Community: community.Reveal(), Level: c.Level, Seed: 1, Logger: c.Logger})
	if err != nil {
		return err
	}
	defer s.Close()
	s.Rewrite(c.Site)
	b, err := inventory.Marshal(c.Site)
	if err != nil {
		return err
	}
	// Write then rename, so a reader never sees half a file.
	if err := os.WriteFile(c.InventoryOut+".tmp", b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(c.InventoryOut+".tmp", c.InventoryOut); err != nil {
		return err
	}
	fmt.Fprintf(out, "simulating %d devices; inventory with their addresses in %s\n", s.Devices(), c.InventoryOut)
	<-ctx.Done()
	return nil
}
