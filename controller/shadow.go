package controller

import (
	"errors"
	"time"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/state"
)

// shadow is the leader's working copy of the cluster: the committed state
// as of one epoch, with the live overlay, plus every placement decided here
// and not yet committed or refused. Deciding on it lets decisions go on
// while earlier ones commit, without two of them taking the same room. Room
// freed since it was built (removals, expiries) it still counts as used, for
// up to freedRefresh. It only serves the engine: the state machine checks
// every limit again on commit, so a shadow that is wrong can cost a retry,
// never an overbooking. Guarded by Node.placeMu.
type shadow struct {
	cluster  *placement.Cluster
	epoch    uint64
	released uint64    // the state's Released when built
	built    time.Time // when
	live     *live
	racks    map[string]int // rack ID → index in cluster.Racks
	inflight map[string]state.Place
}

// freedRefresh is how long a shadow may go on counting room that removals
// have freed since it was built: a copy of the cluster costs milliseconds,
// and removals come as often as placements, so the shadow is built anew at
// most this often for them (or at once when a request finds no room).
const freedRefresh = 250 * time.Millisecond

// currentShadow returns the shadow, built anew when the committed state
// changed other than by this leader's own placements and by freeing room,
// or the overlay did; or, when room was freed since it was built, once
// freedRefresh has passed or when fresh is set.
func (n *Node) currentShadow(fresh bool) (*shadow, error) {
	l, v := n.live.Load(), n.store.State()
	if sh := n.sh; sh != nil && sh.epoch == v.Epoch() && sh.live == l &&
		(sh.released == v.Released() || !fresh && n.cfg.Now().Sub(sh.built) < freedRefresh) {
		return sh, nil
	}
	v, c := n.store.Cluster()
	if c == nil {
		return nil, errNoInventory
	}
	overlay(c, l)
	sh := &shadow{cluster: c, epoch: v.Epoch(), released: v.Released(), built: n.cfg.Now(), live: l,
		racks: map[string]int{}, inflight: map[string]state.Place{}}
	for i := range c.Racks {
		sh.racks[c.Racks[i].ID] = i
	}
	if n.sh != nil {
		for id, cmd := range n.sh.inflight {
			sh.inflight[id] = cmd
			if _, done := v.Placement(id); !done {
				sh.count(cmd, 1)
			}
		}
	}
	n.sh = sh
	return sh, nil
}

// hold counts a decided placement as in flight.
func (sh *shadow) hold(cmd state.Place) {
	sh.inflight[cmd.ID] = cmd
	sh.count(cmd, 1)
}

// count adds (sign 1) or removes (-1) what cmd holds, as the state does: a
// reservation's watts as reserved power. Watts are rounded up as the state
// rounds them.
func (sh *shadow) count(cmd state.Place, sign float64) {
	as := state.RoundWatts(cmd.Assignments)
	if sign < 0 {
		sh.move(as, cmd.Reserve, -1)
		sh.cluster.Remove(as, cmd.Request)
		return
	}
	if err := sh.cluster.Apply(as, cmd.Request); err != nil {
		return // a server the shadow lacks: the state will refuse it
	}
	sh.move(as, cmd.Reserve, 1)
}

// move counts a placement's watts as the state will: a new placement's as
// pending (too recent for any peak), a reservation's as reserved.

func (sh *shadow) move(as []placement.Assignment, reserve bool, sign float64) {
	for _, a := range as {
		i, ok := sh.racks[a.Rack]
		if !ok {
			continue
		}
		r := &sh.cluster.Racks[i]
		if reserve {
			r.PlacedWatts -= sign * a.Watts
			r.ReservedWatts += sign * a.Watts
		} else {
			r.PendingWatts = max(0, r.PendingWatts+sign*a.Watts)
		}
	}
}

// settle forgets a placement that is no longer in flight: committed (err
// nil: the state holds it now), refused (taken out of the shadow), or of
// unknown outcome (the shadow is dropped, to be built anew from the state).
func (n *Node) settle(cmd state.Place, err error) {
	n.placeMu.Lock()
	defer n.placeMu.Unlock()
	sh := n.sh
	if sh == nil {
		return
	}
	if _, ok := sh.inflight[cmd.ID]; !ok {
		return
	}
	delete(sh.inflight, cmd.ID)
	switch {
	case err == nil:
	case refused(err):
		sh.count(cmd, -1)
	default:
		n.sh = nil
	}
}

// dropShadow forgets the shadow, as when leadership changes.
func (n *Node) dropShadow() {
	n.placeMu.Lock()
	n.sh = nil
	n.placeMu.Unlock()
}

// overlay adds to a cluster built from the committed state what only the
// leader knows: which racks are stale now, and any peak measured since the
// last one was committed that is higher than the committed one.
func overlay(c *placement.Cluster, l *live) {
	if l == nil {
		return
	}
	for i := range c.Racks {
		r := &c.Racks[i]
		r.Stale = l.stale[r.ID]
		if w, ok := l.peaks[r.ID]; ok && (!r.PeakKnown || w > r.PeakWatts) {
			r.PeakWatts, r.PeakKnown = w, true
		}
	}
}

// refused says whether the state machine applied cmd's entry and refused
// it: then it holds nothing of it, for sure.
func refused(err error) bool {
	for _, e := range []error{state.ErrOverbooked, state.ErrDuplicatePlacement, state.ErrInvalidPlacement, state.ErrMalformedCommand} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
