package state

import (
	"fmt"
	"maps"
	"time"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/inventory"
)

// View is the replicated state as of one applied log index. A View is never
// modified once published: Apply and Restore publish new ones. Its methods are
// safe for concurrent use, and what they return must not be modified.
type View struct {
	index   uint64
	site    *inventory.Site
	racks   map[string]*inventory.Rack // rack ID → rack of site; shared while site is
	budgets map[string]float64         // rack ID → override in watts; copied on write
	updated time.Time                  // At of the last accepted command, in UTC

	placements cowMap[*Placement]   // ID → placement or reservation
	keys       cowMap[keyRecord]    // idempotency key → what it made
	peaks      map[string]float64   // rack ID → committed recent peak, W; copied on write
	peakAt     map[string]time.Time // rack ID → when its peak was committed; copied on write
	peakSpan   time.Duration        // the horizon of the last peaks committed
	nodes      map[string]string    // node ID → API URL; copied on write
	reads      map[string]Codec     // node ID → codec it announced; copied on write
	alerts     alerts.State         // firing alerts, acks, silences; copied on write
	access     access               // API tokens and the audit trail; copied on write
	usage      usageTable           // by rack index; copied on write
	rackIdx    map[string]int       // rack ID → index in cluster.Racks; shared while site is
	serverIdx  map[string]int       // server ID → index in cluster.Servers; shared while site is
	// draws is each server's committed measured draw, by server ID; copied
	// on write.
	draws map[string]drawRecord
	// epoch counts the commands applied that changed the placement picture
	// other than by an accepted Place or by freeing room (see changeOf),
	// and restores: a leader's working copy of the cluster that Places alone
	// have changed since is still current. released counts those that only
	// freed room: a copy taken before them is still safe.
	epoch, released uint64

	// cluster is the placement engine's picture of the state: the site with
	// every placement, reservation and peak counted. It is NOT a part of the
	// immutable view: the Machine owns it and Apply changes it in place,
	// under the Machine's lock, after a command's checks have passed (or
	// replaces it, for a new site). Only Apply's code reads it; everyone
	// else asks Machine.Cluster for a copy. Nil before the first site.
	cluster *placement.Cluster
}

// rackUsage is the declared power placed and reserved on a rack.
type rackUsage struct{ placed, reserved float64 }

// Index is the Raft log index of the last entry applied, whether Apply
// accepted or rejected it; 0 before any.
func (v *View) Index() uint64 { return v.index }

// Site is the inventory, or nil before the first PutSite. It is shared by
// every reader: do not modify it.
func (v *View) Site() *inventory.Site { return v.site }

// Updated is the time carried by the last command that changed the state, or
// the zero time.
func (v *View) Updated() time.Time { return v.updated }

// RackBudgetWatts is the power budget of a rack in watts: its override if one
// was set, else the inventory's budget. It fails with ErrUnknownRack for a
// rack the inventory does not have.
func (v *View) RackBudgetWatts(rack string) (float64, error) {
	k, ok := v.racks[rack]
	if !ok {
		return 0, fmt.Errorf("budget of rack %q: %w", rack, ErrUnknownRack)
	}
	if w, ok := v.budgets[rack]; ok {
		return w, nil
	}
	return k.BudgetWatts(), nil
}

// BudgetOverrides returns a copy of the budget overrides, rack ID → watts.
func (v *View) BudgetOverrides() map[string]float64 {
	return maps.Clone(v.budgets)
}

// withSite returns a view of site, with its rack index, keeping the overrides
// and recorded peaks of the racks site still has and every placement. It
// fails with ErrInUse when site lacks a server that holds a placement.
func (v *View) withSite(site *inventory.Site) (*View, error) {
	n := &View{site: site, racks: map[string]*inventory.Rack{}, updated: v.updated,
		placements: v.placements, keys: v.keys, epoch: v.epoch, nodes: v.nodes, reads: v.reads, alerts: v.alerts, access: v.access}
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		n.racks[k.ID] = k
		return true
	})
	n.budgets = keepRacks(v.budgets, n.racks)
	n.peaks = keepRacks(v.peaks, n.racks)
	n.peakAt, n.peakSpan = keepRacks(v.peakAt, n.racks), v.peakSpan
	n.draws = keepServers(v.draws, site)
	if err := n.rebuildCluster(); err != nil {
		return nil, err
	}
	return n, nil
}

// keepRacks returns the entries of m whose rack is in racks, or nil.
func keepRacks[V any](m map[string]V, racks map[string]*inventory.Rack) map[string]V {
	var out map[string]V
	for id, w := range m {
		if _, ok := racks[id]; ok {
			if out == nil {
				out = map[string]V{}
			}
			out[id] = w
		}
	}
	return out
}

// rebuildCluster builds the engine's cluster from the site, the budgets,
// the peaks and the placements, which it adds in ID order so that every
// replica sums them alike.
func (n *View) rebuildCluster() error {
	n.cluster, n.rackIdx, n.serverIdx = topology(n.site, n.budgetOf, n.drawOf)
	if err := n.cluster.Index(); err != nil {
		return fmt.Errorf("index the cluster: %w", err)
	}
	for id, w := range n.peaks {
		r := &n.cluster.Racks[n.rackIdx[id]]
		r.PeakWatts, r.PeakKnown = w, true
	}
	var missing []string
	for _, p := range n.Placements() {
		for _, a := range p.Assignments {
			if _, ok := n.serverIdx[a.Server]; !ok {
				missing = append(missing, a.Server)
			}
		}
	}
	if len(missing) > 0 {
		return errInUse(missing)
	}
	for _, p := range n.Placements() {
		if err := n.hold(p); err != nil {
			return fmt.Errorf("placement %s: %w", p.ID, err)
		}
	}
	n.recountPending(nil)
	n.usage = newUsageTable(len(n.cluster.Racks)).with(func(put func(int, rackUsage)) {
		for i := range n.cluster.Racks {
			put(i, rackUsage{n.cluster.Racks[i].PlacedWatts, n.cluster.Racks[i].ReservedWatts})
		}
	})
	return nil
}

// budgetOf is the budget of a rack of the site in watts.
func (v *View) budgetOf(k *inventory.Rack) float64 {
	if w, ok := v.budgets[k.ID]; ok {
		return w
	}
	return k.BudgetWatts()
}
