package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/sim"
)

// SimConfig is what RunSim needs.
type SimConfig struct {
	Site          *inventory.Site // the site to simulate; required
	InventoryOut  string          // where to write Site with the simulator's addresses; required
	CommunityFile string          // the SNMP community, read by Community (created if missing); required
	Level         float64         // mean rack load, a share of the rack budget
	// Controller is the base URL of a controller's API whose placements
	// the simulated racks follow, polled every FollowEvery (5 s if 0);
	// "" follows none.
	Controller  string
	FollowEvery time.Duration
	// HTTPClient talks to Controller (nil: plain HTTP; give one over mutual
	// TLS for a TLS controller), sending Token (a viewer's is enough).
	HTTPClient *http.Client
	Token      string
	// Vendors and Recordings are Config's: with VendorsMixed the PDUs
	// serve recorded walks, and the inventory written says what they are
	// (the racks derated to them, said on out).
	Vendors, Recordings string
	Logger              *slog.Logger // nil: discard
}

// RunSim serves every device of c.Site as an SNMP agent on its own loopback
// UDP port, writes the site with their addresses to c.InventoryOut (whole or
// not at all), says so on out, and serves until ctx is done, following the
// placements of c.Controller if given.
func RunSim(ctx context.Context, c SimConfig, out io.Writer) error {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	var client *api.Client
	if c.Controller != "" {
		var err error
		if client, err = api.NewClient(c.Controller, c.HTTPClient); err != nil {
			return err
		}
		client.UseToken(c.Token)
	}
	community, err := Community(c.CommunityFile)
	if err != nil {
		return err
	}
	plans, recorded, err := vendorPDUs(c.Site, c.Vendors, c.Recordings, c.Logger)
	if err != nil {
		return err
	}
	s, err := sim.StartSite(ctx, sim.SiteConfig{Site: c.Site, Community: community.Reveal(), Level: c.Level, Seed: 1, Logger: c.Logger,
		Recorded: plans})
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
	for _, rec := range recorded {
		fmt.Fprintf(out, "the %d PDUs serve recorded walks of real PDUs, their profile auto-detected\n", len(recorded))
		if line := rec.site.line(); line != "" {
			fmt.Fprintln(out, line)
		}
		break // every recording holds the site's derating
	}
	if client != nil {
		if c.FollowEvery <= 0 {
			c.FollowEvery = 5 * time.Second
		}
		fmt.Fprintf(out, "following the placements of %s every %v\n", client.URL(), c.FollowEvery)
		followPlacements(ctx, client, s, c.FollowEvery, c.Logger) // until ctx is done
	}
	<-ctx.Done()
	return nil
}
