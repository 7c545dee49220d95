package whatif

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dcplane/dcplane/internal/inventory"
)

// CoolingOff says what would happen if cooling unit unit failed now: its
// row's IT load against the cooling its other units still provide, and
// whether that is still N+1 (the load fits without the largest of them).
// An ID the inventory does not have is a *NotFoundError with the nearest
// IDs.
func (in Input) CoolingOff(unit string) (*Report, error) {
	h, r, u := findUnit(in.Site, unit)
	if u == nil {
		var ids []string
		for _, h := range in.Site.Halls {
			for _, r := range h.Rows {
				for _, c := range r.Cooling {
					ids = append(ids, c.ID)
				}
			}
		}
		return nil, &NotFoundError{What: "cooling unit", ID: unit, Suggestions: nearest(unit, ids)}
	}
	rep := &Report{Scenario: Scenario{
		Kind: ScenarioCoolingOff, Unit: u.ID, Hall: h.ID, Row: r.ID, Bases: in.bases(),
		Summary: fmt.Sprintf("cooling unit %s (%s) of row %s fails", u.ID, kW(u.CapacityWatts()), r.ID),
	}, Findings: []Finding{}}
	c := remaining(r, u, nil)
	var stale []string
	if in.Readings != nil {
		for i := range r.Cooling {
			if v := &r.Cooling[i]; v != u && !in.Readings.Fresh(v.ID) {
				stale = append(stale, v.ID)
			}
		}
		w, why, notes := rowDraw(in.Readings, r)
		rep.Findings = append(rep.Findings, c.measured(h, r, u, stale, w, why, notes))
	}
	if in.Declared != nil {
		w, why := rowDeclared(in.Declared, r)
		var notes []string
		if len(stale) > 0 {
			notes = []string{fmt.Sprintf("the rated capacity of %s counted, though its telemetry is stale", strings.Join(stale, ", "))}
		}
		rep.Findings = append(rep.Findings, c.finding(h, r, u, BasisDeclared, w, why, notes))
	}
	return rep.finish(), nil
}

// rowDraw is a row's measured IT load, the sum of its racks' draw, and
// the estimates it rests on: nil, with why, when any rack's is unknown.
func rowDraw(rd Readings, r *inventory.Row) (w *float64, why, notes []string) {
	var sum float64
	for ki := range r.Racks {
		d, dwhy, dnotes := rackDraw(rd, &r.Racks[ki])
		why, notes = append(why, dwhy...), append(notes, dnotes...)
		if d != nil {
			sum += *d
		}
	}
	if len(why) > 0 {
		return nil, why, notes
	}
	return &sum, nil, notes
}

// rowDeclared is a row's declared IT load, the sum of its racks' (0 for a
// rack not declared): nil, with why, when one is not a load.
func rowDeclared(declared map[string]float64, r *inventory.Row) (*float64, []string) {
	var sum float64
	var why []string
	for ki := range r.Racks {
		k := &r.Racks[ki]
		if d := declared[k.ID]; finite(d) {
			sum += d
		} else {
			why = append(why, fmt.Sprintf("%s's declared power is not a load (%v)", k.ID, d))
		}
	}
	if len(why) > 0 {
		return nil, why
	}
	return &sum, nil
}

// findUnit returns the cooling unit with ID id, and its hall and row.
func findUnit(site *inventory.Site, id string) (*inventory.Hall, *inventory.Row, *inventory.CoolingUnit) {
	for hi := range site.Halls {
		h := &site.Halls[hi]
		for ri := range h.Rows {
			r := &h.Rows[ri]
			for ui := range r.Cooling {
				if r.Cooling[ui].ID == id {
					return h, r, &r.Cooling[ui]
				}
			}
		}
	}
	return nil, nil, nil
}

// cooling is what a row's other units still provide.
type cooling struct {
	watts   float64 // their capacities, summed
	largest float64 // the largest of them
	unit    string  // its ID
	units   []string
}

// measured judges the row's measured IT load against the remaining
// cooling. A unit whose telemetry is stale (one of stale) may be dead: its
// capacity is unknown. The row is judged with and without it; when the
// two verdicts differ the row relies on it, and its status is unknown.
func (c cooling) measured(h *inventory.Hall, r *inventory.Row, u *inventory.CoolingUnit, stale []string, w *float64, why, notes []string) Finding {
	if len(stale) == 0 {
		return c.finding(h, r, u, BasisMeasured, w, why, notes)
	}
	list := strings.Join(stale, ", ")
	notes = append(slices.Clone(notes), fmt.Sprintf("the telemetry of %s is stale: its capacity not counted", list))
	all := c.finding(h, r, u, BasisMeasured, w, why, notes)
	if w == nil {
		return all
	}
	known := remaining(r, u, stale).finding(h, r, u, BasisMeasured, w, why, notes)
	if known.Status == all.Status {
		return known
	}
	f := Finding{Kind: KindRow, Basis: BasisMeasured, Status: StatusUnknown, Hall: h.ID, Row: r.ID, LoadWatts: w, Assumptions: notes}
	f.Detail = fmt.Sprintf("row %s without %s: IT load %s relies on %s, whose telemetry is stale (it may have failed): %s if it works, %s if not",
		r.ID, u.ID, kW(*w), list, all.Status, known.Status)
	return f
}

// remaining is the cooling of row r without unit failed and the units
// skip lists.
func remaining(r *inventory.Row, failed *inventory.CoolingUnit, skip []string) cooling {
	var c cooling
	for i := range r.Cooling {
		u := &r.Cooling[i]
		if u == failed || slices.Contains(skip, u.ID) {
			continue
		}
		c.watts += u.CapacityWatts()
		c.units = append(c.units, fmt.Sprintf("%s %s", u.ID, kW(u.CapacityWatts())))
		if u.CapacityWatts() > c.largest {
			c.largest, c.unit = u.CapacityWatts(), u.ID
		}
	}
	return c
}

// nPlus1 is the load the row may carry and stay N+1: its remaining cooling
// without the largest remaining unit.
func (c cooling) nPlus1() float64 { return c.watts - c.largest }

// finding judges the row's IT load (nil when unknown, why says why) against
// the remaining cooling.
func (c cooling) finding(h *inventory.Hall, r *inventory.Row, u *inventory.CoolingUnit, basis string, w *float64, why, notes []string) Finding {
	f := Finding{Kind: KindRow, Basis: basis, Hall: h.ID, Row: r.ID, Assumptions: notes}
	f.judge(w, c.watts)
	n1 := c.nPlus1()
	f.NPlus1LimitWatts = &n1
	if f.Status == StatusOK && *w > n1 {
		f.Status = StatusNoRedundancy
	}
	at, load := fmt.Sprintf("row %s without %s", r.ID, u.ID), "IT load"
	if basis == BasisDeclared {
		load = "declared IT load"
	}
	leftAs := func(total string) string {
		if len(c.units) == 0 {
			return "no cooling left"
		}
		return "remaining cooling " + total + " (" + strings.Join(c.units, ", ") + ")"
	}
	left := leftAs(kW(c.watts))
	without := func(lim string) string {
		if c.unit == "" {
			return lim + " with no unit left"
		}
		return lim + " without " + c.unit
	}
	switch f.Status {
	case StatusUnknown:
		f.Detail = fmt.Sprintf("%s: %s unknown: %s (not counted as 0); %s, N+1 up to %s", at, load, strings.Join(why, "; "), left, without(kW(n1)))
	case StatusExceeded:
		l, lim := kWPair(*w, c.watts)
		f.Detail = fmt.Sprintf("%s: %s %s > %s", at, load, l, leftAs(lim))
	case StatusNoRedundancy:
		l, lim := kWPair(*w, n1)
		f.Detail = fmt.Sprintf("%s: %s %s fits the %s but not N+1: %s > %s", at, load, kW(*w), left, l, without(lim))
	default:
		f.Detail = fmt.Sprintf("%s: %s %s fits N+1 (%s; %s), %s to spare", at, load, kW(*w), without(kW(n1)), left, kW(n1-*w))
	}
	return f
}
