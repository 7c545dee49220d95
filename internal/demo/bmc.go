package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/dcplane/dcplane/agent"
	"github.com/dcplane/dcplane/collectors/ipmi"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/sim"
)

// DefaultBMCRacks is how many racks' servers get a simulated BMC unless
// the demo is told otherwise. Each BMC is a go-ipmi server with a UDP
// socket and goroutines of its own, and an RMCP+ session the agent keeps:
// the reference site's 18,000 servers would cost more than the rest of the
// demo together, while four racks (about 150 servers) show every server
// view and cross-check finding.
const DefaultBMCRacks = 4

// bmcUser is the simulated BMCs' user; its password is made at random and
// kept in bmcPasswordFile in the demo's directory.
const (
	bmcUser         = "dcplane"
	bmcPasswordFile = "bmc-password"
	bmcCredentials  = "demo-bmc" // the agent's ipmi credentials entry
)

// BMCServers is how many servers the first racks racks of site hold: those
// the demo serves BMCs for.
func BMCServers(site *inventory.Site, racks int) int {
	n, seen := 0, 0
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		if seen >= racks {
			return false
		}
		seen++
		n += len(k.Servers)
		return true
	})
	return n
}

// startBMCs serves a BMC for each server of the first c.BMCRacks racks
// (sim.StartBMCs), with a random password kept in a file of dir readable
// only by its owner, and injects c's server faults. It returns the
// number of BMCs; the agent's targets come from bmcTargets once the site
// is rewritten.
func (d *Demo) startBMCs(ctx context.Context, c Config, dir string) (int, error) {
	if c.BMCRacks <= 0 {
		if len(c.Miswire) > 0 || len(c.PSUFail) > 0 || len(c.DrawFrom) > 0 {
			return 0, fmt.Errorf("--miswire, --psu-fail and --draw-from need simulated BMCs: --bmc-racks is %d", c.BMCRacks)
		}
		return 0, nil
	}
	// 8 random bytes, 16 hex characters: IPMI passwords are at most 20
	// bytes (ipmitool refuses longer ones), and the demo's BMCs should be
	// readable with ipmitool too.
	pw := make([]byte, 8)
	if _, err := rand.Read(pw); err != nil {
		return 0, err
	}
	d.bmcPassword = filepath.Join(dir, bmcPasswordFile)
	if err := os.WriteFile(d.bmcPassword, []byte(hex.EncodeToString(pw)+"\n"), 0o600); err != nil {
		return 0, err
	}
	secret, err := ipmi.LoadPassword(d.bmcPassword, "")
	if err != nil {
		return 0, err
	}
	n, err := d.sim.StartBMCs(ctx, c.Site, sim.BMCConfig{Servers: BMCServers(c.Site, c.BMCRacks), User: bmcUser,
		Password: secret.Reveal(), Credentials: bmcCredentials})
	if err != nil {
		return n, err
	}
	// The errors are named as the flags, as in 'dcplane demo --miswire'.
	for _, id := range c.Miswire {
		if err := d.sim.Miswire(id); err != nil {
			return n, fmt.Errorf("--miswire: %w", err)
		}
	}
	for _, id := range c.PSUFail {
		if err := d.sim.FailPSU(id); err != nil {
			return n, fmt.Errorf("--psu-fail: %w", err)
		}
	}
	for _, move := range c.DrawFrom {
		server, rack, ok := strings.Cut(move, "=")
		if !ok || server == "" || rack == "" {
			return n, fmt.Errorf("--draw-from %q: want SERVER=RACK: %w", move, sim.ErrBadConfig)
		}
		if err := d.sim.DrawFrom(server, rack); err != nil {
			return n, fmt.Errorf("--draw-from: %w", err)
		}
	}
	return n, nil
}

// bmcTargets are the agent's targets of the site's BMCs (after Rewrite),
// logging in with the password the demo keeps in its file.
func (d *Demo) bmcTargets(site *inventory.Site, log *slog.Logger) ([]agent.Target, error) {
	if d.bmcPassword == "" {
		return nil, nil
	}
	pw, err := ipmi.LoadPassword(d.bmcPassword, "")
	if err != nil {
		return nil, err
	}
	targets, skipped := agent.BMCTargets(site, agent.Selection{}, map[string]agent.BMCCredentials{bmcCredentials: {User: bmcUser, Password: pw}}, log)
	logSkipped(log, skipped)
	return targets, nil
}
