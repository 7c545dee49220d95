package state

import (
	"fmt"
	"testing"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/inventory"
)

// benchPlaces returns a machine holding the reference site (460 racks,
// about 18,000 servers) and n Place commands of one small replica each,
// round-robin over its servers, as the leader's engine would send them.
func benchPlaces(b *testing.B, n int) (*Machine, []Place) {
	b.Helper()
	m := New()
	if _, err := m.Apply(1, PutSite{Site: inventory.Reference(inventory.ReferenceRacks), At: t0}); err != nil {
		b.Fatal(err)
	}
	_, c := m.Cluster()
	profile := make([]float64, 24)
	for h := range profile {
		profile[h] = 0.5
	}
	cmds := make([]Place, n)
	for i := range cmds {
		s := &c.Servers[i%len(c.Servers)]
		k := &c.Racks[s.Rack]
		r := placement.Request{Name: fmt.Sprintf("w%d", i), System: "portal", Replicas: 1, CPUMillicores: 10, MemoryMiB: 16,
			Watts: 1, Spread: placement.DomainServer, BothFeeds: true, Profile: profile}
		cmds[i] = Place{ID: fmt.Sprintf("pl-%016x", i), Key: fmt.Sprintf("key-%d", i), Request: r, At: t0,
			Assignments: []placement.Assignment{{Server: s.ID, Rack: k.ID, Row: c.Rows[k.Row].ID, Hall: c.Halls[c.Rows[k.Row].Hall].ID,
				Feeds: []string{"A", "B"}, Watts: 1}}}
	}
	return m, cmds
}

// BenchmarkApplyPlace is the state machine's share of a placement: the
// checks, the limits checked again and the placement recorded, on the
// reference site. With decode, the log entry's decoding too, as a
// replica's FSM does it.
func BenchmarkApplyPlace(b *testing.B) {
	for _, decode := range []bool{false, true} {
		b.Run(fmt.Sprintf("decode=%v", decode), func(b *testing.B) {
			m, cmds := benchPlaces(b, b.N)
			entries := make([][]byte, len(cmds))
			for i := range cmds {
				e, err := Encode(cmds[i])
				if err != nil {
					b.Fatal(err)
				}
				entries[i] = e
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				var cmd Command = cmds[i]
				if decode {
					c, err := Decode(entries[i])
					if err != nil {
						b.Fatal(err)
					}
					cmd = c
				}
				if _, err := m.Apply(uint64(i)+2, cmd); err != nil {
					b.Fatalf("place %d: %v", i, err)
				}
			}
		})
	}
}
