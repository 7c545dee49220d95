package state

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/dcplane/dcplane/controller/calibration"
	"github.com/dcplane/dcplane/internal/inventory"
)

// drawRecord is a server's measured draw as the state holds it: what the
// last RecordRackPeaks that named the server said, and when.
type drawRecord struct {
	ServerDraw
	At time.Time `json:"at"`
}

// observed is d as calibration takes it.
func (d drawRecord) observed() calibration.Observed {
	return calibration.Observed{MinWatts: d.MinWatts, MaxWatts: d.MaxWatts, Known: true}
}

// ServerPower is placement's power model of one server and where it comes
// from: the inventory's figures, the draw its BMC measured (as the leader
// last committed it), and the model Calibrate makes of the two, which
// placement derives a replica's watts from.
type ServerPower struct {
	Declared   calibration.Model
	Calibrated calibration.Model
	// Measured is the committed draw; Known false when none was.
	Measured calibration.Observed
	// MeasuredAt is when it was committed; zero when none was.
	MeasuredAt time.Time
}

// ServerPower returns the power model of a server of the inventory, false
// for a server it does not have.
func (v *View) ServerPower(id string) (ServerPower, bool) {
	s := v.inventoryServer(id)
	if s == nil {
		return ServerPower{}, false
	}
	out := ServerPower{Declared: calibration.Declared(s)}
	if d, ok := v.draws[id]; ok {
		out.Measured, out.MeasuredAt = d.observed(), d.At
	}
	out.Calibrated = calibration.Calibrate(out.Declared, out.Measured)
	return out, true
}

// inventoryServer is the inventory's server id, or nil.
func (v *View) inventoryServer(id string) *inventory.Server {
	i, ok := v.serverIdx[id]
	if !ok || v.cluster == nil {
		return nil
	}
	k := v.racks[v.cluster.Racks[v.cluster.Servers[i].Rack].ID]
	for j := range k.Servers {
		if k.Servers[j].ID == id {
			return &k.Servers[j]
		}
	}
	return nil
}

// checkDraws checks that every draw is one a server that is on can have
// had: a finite number of watts above 0, the lowest not above the highest.
// A draw of 0 is a server that is off, which the leader leaves out: one in
// a command is a fault of the leader, not a measurement.
func checkDraws(ds map[string]ServerDraw) error {
	for _, id := range slices.Sorted(maps.Keys(ds)) { // the same error on every replica
		d := ds[id]
		if !(d.MinWatts > 0) || !(d.MaxWatts >= d.MinWatts) || math.IsInf(d.MaxWatts, 0) {
			return fmt.Errorf("server %q: lowest %v W, highest %v W is not a draw: %w", id, d.MinWatts, d.MaxWatts, ErrMalformedCommand)
		}
	}
	return nil
}

// recordDraws records the draws of the inventory's servers at at and
// calibrates their power models in the cluster; draws of other servers
// are ignored.
func (n *View) recordDraws(ds map[string]ServerDraw, at time.Time) {
	if len(ds) == 0 {
		return
	}
	n.draws = maps.Clone(n.draws)
	if n.draws == nil {
		n.draws = map[string]drawRecord{}
	}
	for id, d := range ds {
		i, ok := n.serverIdx[id]
		if !ok {
			continue
		}
		r := drawRecord{ServerDraw: d, At: at}
		n.draws[id] = r
		m := calibration.Calibrate(calibration.Declared(n.inventoryServer(id)), r.observed())
		n.cluster.Servers[i].IdleWatts, n.cluster.Servers[i].MaxWatts = m.IdleWatts, m.MaxWatts
	}
}

// drawOf is what calibration knows of server id: its committed draw.
func (v *View) drawOf(id string) calibration.Observed {
	if d, ok := v.draws[id]; ok {
		return d.observed()
	}
	return calibration.Observed{}
}

// keepServers returns the draws of the servers site still has, or nil.
func keepServers(m map[string]drawRecord, site *inventory.Site) map[string]drawRecord {
	if len(m) == 0 {
		return nil
	}
	var out map[string]drawRecord
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for i := range k.Servers {
			if d, ok := m[k.Servers[i].ID]; ok {
				if out == nil {
					out = map[string]drawRecord{}
				}
				out[k.Servers[i].ID] = d
			}
		}
		return true
	})
	return out
}
