package state

import (
	"github.com/dcplane/dcplane/controller/calibration"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/inventory"
)

// topology builds the placement engine's cluster of a site, with no usage
// yet, and the indexes of its racks and servers by ID. budget gives each
// rack's budget in watts (the inventory's or an override), drawn what the
// BMC of each server measured, with which its power model is calibrated.
func topology(site *inventory.Site, budget func(*inventory.Rack) float64, drawn func(server string) calibration.Observed) (c *placement.Cluster, racks, servers map[string]int) {
	c = &placement.Cluster{}
	racks, servers = map[string]int{}, map[string]int{}
	for hi := range site.Halls {
		h := &site.Halls[hi]
		hall := placement.Hall{ID: h.ID, BudgetWatts: h.BudgetKW * 1000}
		derived := h.BudgetKW == 0 // the sum of its racks' budgets
		for ri := range h.Rows {
			r := &h.Rows[ri]
			row := placement.Row{ID: r.ID, Hall: hi}
			for ui := range r.Cooling {
				row.CoolingWatts = append(row.CoolingWatts, r.Cooling[ui].CapacityWatts())
			}
			c.Rows = append(c.Rows, row)
			for ki := range r.Racks {
				k := &r.Racks[ki]
				racks[k.ID] = len(c.Racks)
				b := budget(k)
				if derived {
					hall.BudgetWatts += b
				}
				c.Racks = append(c.Racks, rackOf(k, len(c.Rows)-1, b))
				for si := range k.Servers {
					servers[k.Servers[si].ID] = len(c.Servers)
					c.Servers = append(c.Servers, serverOf(&k.Servers[si], len(c.Racks)-1, drawn(k.Servers[si].ID)))
				}
			}
		}
		c.Halls = append(c.Halls, hall)
	}
	return c, racks, servers
}

func rackOf(k *inventory.Rack, row int, budget float64) placement.Rack {
	r := placement.Rack{ID: k.ID, Row: row, BudgetWatts: budget, Feeds: k.Feeds, Labels: k.Labels}
	for _, p := range k.PDUs {
		r.PDUs = append(r.PDUs, placement.PDU{ID: p.ID, Feed: p.Feed, Phases: p.Phases, VoltageV: p.VoltageV, BreakerA: p.BreakerA})
	}
	return r
}

// serverOf is server s of rack as placement sees it, with its declared
// power model calibrated by what was measured of it (calibration.Calibrate):
// a replica that asks a utilisation is given its watts from that.
func serverOf(s *inventory.Server, rack int, measured calibration.Observed) placement.Server {
	m := calibration.Calibrate(calibration.Declared(s), measured)
	return placement.Server{ID: s.ID, Rack: rack, PSUFeeds: s.PSUFeeds,
		CPUMillicores: s.CPUMillicores, MemoryMiB: s.MemoryMiB, GPUs: s.GPUs,
		IdleWatts: m.IdleWatts, MaxWatts: m.MaxWatts}
}
