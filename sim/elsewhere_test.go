package sim

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestServerDrawsFromOtherRack checks the fault of a server plugged into
// another rack's PDUs: its own rack's feeds carry its PSUs' draw no more,
// the other rack's carry it beside their own, its BMC reports the same;
// and the cross-check finds it from those readings alone, naming the
// server (or listing it among those that draw alike: the reference rack's
// servers of one model draw the same), its rack and the other.
func TestServerDrawsFromOtherRack(t *testing.T) {
	at := time.Date(2025, 3, 4, 14, 0, 0, 0, time.UTC)
	var two []inventory.Rack // the reference's first two racks, in one row
	inventory.Reference(2).Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		two = append(two, *k)
		return true
	})
	site := &inventory.Site{Name: "dc", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{{ID: "R1", Racks: two}}}}}
	ky, kx := &two[0], &two[1]
	clock := func() time.Time { return at }
	y := NewRack(NewLoadModel(0.6*ky.BudgetWatts(), 1), clock)
	x := NewRack(NewLoadModel(0.5*kx.BudgetWatts(), 2), clock)
	ys, xs := newRackServers(y, ky), newRackServers(x, kx)
	y.setAdjust(ys.feedDelta)
	x.setAdjust(xs.feedDelta)
	const moved = 5
	server := ky.Servers[moved].ID
	before := ys.psuWatts(moved)
	wantY := [2]float64{y.FeedLoad(FeedA), y.FeedLoad(FeedB)}
	wantX := [2]float64{x.FeedLoad(FeedA), x.FeedLoad(FeedB)}
	tol := crosscheck.Tolerance{Watts: 20, Share: 0.005}
	if got := elsewhere(site, []*Rack{y, x}, []*rackServers{ys, xs}, tol).Findings; len(got) != 0 {
		t.Fatalf("healthy: got %v, want no finding", got)
	}

	ys.moveTo(moved, x)
	if got := ys.psuWatts(moved); !slices.Equal(got, before) {
		t.Errorf("got %s's PSUs at %v W, want %v W as before: its BMC does not know where it is plugged", server, got, before)
	}
	for f, psu := range before {
		if got, want := y.FeedLoad(Feed(f)), wantY[f]-psu; math.Abs(got-want) > 1e-6 {
			t.Errorf("got %s feed %d at %.1f W, want %.1f W (less %s's PSU)", ky.ID, f, got, want, server)
		}
		if got, want := x.FeedLoad(Feed(f)), wantX[f]+psu; math.Abs(got-want) > 1e-6 {
			t.Errorf("got %s feed %d at %.1f W, want %.1f W (and %s's PSU)", kx.ID, f, got, want, server)
		}
	}
	got := elsewhere(site, []*Rack{y, x}, []*rackServers{ys, xs}, tol).Findings
	if len(got) != 1 {
		t.Fatalf("moved: got %v, want one finding", got)
	}
	f := got[0]
	t.Log(f)
	if f.Rack != ky.ID || f.From != kx.ID || (f.Server != server && !slices.Contains(f.Alike, server)) {
		t.Errorf("got %s, want %s of rack %s named or listed alike, from rack %s", f, server, ky.ID, kx.ID)
	}
	if math.Abs(f.Watts-(before[0]+before[1])) > 20 {
		t.Errorf("got %.1f W moved, want %s's %.1f W within 20 W", f.Watts, server, before[0]+before[1])
	}
}

// TestDrawFromErrors checks DrawFrom's refusals, before any BMC is served.
func TestDrawFromErrors(t *testing.T) {
	k := inventory.Reference(1).Halls[0].Rows[0].Racks[0]
	rs := newRackServers(NewRack(NewLoadModel(1000, 1), nil), &k)
	other := NewRack(NewLoadModel(1000, 2), nil)
	s := &Site{racks: map[string]*Rack{k.ID: rs.rack, "K2": other},
		servers: map[string]serverRef{k.Servers[0].ID: {rs, 0}}, allServers: map[string]bool{k.Servers[0].ID: true, k.Servers[1].ID: true}}
	for _, tt := range []struct {
		server, rack string
		want         error
	}{
		{k.Servers[0].ID, "nope", ErrUnknown},
		{k.Servers[0].ID, k.ID, ErrBadConfig},
		{k.Servers[1].ID, "K2", ErrNoBMC},
		{"nope", "K2", ErrUnknown},
		{k.Servers[0].ID, "K2", nil},
	} {
		if err := s.DrawFrom(tt.server, tt.rack); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("DrawFrom(%s, %s): got %v, want %v", tt.server, tt.rack, err, tt.want)
		}
	}
	if rs.awayAt(0) != other {
		t.Errorf("got server 0 away at %p, want at K2 %p", rs.awayAt(0), other)
	}
}

// elsewhere runs the cross-check of racks (the site's, in order) on what
// their PDUs and their servers' BMCs would report now.
func elsewhere(site *inventory.Site, racks []*Rack, servers []*rackServers, tol crosscheck.Tolerance) crosscheck.Strays {
	watts := map[string]float64{}
	readings := map[string]crosscheck.Server{}
	i := 0
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		onFeed := map[string]int{}
		for _, p := range k.PDUs {
			onFeed[p.Feed]++
		}
		for _, p := range k.PDUs {
			watts[p.ID] = racks[i].FeedLoad(feedOf(k, p.Feed)) / float64(onFeed[p.Feed])
		}
		for j, s := range k.Servers {
			r := crosscheck.Server{ID: s.ID, Rack: k.ID, Fresh: true}
			total := 0.0
			for n, w := range servers[i].psuWatts(j) {
				r.PSUs = append(r.PSUs, crosscheck.PSU{Index: n + 1, Feed: s.PSUFeeds[n], Watts: &w})
				total += w
			}
			r.Watts = &total
			readings[s.ID] = r
		}
		i++
		return true
	})
	return crosscheck.Elsewhere(site, func(id string) (float64, bool) { w, ok := watts[id]; return w, ok }, readings, tol)
}
