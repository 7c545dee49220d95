package controller

import (
	"math"
	"time"

	"github.com/dcplane/dcplane/controller/calibration"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/internal/inventory"
)

// foldDraws folds the input power each server's BMC measures at now into
// the leader's record of the servers' draws over the peak horizon, and
// returns the record: the overlay's, or, on a leader without one yet, a
// new one that starts from the draws committed within the horizon, so
// that a change of leader does not make the next commit forget what the
// last leader measured. A server without a BMC, whose BMC is stale or
// whose power is unknown, is not counted: the state keeps what was
// committed of it.
func (n *Node) foldDraws(v *state.View, now time.Time) *calibration.Record {
	var rec *calibration.Record
	if old := n.live.Load(); old != nil {
		rec = old.draws
	}
	if rec == nil {
		rec = n.committedDraws(v, now)
	}
	v.Site().Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for i := range k.Servers {
			if k.Servers[i].BMC == nil {
				continue
			}
			if w := readServer(n.tel, k, &k.Servers[i], now).Watts; w != nil {
				rec.Observe(k.Servers[i].ID, now, *w)
			}
		}
		return true
	})
	return rec
}

// committedDraws is a record over the peak horizon holding the draws v
// committed within it before now, each as of when it was committed.
func (n *Node) committedDraws(v *state.View, now time.Time) *calibration.Record {
	rec := calibration.NewRecord(n.peaks.Horizon())
	v.Site().Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for i := range k.Servers {
			p, _ := v.ServerPower(k.Servers[i].ID)
			if p.Measured.Known && now.Sub(p.MeasuredAt) < rec.Horizon() {
				rec.Observe(k.Servers[i].ID, p.MeasuredAt, p.Measured.MinWatts)
				rec.Observe(k.Servers[i].ID, p.MeasuredAt, p.Measured.MaxWatts)
			}
		}
		return true
	})
	return rec
}

// Draws move by a few watts all the time; committing each move would write
// every server's draw to the log every PeakCommitEvery (some 1 MB for
// 18,000 servers). A server's lowest or highest draw is committed again
// when it has moved from the committed one by drawStepWatts or
// drawStepShare of it, whichever is more: a model within that of the
// measurement changes no decision that matters.
const (
	drawStepWatts = 5
	drawStepShare = 0.01
)

// moved says whether a draw of w watts has moved far enough from the
// committed one to be committed.
func moved(committed, w float64) bool {
	return math.Abs(w-committed) >= max(drawStepWatts, drawStepShare*committed)
}

// changedDraws is the draw over the horizon before now of each server of
// the inventory whose draw has moved from the one committed (or that has
// none): what the next RecordRackPeaks carries. Servers that left the
// inventory are forgotten.
func (n *Node) changedDraws(now time.Time) map[string]state.ServerDraw {
	l, v := n.live.Load(), n.store.State()
	if l == nil || l.draws == nil {
		return nil
	}
	l.draws.Retain(func(id string) bool { _, ok := v.ServerPower(id); return ok })
	var out map[string]state.ServerDraw
	for id, o := range l.draws.Observed(now) {
		p, ok := v.ServerPower(id)
		if ok && p.Measured.Known && !moved(p.Measured.MinWatts, o.MinWatts) && !moved(p.Measured.MaxWatts, o.MaxWatts) {
			continue
		}
		if out == nil {
			out = map[string]state.ServerDraw{}
		}
		out[id] = state.ServerDraw{MinWatts: o.MinWatts, MaxWatts: o.MaxWatts}
	}
	return out
}

// ServerPower is placement's power model of a server of the inventory:
// declared, measured (as committed) and calibrated. It reads the
// replicated state, so any node answers alike.
func (n *Node) ServerPower(id string) (state.ServerPower, bool) {
	return n.store.State().ServerPower(id)
}
