package telemetry

import (
	"fmt"
	"math"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/internal/inventory"
)

// RatingMargin is how far past its rating a device's reading may go before
// it is refused as beyond-rating. A breaker trips well before twice its
// rating, a PDU cannot pass more than its breakers let through, and a
// cooling unit cannot remove twice its capacity: a reading past it is a
// fault or a forgery, never a load to account for.
const RatingMargin = 2

// Rating is the largest value each metric of one device can physically
// take; a metric it lacks is not bounded beyond MaxMagnitude.
type Rating map[collectors.Metric]float64

// check says why r is beyond the rating (ReasonBeyondRating and a detail
// naming the bound), or "" if it is not. A resolution of no more than 0
// is implausible, whatever the device: a reading counts in steps.
func (g Rating) check(r collectors.Reading) (Reason, string) {
	if r.Metric == collectors.PowerResolutionWatts && !(r.Value > 0) {
		return ReasonImplausible, fmt.Sprintf("%s %g is no step: a power reading's resolution is more than 0 W", r.Metric, r.Value)
	}
	max, ok := g[r.Metric]
	if !ok || r.Value <= max {
		return "", ""
	}
	return ReasonBeyondRating, fmt.Sprintf("%s %g is beyond what the device can carry (at most %g: its rating × %d)",
		r.Metric, r.Value, max, RatingMargin)
}

// Device is what the window knows of one device of the inventory.
type Device struct {
	Hall   string
	Rating Rating
}

// Catalog is the devices of one inventory: each one's hall, which says
// which agents may report it, and its Rating.
type Catalog struct {
	site    *inventory.Site
	devices map[string]Device
}

// NewCatalog returns the catalog of site's devices (empty for nil), with
// the servers that have a BMC (see serverRating): a PDU
// of P phases at V volts (line to neutral) behind a breaker of B amperes
// carries at most P×B amperes, P×V×B watts or volt-amperes, and √3×V
// volts; a cooling unit of C kW removes, and draws, at most C kW. Each
// bound is then multiplied by RatingMargin.
func NewCatalog(site *inventory.Site) *Catalog {
	c := &Catalog{site: site, devices: map[string]Device{}}
	if site == nil {
		return c
	}
	for _, h := range site.Halls {
		for _, r := range h.Rows {
			for _, k := range r.Racks {
				for _, p := range k.PDUs {
					c.devices[p.ID] = Device{Hall: h.ID, Rating: pduRating(p)}
				}
				for _, s := range k.Servers {
					if s.BMC != nil {
						c.devices[s.ID] = Device{Hall: h.ID, Rating: serverRating(s, k)}
					}
				}
			}
			for _, u := range r.Cooling {
				w := u.CapacityKW * 1000 * RatingMargin
				c.devices[u.ID] = Device{Hall: h.ID, Rating: Rating{collectors.CoolingOutputWatts: w, collectors.PowerWatts: w,
					collectors.ApparentPowerVA: w}}
			}
		}
	}
	return c
}

// serverRating bounds what a server's BMC reports: its power (and each
// PSU's) at most its nameplate, else its rack's budget (no server draws more
// than its rack may), times RatingMargin; so is the resolution of a power
// reading (a sensor whose step passed all the server can draw would
// measure nothing).
func serverRating(s inventory.Server, k inventory.Rack) Rating {
	w := max(s.NameplateW, s.MaxW)
	if w <= 0 {
		w = k.BudgetWatts()
	}
	if w <= 0 {
		w = inventory.DefaultRackBudgetKW * 1000
	}
	return Rating{collectors.PowerWatts: w * RatingMargin, collectors.PowerResolutionWatts: w * RatingMargin}
}

func pduRating(p inventory.PDU) Rating {
	phases, volts := float64(p.Phases), p.VoltageV
	if phases <= 0 {
		phases = inventory.DefaultPDUPhases
	}
	if volts <= 0 {
		volts = inventory.DefaultPDUVoltageV
	}
	amps := phases * p.BreakerA * RatingMargin
	ll := math.Sqrt(3) * volts * RatingMargin
	return Rating{
		collectors.CurrentAmperes:         amps,
		collectors.PowerWatts:             amps * volts,
		collectors.PowerResolutionWatts:   amps * volts,
		collectors.ApparentPowerVA:        amps * volts,
		collectors.VoltageVolts:           ll,
		collectors.VoltageLineToLineVolts: ll,
	}
}

// Of says whether the catalog describes site: the same inventory.
func (c *Catalog) Of(site *inventory.Site) bool { return c != nil && c.site == site }

// Device returns what the catalog knows of a device, if it has it.
func (c *Catalog) Device(id string) (Device, bool) {
	if c == nil {
		return Device{}, false
	}
	d, ok := c.devices[id]
	return d, ok
}

// rating is the Rating of a device; nil (nothing bounded) if the catalog,
// or the device, is unknown.
func (c *Catalog) rating(id string) Rating {
	d, _ := c.Device(id)
	return d.Rating
}

// SetCatalog makes the window check readings against c's ratings from now
// on (nil: against none).
func (w *Window) SetCatalog(c *Catalog) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.catalog = c
}

// Catalog returns the catalog SetCatalog set last, or nil.
func (w *Window) Catalog() *Catalog {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.catalog
}
