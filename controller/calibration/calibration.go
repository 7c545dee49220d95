package calibration

import (
	"math"

	"github.com/dcplane/dcplane/internal/inventory"
)

// Observed is what a server's BMC measured over a span while the server
// was on: its lowest and highest input power. The zero value knows
// nothing (Known false).
type Observed struct {
	MinWatts, MaxWatts float64
	Known              bool // at least one reading counted
}

// Add folds a reading of w watts into o. A reading that is not a draw of
// a server that is on (0 or less, NaN, infinite) is not counted: unknown
// is not 0.
func (o Observed) Add(w float64) Observed {
	if !(w > 0) || math.IsInf(w, 0) {
		return o
	}
	if !o.Known {
		return Observed{MinWatts: w, MaxWatts: w, Known: true}
	}
	o.MinWatts, o.MaxWatts = min(o.MinWatts, w), max(o.MaxWatts, w)
	return o
}

// Model is a server's power model as placement uses it.
type Model struct {
	IdleWatts, MaxWatts float64
	// IdleMeasured and MaxMeasured say that the figure is a measurement
	// (a declared figure it proved wrong), not the declared one.
	IdleMeasured, MaxMeasured bool
}

// Declared is s's power model as the inventory declares it and placement
// takes it today: its idle and maximum draw (from its model in the
// catalogue, or its own fields). A maximum of 0 is unknown; its nameplate
// (its PSUs' rating, far above what it draws) does not stand for it.
func Declared(s *inventory.Server) Model {
	return Model{IdleWatts: s.IdleW, MaxWatts: s.MaxW}
}

// Calibrate returns d with what o proves of it: a maximum below the
// highest draw measured raised to it, an idle above the lowest draw
// measured lowered to it (see the package comment). An unknown maximum
// stays unknown: a measured draw is a floor of the maximum, not the
// maximum, and placement must not take it for one. A lowest draw of 0 or
// less (an Observed not built by Add) says nothing.
func Calibrate(d Model, o Observed) Model {
	if !o.Known {
		return d
	}
	if d.MaxWatts > 0 && o.MaxWatts > d.MaxWatts {
		d.MaxWatts, d.MaxMeasured = o.MaxWatts, true
	}
	if o.MinWatts > 0 && o.MinWatts < d.IdleWatts {
		d.IdleWatts, d.IdleMeasured = o.MinWatts, true
	}
	return d
}
