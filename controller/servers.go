package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
)

// ErrUnknownRack is returned for a rack the inventory does not have.
var ErrUnknownRack = wire.ErrUnknownRack

// Servers returns what the BMCs say of the servers of rack (every rack's
// when rack is ""), in inventory order: each server's input power and its
// PSUs' feeds, input power and state, with the resolution of each power
// reading, unknown (nil) where the telemetry does not say. Only the leader has telemetry.
func (n *Node) Servers(_ context.Context, rack string) ([]crosscheck.Server, error) {
	if !n.store.IsLeader() {
		return nil, n.leaderError(store.ErrNotLeader)
	}
	site := n.store.State().Site()
	if site == nil {
		return nil, errNoInventory
	}
	now := n.cfg.Now()
	out := []crosscheck.Server{}
	found := rack == ""
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		if rack != "" && k.ID != rack {
			return true
		}
		found = true
		for i := range k.Servers {
			out = append(out, readServer(n.tel, k, &k.Servers[i], now))
		}
		return rack == ""
	})
	if !found {
		return nil, fmt.Errorf("rack %q: %w", rack, ErrUnknownRack)
	}
	return out, nil
}

// readServers reads every server with a BMC of site from the telemetry
// window at now, by ID: the cross-check's input.
func readServers(site *inventory.Site, t alerts.Telemetry, now time.Time) map[string]crosscheck.Server {
	out := map[string]crosscheck.Server{}
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for i := range k.Servers {
			if k.Servers[i].BMC != nil {
				out[k.Servers[i].ID] = readServer(t, k, &k.Servers[i], now)
			}
		}
		return true
	})
	return out
}

// readServer is what the telemetry says of server s of rack k at now.
// A server with no BMC, or whose BMC is stale, has every reading unknown.
func readServer(t alerts.Telemetry, k *inventory.Rack, s *inventory.Server, now time.Time) crosscheck.Server {
	out := crosscheck.Server{ID: s.ID, Rack: k.ID, DeclaredWatts: s.NameplateW, PSUs: make([]crosscheck.PSU, len(s.PSUFeeds))}
	for j, f := range s.PSUFeeds {
		out.PSUs[j] = crosscheck.PSU{Index: j + 1, Feed: f}
	}
	if s.BMC == nil {
		out.Reason = "no BMC in the inventory"
		return out
	}
	fr := t.Fresh(s.ID, now)
	out.Fresh, out.Reason = fr.Fresh, fr.Reason
	if !fr.Fresh {
		return out
	}
	read := func(m collectors.Metric, scope collectors.Scope, i int) *float64 {
		if v, ok := t.Latest(telemetry.Key{Device: s.ID, Metric: m, Scope: scope, Index: i}, now); ok {
			return &v.Value
		}
		return nil
	}
	flag := func(m collectors.Metric, i int) *bool {
		if v := read(m, collectors.ScopePSU, i); v != nil {
			b := *v != 0
			return &b
		}
		return nil
	}
	out.Watts = read(collectors.PowerWatts, collectors.ScopeDevice, 0)
	out.Resolution = read(collectors.PowerResolutionWatts, collectors.ScopeDevice, 0)
	for j := range out.PSUs {
		p := &out.PSUs[j]
		p.Watts = read(collectors.PowerWatts, collectors.ScopePSU, p.Index)
		p.Resolution = read(collectors.PowerResolutionWatts, collectors.ScopePSU, p.Index)
		p.Present, p.InputOK, p.Healthy = flag(collectors.PSUPresent, p.Index), flag(collectors.PSUInputOK, p.Index), flag(collectors.PSUHealthy, p.Index)
	}
	return out
}
