package crosscheck

import (
	"testing"

	"github.com/dcplane/dcplane/internal/inventory"
)

// BenchmarkElsewhere judges the reference site (460 racks, about 18,000
// servers, each with BMC readings), healthy but for one server whose draw
// shows on another rack: what the alert evaluation adds each round.
func BenchmarkElsewhere(b *testing.B) {
	site := inventory.Reference(460)
	servers := map[string]Server{}
	watts := map[string]float64{}
	var first, second *inventory.Rack
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		if first == nil {
			first = k
		} else if second == nil {
			second = k
		}
		sums := map[string]float64{}
		for _, s := range k.Servers {
			r := Server{ID: s.ID, Rack: k.ID, Fresh: true}
			for j, f := range s.PSUFeeds {
				r.PSUs = append(r.PSUs, PSU{Index: j + 1, Feed: f, Watts: w(s.IdleW / float64(len(s.PSUFeeds)))})
				sums[f] += s.IdleW / float64(len(s.PSUFeeds))
			}
			servers[s.ID] = r
		}
		onFeed := map[string]int{}
		for _, p := range k.PDUs {
			onFeed[p.Feed]++
		}
		for _, p := range k.PDUs {
			watts[p.ID] = sums[p.Feed] / float64(onFeed[p.Feed])
		}
		return true
	})
	moved := servers[first.Servers[0].ID]
	for _, p := range moved.PSUs {
		for _, pdu := range first.PDUs {
			if pdu.Feed == p.Feed {
				watts[pdu.ID] -= *p.Watts
			}
		}
		for _, pdu := range second.PDUs {
			if pdu.Feed == p.Feed {
				watts[pdu.ID] += *p.Watts
			}
		}
	}
	// The demo's tolerance: production's 50 W + 3 % of a 7 kW feed hides
	// a 1U server's 100 W a PSU (see internal/demo's cross-check test).
	tol := Tolerance{Watts: 20, Share: 0.005}
	if res := Elsewhere(site, pdus(watts), servers, tol); len(res.Findings) != 1 || res.Findings[0].From != second.ID {
		b.Fatalf("got %v, want one finding from %s", res.Findings, second.ID)
	}
	b.ResetTimer()
	for range b.N {
		Elsewhere(site, pdus(watts), servers, tol)
	}
}
