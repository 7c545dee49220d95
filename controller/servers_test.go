package controller

import (
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestReadServers reads servers from a real telemetry window: a server
// whose BMC answered, one whose BMC failed its last poll, one never
// polled and one with no BMC. Nothing unknown reads as 0.
func TestReadServers(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	bmc := &inventory.BMC{Address: "127.0.0.1:623", Credentials: "bmc"}
	k := inventory.Rack{ID: "K1", Feeds: []string{"A", "B"}, Servers: []inventory.Server{
		{ID: "S1", PSUFeeds: []string{"A", "B"}, BMC: bmc, NameplateW: 800},
		{ID: "S2", PSUFeeds: []string{"A", "B"}, BMC: bmc},
		{ID: "S3", PSUFeeds: []string{"A", "B"}, BMC: bmc},
		{ID: "S4", PSUFeeds: []string{"A"}},
	}}
	site := &inventory.Site{Name: "dc", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{{ID: "R1", Racks: []inventory.Rack{k}}}}}}
	w := telemetry.New(4, time.Minute)
	r := func(m collectors.Metric, s collectors.Scope, i int, v float64) collectors.Reading {
		return collectors.Reading{Metric: m, Scope: s, Index: i, Value: v}
	}
	w.Ingest([]collectors.Status{
		{Device: "S1", At: at, OK: true, Readings: []collectors.Reading{
			r(collectors.PowerWatts, collectors.ScopeDevice, 0, 410),
			r(collectors.PowerWatts, collectors.ScopePSU, 1, 410),
			r(collectors.PowerWatts, collectors.ScopePSU, 2, 0),
			r(collectors.PSUPresent, collectors.ScopePSU, 2, 1),
			r(collectors.PSUHealthy, collectors.ScopePSU, 2, 0),
		}},
		{Device: "S2", At: at, OK: false, Reason: "timeout"},
	}, at)
	got := readServers(site, w, at)
	if len(got) != 3 {
		t.Fatalf("got %d servers, want the 3 with a BMC", len(got))
	}
	s1 := got["S1"]
	if !s1.Fresh || s1.Watts == nil || *s1.Watts != 410 || s1.DeclaredWatts != 800 {
		t.Errorf("S1: got %+v, want fresh at 410 W, declared 800 W", s1)
	}
	if p := s1.PSUs[1]; p.Feed != "B" || p.Watts == nil || *p.Watts != 0 || p.Present == nil || !*p.Present || p.Healthy == nil || *p.Healthy || p.InputOK != nil {
		t.Errorf("S1 PSU 2: got %+v, want feed B, 0 W, present, unhealthy, input unknown", p)
	}
	for id, why := range map[string]string{"S2": "poll-failed: timeout", "S3": "never-seen"} {
		s := got[id]
		if s.Fresh || s.Watts != nil || s.PSUs[0].Watts != nil || s.Reason != why {
			t.Errorf("%s: got %+v, want stale (%s) with every reading unknown", id, s, why)
		}
	}
	s4 := readServer(w, &k, &k.Servers[3], at)
	if s4.Fresh || s4.Watts != nil || s4.Reason != "no BMC in the inventory" || len(s4.PSUs) != 1 {
		t.Errorf("S4: got %+v, want unknown, no BMC, one PSU", s4)
	}
	// The cross-check reads the same: S1's PSU 2 draws nothing.
	res := crosscheck.Check(&k, func(string) (float64, bool) { return 0, false }, got, crosscheck.Tolerance{})
	if len(res.Findings) != 1 || res.Findings[0].Kind != crosscheck.NoDraw || res.Findings[0].Server != "S1" {
		t.Errorf("got findings %+v, want S1's PSU 2 drawing nothing", res.Findings)
	}
}
