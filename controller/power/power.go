package power

import (
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/internal/inventory"
)

// WarnRatio is the share of its budget from which a rack is reported as warn.
const WarnRatio = 0.9

// Rack statuses.
const (
	StatusOK    = "ok"    // draw below WarnRatio of budget
	StatusWarn  = "warn"  // draw at or above WarnRatio of budget
	StatusOver  = "over"  // draw above budget
	StatusStale = "stale" // draw unknown: some PDU's telemetry is stale
)

// Telemetry is what accounting reads of the telemetry window.
type Telemetry interface {
	// Latest returns a series' newest sample if its device is fresh at now.
	Latest(k telemetry.Key, now time.Time) (telemetry.Sample, bool)
	// Fresh says whether a device's readings are usable at now, and why not.
	Fresh(device string, now time.Time) telemetry.Freshness
}

// Budgets gives a rack's current budget in watts (the inventory's, or an
// override applied later).
type Budgets interface {
	RackBudgetWatts(rack string) float64
}

// PDU is one PDU's part in its rack's draw.
type PDU struct {
	ID            string     `json:"id"`
	Feed          string     `json:"feed"`
	PowerWatts    *float64   `json:"power_watts"` // null when unknown
	CapacityWatts float64    `json:"capacity_watts"`
	Stale         bool       `json:"stale"`
	StaleReason   string     `json:"stale_reason,omitempty"`
	LastSeen      *time.Time `json:"last_seen,omitempty"`
}

// Rack is a rack's draw against its budget.
type Rack struct {
	ID            string   `json:"id"`
	Hall          string   `json:"hall"`
	Row           string   `json:"row"`
	BudgetWatts   float64  `json:"budget_watts"`
	DrawWatts     *float64 `json:"draw_watts"`     // null when unknown
	HeadroomWatts *float64 `json:"headroom_watts"` // null when unknown
	UsedRatio     *float64 `json:"used_ratio"`     // draw / budget; null when unknown
	Status        string   `json:"status"`
	// PlacedWatts and ReservedWatts are the declared power of the
	// placements and live reservations on the rack's servers (filled in by
	// the controller from its replicated state).
	PlacedWatts   float64 `json:"placed_watts"`
	ReservedWatts float64 `json:"reserved_watts"`
	PDUs          []PDU   `json:"pdus"`
}

// Rollup sums the racks of a row, a hall or the site. A hall's budget is its
// inventory budget_kw when set, else the sum of its racks'; the site's is
// the sum of its halls'.
type Rollup struct {
	ID          string  `json:"id"`
	Hall        string  `json:"hall,omitempty"` // for rows
	Racks       int     `json:"racks"`
	StaleRacks  int     `json:"stale_racks"`
	BudgetWatts float64 `json:"budget_watts"`
	// DrawWatts sums the racks whose draw is known; Complete says whether
	// that is all of them.
	DrawWatts     float64  `json:"draw_watts"`
	Complete      bool     `json:"complete"`
	HeadroomWatts *float64 `json:"headroom_watts"` // null unless Complete
	UsedRatio     *float64 `json:"used_ratio"`     // null unless Complete
}

// Report is the power accounting of a whole site at one time.
type Report struct {
	At    time.Time `json:"at"`
	Site  Rollup    `json:"site"`
	Halls []Rollup  `json:"halls"`
	Rows  []Rollup  `json:"rows"`
	Racks []Rack    `json:"racks"`
}

// Compute does the accounting of site at now.
func Compute(site *inventory.Site, b Budgets, t Telemetry, now time.Time) *Report {
	rep := &Report{At: now, Site: Rollup{ID: site.Name}, Halls: []Rollup{}, Rows: []Rollup{}, Racks: []Rack{}}
	for hi := range site.Halls {
		h := &site.Halls[hi]
		hr := Rollup{ID: h.ID}
		for ri := range h.Rows {
			r := &h.Rows[ri]
			rr := Rollup{ID: r.ID, Hall: h.ID}
			for ki := range r.Racks {
				k := rackDraw(h, r, &r.Racks[ki], b, t, now)
				rep.Racks = append(rep.Racks, k)
				rr.add(&k)
			}
			rep.Rows = append(rep.Rows, rr.close())
			hr.merge(&rr)
		}
		if h.BudgetKW > 0 {
			// The hall's own supply limit, which its racks' budgets may
			// oversubscribe: it bounds the hall's (and the site's) headroom.
			hr.BudgetWatts = h.BudgetKW * 1000
		}
		rep.Halls = append(rep.Halls, hr.close())
		rep.Site.merge(&hr)
	}
	rep.Site = rep.Site.close()
	return rep
}

func rackDraw(h *inventory.Hall, r *inventory.Row, k *inventory.Rack, b Budgets, t Telemetry, now time.Time) Rack {
	out := Rack{ID: k.ID, Hall: h.ID, Row: r.ID, BudgetWatts: b.RackBudgetWatts(k.ID), Status: StatusStale}
	var draw float64
	known := len(k.PDUs) > 0
	for i := range k.PDUs {
		p := pduDraw(&k.PDUs[i], t, now)
		if p.PowerWatts == nil {
			known = false
		} else {
			draw += *p.PowerWatts
		}
		out.PDUs = append(out.PDUs, p)
	}
	if !known {
		return out
	}
	head := out.BudgetWatts - draw
	out.DrawWatts, out.HeadroomWatts = &draw, &head
	if out.BudgetWatts > 0 {
		used := draw / out.BudgetWatts
		out.UsedRatio = &used
	}
	switch {
	case draw > out.BudgetWatts:
		out.Status = StatusOver
	case draw >= WarnRatio*out.BudgetWatts:
		out.Status = StatusWarn
	default:
		out.Status = StatusOK
	}
	return out
}

func pduDraw(p *inventory.PDU, t Telemetry, now time.Time) PDU {
	out := PDU{ID: p.ID, Feed: p.Feed, CapacityWatts: p.CapacityWatts()}
	f := t.Fresh(p.ID, now)
	if !f.LastOK.IsZero() {
		seen := f.LastOK
		out.LastSeen = &seen
	}
	s, ok := t.Latest(telemetry.Key{Device: p.ID, Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice}, now)
	switch {
	case !f.Fresh:
		out.Stale, out.StaleReason = true, f.Reason
	case !ok:
		out.Stale, out.StaleReason = true, "no-input-power-reading"
	default:
		v := s.Value
		out.PowerWatts = &v
	}
	return out
}

func (u *Rollup) add(k *Rack) {
	u.Racks++
	u.BudgetWatts += k.BudgetWatts
	if k.DrawWatts == nil {
		u.StaleRacks++
		return
	}
	u.DrawWatts += *k.DrawWatts
}

func (u *Rollup) merge(o *Rollup) {
	u.Racks += o.Racks
	u.StaleRacks += o.StaleRacks
	u.BudgetWatts += o.BudgetWatts
	u.DrawWatts += o.DrawWatts
}

// close fills in what follows from the sums.
func (u Rollup) close() Rollup {
	u.Complete = u.StaleRacks == 0
	if u.Complete {
		head := u.BudgetWatts - u.DrawWatts
		u.HeadroomWatts = &head
		if u.BudgetWatts > 0 {
			used := u.DrawWatts / u.BudgetWatts
			u.UsedRatio = &used
		}
	}
	return u
}

// Rack returns the rack with the given ID, if the report has it.
func (r *Report) Rack(id string) (*Rack, bool) {
	for i := range r.Racks {
		if r.Racks[i].ID == id {
			return &r.Racks[i], true
		}
	}
	return nil, false
}
