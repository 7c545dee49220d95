package placement

import (
	"errors"
	"fmt"
	"testing"
)

// The fixtures: racks fed A/B by two three-phase PDUs, rows cooled by
// units far larger than their racks, servers with room for many replicas,
// so that a test sets only the limit it is about.

// pdu3 is a three-phase 230 V PDU: V × A × 0.8 per phase.
func pdu3(id, feed string, amps float64) PDU {
	return PDU{ID: id, Feed: feed, Phases: 3, VoltageV: 230, BreakerA: amps}
}

// rack2N is a 2N rack in row: two three-phase 63 A PDUs (11.592 kW per
// phase), so failover never binds unless a test shrinks them.
func rack2N(id string, row int, budget float64) Rack {
	return Rack{ID: id, Row: row, BudgetWatts: budget, Feeds: []string{"A", "B"},
		PDUs: []PDU{pdu3(id+"-PA", "A", 63), pdu3(id+"-PB", "B", 63)}}
}

// server is a server with PSUs on A and B and room for a lot.
func server(id string, rack int) Server {
	return Server{ID: id, Rack: rack, PSUFeeds: []string{"A", "B"}, CPUMillicores: 64000, MemoryMiB: 262144,
		IdleWatts: 200, MaxWatts: 800}
}

// cluster builds one hall H1 of one row R1 (cooling 3 × 1 MW) holding the
// racks, each with servers per rack: "<rack>-s1", "<rack>-s2", …
func cluster(servers int, racks ...Rack) *Cluster {
	c := &Cluster{Halls: []Hall{{ID: "H1"}}, Rows: []Row{{ID: "R1", CoolingWatts: []float64{1e6, 1e6, 1e6}}}}
	c.Racks = racks
	for k := range racks {
		for i := range servers {
			c.Servers = append(c.Servers, server(fmt.Sprintf("%s-s%d", racks[k].ID, i+1), k))
		}
	}
	return c
}

// req is a one-replica request of w declared watts, 1000 millicores and
// 1024 MiB.
func req(w float64) Request {
	return Request{Name: "web", Replicas: 1, CPUMillicores: 1000, MemoryMiB: 1024, Watts: w}
}

// place runs a fresh engine and fails the test on anything but success or
// *Infeasible.
func place(t *testing.T, c *Cluster, r Request) (Decision, *Infeasible) {
	t.Helper()
	d, err := New().Place(c, r, Options{})
	var inf *Infeasible
	if err != nil && !errors.As(err, &inf) {
		t.Fatalf("Place: got %v, want a decision or *Infeasible", err)
	}
	return d, inf
}

// racksOf lists the racks of a decision's replicas.
func racksOf(d Decision) []string {
	var out []string
	for _, a := range d.Assignments {
		out = append(out, a.Rack)
	}
	return out
}

// serversOf lists the servers of a decision's replicas.
func serversOf(d Decision) []string {
	var out []string
	for _, a := range d.Assignments {
		out = append(out, a.Server)
	}
	return out
}
