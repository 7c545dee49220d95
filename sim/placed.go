package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// PlacedLoad is the power a placed workload replica adds to its rack: Watts
// at its daily peak, shaped by Profile, 24 hourly factors of that peak
// (nil, or any other length, is flat: 1 all day). The hour is the rack's
// clock's hour in UTC, the day LoadModel's curve runs on.
type PlacedLoad struct {
	Watts   float64
	Profile []float64
}

// placedDay is the hourly watts of a rack's placed loads.
type placedDay [24]float64

// dayOf sums loads hour by hour, each replica's watts never below zero.
func dayOf(loads []PlacedLoad) placedDay {
	var d placedDay
	for _, l := range loads {
		for h := range d {
			f := 1.0
			if len(l.Profile) == len(d) {
				f = l.Profile[h]
			}
			d[h] += max(0, l.Watts*f)
		}
	}
	return d
}

// at returns the placed watts at t.
func (d *placedDay) at(t time.Time) float64 { return d[t.UTC().Hour()] }

// SetPlaced replaces the workloads placed on the rack with loads: from now
// on the rack draws their watts, hour by hour, on top of its own load (its
// model's, or the level pinned by Set), split over its feeds and phases as
// its own load is. Nil takes them all away.
func (r *Rack) SetPlaced(loads []PlacedLoad) {
	d := dayOf(loads)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.placed = d
}

// PlacedLoad returns the watts the rack's placed workloads draw now.
func (r *Rack) PlacedLoad() float64 {
	r.mu.Lock()
	d := r.placed
	r.mu.Unlock()
	return d.at(r.now())
}

// SetPlaced tells the site where workloads are placed: each rack of byRack
// draws its loads on top of its own (see Rack.SetPlaced), and every other
// rack goes back to its own load alone. A rack the site lacks is skipped;
// the error, wrapping ErrUnknown, names them.
func (s *Site) SetPlaced(byRack map[string][]PlacedLoad) error {
	var unknown []string
	for id := range byRack {
		if _, ok := s.racks[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	for id, r := range s.racks {
		r.SetPlaced(byRack[id])
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("%w: placements on racks %s", ErrUnknown, strings.Join(unknown, ", "))
	}
	return nil
}
