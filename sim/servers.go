package sim

import (
	"fmt"
	"math"
	"sync"

	"github.com/dcplane/dcplane/internal/inventory"
)

// rackServers splits a rack's draw over its servers and their power
// supplies, so that what the servers' BMCs report follows the same power
// model (Rack.Load, Rack.Share) as what the rack's PDUs measure.
//
// A server's share of the rack's load follows its own power model: at
// utilisation u it draws idle + u·(max − idle), u being the one level at
// which the rack's servers together draw the rack's load (clamped to
// [0, 1], then scaled so that the shares sum to the load exactly). A server
// on both feeds draws on each the rack's share of that feed; a server on
// one feed draws all of its power there. So when every server is on both
// feeds, as in the reference site, a feed's PSUs sum to exactly what that
// feed's PDU measures: the PSU sensors read input power, the side the PDU
// measures, and the PSUs' losses are inside both figures.
type rackServers struct {
	rack    *Rack
	idle    []float64
	maxW    []float64
	psuFeed [][]Feed // of each server's PSUs, in PSU order, as inventoried

	mu       sync.Mutex
	miswired map[int]bool  // servers whose PSUs all draw from feed A
	failed   map[int]int   // server → its PSU that draws nothing
	away     map[int]*Rack // servers whose PSUs draw from another rack's PDUs
}

// newRackServers models the servers of k, drawing rack's load.
func newRackServers(rack *Rack, k *inventory.Rack) *rackServers {
	rs := &rackServers{rack: rack, miswired: map[int]bool{}, failed: map[int]int{}, away: map[int]*Rack{}}
	for _, s := range k.Servers {
		rs.idle = append(rs.idle, s.IdleW)
		rs.maxW = append(rs.maxW, s.MaxW)
		var feeds []Feed
		for _, f := range s.PSUFeeds {
			feeds = append(feeds, feedOf(k, f))
		}
		rs.psuFeed = append(rs.psuFeed, feeds)
	}
	return rs
}

// feedOf maps a feed's name to FeedA (the rack's first) or FeedB, as the
// PDUs are mapped.
func feedOf(k *inventory.Rack, name string) Feed {
	if len(k.Feeds) > 0 && name != k.Feeds[0] {
		return FeedB
	}
	return FeedA
}

// shares returns each server's part of load, summing to load.
func (rs *rackServers) shares(load float64) []float64 {
	var idle, span float64
	for i := range rs.idle {
		idle += rs.idle[i]
		span += rs.maxW[i] - rs.idle[i]
	}
	u := 0.0
	if span > 0 {
		u = min(1, max(0, (load-idle)/span))
	}
	w := make([]float64, len(rs.idle))
	sum := 0.0
	for i := range w {
		w[i] = rs.idle[i] + u*(rs.maxW[i]-rs.idle[i])
		sum += w[i]
	}
	for i := range w {
		if sum > 0 {
			w[i] = load * w[i] / sum
		} else {
			w[i] = load / float64(len(w))
		}
	}
	return w
}

// psuWatts returns the input power of each of server i's PSUs now. A
// failed PSU draws nothing, and the server's other PSUs draw its share.
func (rs *rackServers) psuWatts(i int) []float64 {
	rs.mu.Lock()
	dead, failed := rs.failed[i]
	rs.mu.Unlock()
	if !failed {
		dead = -1
	}
	return rs.split(i, rs.shares(rs.rack.Load())[i], dead)
}

// split shares p watts over server i's PSUs but dead (-1: none), each in
// proportion to its feed's share of the rack.
func (rs *rackServers) split(i int, p float64, dead int) []float64 {
	feeds := rs.psuFeed[i]
	out := make([]float64, len(feeds))
	total := 0.0
	for j, f := range feeds {
		if j != dead {
			total += rs.rack.Share(f)
		}
	}
	for j, f := range feeds {
		if total > 0 && j != dead {
			out[j] = p * rs.rack.Share(f) / total
		}
	}
	return out
}

// feedDelta is the watts the faults of the rack's servers move onto feed
// f (negative: off it), beside its share of the rack's load: what a
// server's PSUs draw from where they are plugged, less what they would
// draw, healthy, from the feeds the inventory says. With no fault it is
// 0, and the PDUs measure the rack's shares.
func (rs *rackServers) feedDelta(f Feed) float64 {
	rs.mu.Lock()
	faulty := map[int]bool{}
	for i := range rs.miswired {
		faulty[i] = true
	}
	for i := range rs.failed {
		faulty[i] = true
	}
	for i := range rs.away {
		faulty[i] = true
	}
	rs.mu.Unlock()
	if len(faulty) == 0 {
		return 0
	}
	shares := rs.shares(rs.rack.Load())
	delta := 0.0
	for i := range faulty {
		actual, healthy := rs.psuWatts(i), rs.split(i, shares[i], -1)
		here := rs.awayAt(i) == nil
		for j, inv := range rs.psuFeed[i] {
			if here && rs.plugged(i, inv) == f {
				delta += actual[j]
			}
			if inv == f {
				delta -= healthy[j]
			}
		}
	}
	return delta
}

// awayAt is the rack whose PDUs server i draws from instead of its own,
// nil when it draws from its own.
func (rs *rackServers) awayAt(i int) *Rack {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.away[i]
}

// moveTo plugs every PSU of server i into rack x's PDUs, each on the feed
// of x that matches its own (the first feed to x's first, the other to
// its other; all to x's first if the server is miswired too): i's rack's
// PDUs no longer measure what it draws, and x's measure it beside x's own
// load, though the inventory still puts i in its rack and its BMC reports
// the same. It is what a cord run to the next rack, or a server that
// stands in x while the inventory says otherwise, looks like from the
// PDUs and the BMCs.
//
// x's adjust is wrapped, so that x's own servers' faults still count: a
// later setAdjust of x would undo it (StartBMCs sets every rack's first).
func (rs *rackServers) moveTo(i int, x *Rack) {
	rs.mu.Lock()
	rs.away[i] = x
	rs.mu.Unlock()
	x.mu.Lock()
	own := x.adjust
	x.mu.Unlock()
	x.setAdjust(func(f Feed) float64 {
		w := 0.0
		if own != nil {
			w = own(f)
		}
		if rs.awayAt(i) != x {
			return w
		}
		for j, inv := range rs.psuFeed[i] {
			if rs.plugged(i, inv) == f {
				w += rs.psuWatts(i)[j]
			}
		}
		return w
	})
}

// DrawFrom plugs every PSU of server into the PDUs of rack, while the
// inventory still puts it in its own rack (see rackServers.moveTo): the
// cross-check of both racks' PDUs against their servers' BMCs shows it,
// when both racks' servers have BMCs (or rack has no servers). Call it
// after StartBMCs. ErrUnknown for a rack the site does not have, ErrNoBMC
// for a server without a simulated BMC, ErrBadConfig for the server's own
// rack.
func (s *Site) DrawFrom(server, rack string) error {
	ref, err := s.bmcServer(server)
	if err != nil {
		return err
	}
	x, ok := s.racks[rack]
	if !ok {
		return fmt.Errorf("server %s: rack %q: %w", server, rack, ErrUnknown)
	}
	if x == ref.rs.rack {
		return fmt.Errorf("server %s: rack %s is its own: %w", server, rack, ErrBadConfig)
	}
	ref.rs.moveTo(ref.i, x)
	return nil
}

// plugged is the feed a PSU of server i inventoried on inv draws from.
func (rs *rackServers) plugged(i int, inv Feed) Feed {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.miswired[i] {
		return FeedA
	}
	return inv
}

// psuResolution is the watts per count of a PSU input sensor of a server
// that draws up to maxW: 8-bit raw readings that reach maxW.
func psuResolution(maxW float64) int {
	return max(1, int(math.Ceil(maxW/255)))
}
