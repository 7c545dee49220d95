package controller

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/forecast"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
)

// forecastEvery is how often the leader forecasts days-to-full: one bucket
// of the history, the finest change a forecast can see. (The forecasts
// themselves move with whole days; today's peak reaching a budget is the
// power rules' business, at once.)
const forecastEvery = forecast.DefaultBucket

// forecastSet is the forecasts made at one time, by key.
type forecastSet struct {
	at      time.Time
	since   time.Time // when the history began: the leadership's start
	results map[forecast.Key]forecast.Result
	days    map[forecast.Key]int // days with a peak in the history
	where   map[forecast.Key][2]string
}

// refreshForecasts forecasts every rack, row and hall of rep once
// forecastEvery has passed since the last time, and drops the history of
// what left the inventory. Called with alerting.mu held.
func (n *Node) refreshForecasts(rep *power.Report, now time.Time) {
	a := n.alerting
	if a.forecast != nil && now.Sub(a.lastFc) < forecastEvery {
		return
	}
	budgets := forecast.Budgets(rep)
	a.hist.Retain(func(k forecast.Key) bool { _, ok := budgets[k]; return ok })
	fs := &forecastSet{at: now, since: a.since, results: map[forecast.Key]forecast.Result{},
		days: map[forecast.Key]int{}, where: where(rep)}
	for k, b := range budgets {
		s := a.hist.Series(k, now)
		r := a.fc.DaysToFull(s, b, now)
		fs.results[k], fs.days[k] = r, peakDays(s)
	}
	a.forecast, a.lastFc = fs, now
}

// peakDays counts the days of s with a daily peak.
func peakDays(s forecast.Series) int {
	d := forecast.DailyPeaks(s, time.UTC, forecast.DefaultMinCoverage)
	n := 0
	for _, p := range d.Peaks {
		if !math.IsNaN(p) {
			n++
		}
	}
	return n
}

// where is the hall and row of each rack and row of rep.
func where(rep *power.Report) map[forecast.Key][2]string {
	out := map[forecast.Key][2]string{}
	for _, k := range rep.Racks {
		out[forecast.Key{Kind: forecast.KindRack, ID: k.ID}] = [2]string{k.Hall, k.Row}
	}
	for _, r := range rep.Rows {
		out[forecast.Key{Kind: forecast.KindRow, ID: r.ID}] = [2]string{r.Hall, ""}
	}
	return out
}

// alertInput is the forecasts as the alert rules take them; nil before
// any.
func (fs *forecastSet) alertInput() []alerts.Forecast {
	if fs == nil {
		return nil
	}
	out := make([]alerts.Forecast, 0, len(fs.results))
	for k, r := range fs.results {
		out = append(out, alerts.Forecast{Kind: alerts.Kind(k.Kind), ID: k.ID, Known: r.Known, Days: r.DaysOrInf()})
	}
	return out
}

// Forecast returns the days-to-full of every rack, row and hall, as the
// leader last forecast them. Only the leader keeps the history.
func (n *Node) Forecast(context.Context) (*wire.ForecastReport, error) {
	if !n.store.IsLeader() {
		return nil, n.leaderError(store.ErrNotLeader)
	}
	if n.store.State().Site() == nil {
		return nil, errNoInventory
	}
	a := n.alerting
	a.mu.Lock()
	fs := a.forecast
	a.mu.Unlock()
	if fs == nil {
		return nil, fmt.Errorf("%w: this controller has just become leader and has not forecast yet: retry in a few seconds", wire.ErrNotLeader)
	}
	out := &wire.ForecastReport{At: fs.at, HistorySince: fs.since, HorizonDays: forecast.DefaultHorizonDays, Objects: []wire.ForecastObject{}}
	for k, r := range fs.results {
		out.Objects = append(out.Objects, forecastObject(k, r, fs))
	}
	rank := map[string]int{forecast.KindHall: 0, forecast.KindRow: 1, forecast.KindRack: 2}
	slices.SortFunc(out.Objects, func(x, y wire.ForecastObject) int {
		return cmp.Or(cmp.Compare(rank[x.Kind], rank[y.Kind]), cmp.Compare(x.ID, y.ID))
	})
	return out, nil
}

// forecastObject is one forecast as the API answers it.
func forecastObject(k forecast.Key, r forecast.Result, fs *forecastSet) wire.ForecastObject {
	w := fs.where[k]
	o := wire.ForecastObject{Kind: k.Kind, ID: k.ID, Hall: w[0], Row: w[1], BudgetWatts: r.Budget, HistoryDays: fs.days[k]}
	switch {
	case !r.Known:
		o.Status = wire.ForecastUnknown
		o.Why = fmt.Sprintf("%d day(s) of history with a peak, %d needed: the leader keeps it since %s",
			o.HistoryDays, forecast.MinFitDays, fs.since.UTC().Format(time.RFC3339))
		if o.HistoryDays == 0 {
			o.Why = "no history: its draw has not been known for a whole day since this controller became leader at " +
				fs.since.UTC().Format(time.RFC3339)
		}
	case r.Within:
		days, peak := r.Days, r.Peak
		o.Status, o.DaysToFull, o.PeakWatts = wire.ForecastWithin, &days, &peak
	default:
		peak := r.Peak
		o.Status, o.PeakWatts = wire.ForecastBeyond, &peak
	}
	return o
}

// declared is each rack's declared power as the DeclaredPowerExceeded rule
// takes it, for the racks that hold placements or reservations: their
// declared watts, plus every server of the rack that holds none at its
// maximum draw. A rack's servers without placements run what dcplane does
// not know of (in the demo, every rack's own load), and only an upper
// bound of it is known; so the rule fires when a rack draws well above
// what its placements declare and everything else in it could draw, and
// never on a rack merely because some of its load is not placed through
// dcplane. A rack with a server whose maximum draw is unknown, or no
// placement, is not judged.
func declared(v *state.View) map[string]alerts.Declared {
	held := map[string][]string{} // server ID → placements
	for _, p := range v.Placements() {
		for _, as := range p.Assignments {
			if !slices.Contains(held[as.Server], p.ID) {
				held[as.Server] = append(held[as.Server], p.ID)
			}
		}
	}
	out := map[string]alerts.Declared{}
	v.Site().Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		placed, reserved := v.RackUsage(k.ID)
		if d, ok := rackDeclared(k, held, placed+reserved); ok {
			out[k.ID] = d
		}
		return true
	})
	return out
}

// rackDeclared is one rack's declared power (see declared).
func rackDeclared(k *inventory.Rack, held map[string][]string, watts float64) (alerts.Declared, bool) {
	d := alerts.Declared{Watts: watts}
	for i := range k.Servers {
		s := &k.Servers[i]
		if ids, ok := held[s.ID]; ok {
			for _, id := range ids {
				if !slices.Contains(d.Placements, id) {
					d.Placements = append(d.Placements, id)
				}
			}
			continue
		}
		if !(s.MaxW > 0) {
			return alerts.Declared{}, false
		}
		d.Watts += s.MaxW
	}
	slices.Sort(d.Placements)
	return d, len(d.Placements) > 0
}
