package controller

import (
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestReadServerResolution reads the resolution of a server's power
// readings from a real telemetry window, as the BMC's collector reports
// it (collectors.PowerResolutionWatts at each reading's scope and index):
// stated where the telemetry has it, unknown (nil, never 0) where it has
// not; and the cross-check allows for it: ten PSUs read in 8 W steps may
// sum 40 W off their PDU with nothing wrong.
func TestReadServerResolution(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	bmc := &inventory.BMC{Address: "127.0.0.1:623", Credentials: "bmc"}
	k := inventory.Rack{ID: "K1", Feeds: []string{"A", "B"},
		PDUs: []inventory.PDU{{ID: "K1-PA", Feed: "A"}, {ID: "K1-PB", Feed: "B"}}}
	w := telemetry.New(4, time.Minute)
	var polls []collectors.Status
	for i := range 10 {
		id := string(rune('a'+i)) + "1"
		k.Servers = append(k.Servers, inventory.Server{ID: id, PSUFeeds: []string{"A", "B"}, BMC: bmc})
		rs := []collectors.Reading{
			{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 200},
			{Metric: collectors.PowerResolutionWatts, Scope: collectors.ScopeDevice, Value: 16},
		}
		for p := 1; p <= 2; p++ {
			rs = append(rs, collectors.Reading{Metric: collectors.PowerWatts, Scope: collectors.ScopePSU, Index: p, Value: 100})
			if i > 0 || p == 1 { // the first server's PSU 2 states none
				rs = append(rs, collectors.Reading{Metric: collectors.PowerResolutionWatts, Scope: collectors.ScopePSU, Index: p, Value: 8})
			}
		}
		polls = append(polls, collectors.Status{Device: id, At: at, OK: true, Readings: rs})
	}
	w.Ingest(polls, at)
	site := &inventory.Site{Name: "dc", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{{ID: "R1", Racks: []inventory.Rack{k}}}}}}
	got := readServers(site, w, at)
	a := got["a1"]
	if a.Resolution == nil || *a.Resolution != 16 {
		t.Errorf("a1's power resolution: got %v, want 16 W", a.Resolution)
	}
	if p := a.PSUs[0]; p.Resolution == nil || *p.Resolution != 8 {
		t.Errorf("a1 PSU 1's resolution: got %v, want 8 W", p.Resolution)
	}
	if p := a.PSUs[1]; p.Resolution != nil {
		t.Errorf("a1 PSU 2's resolution: got %v, want unknown", *p.Resolution)
	}
	pdus := func(a, b float64) crosscheck.PDUWatts {
		return func(id string) (float64, bool) { return map[string]float64{"K1-PA": a, "K1-PB": b}[id], true }
	}
	// Feed B: nine PSUs state 8 W steps, a1's PSU 2 none (the site's 4 W
	// default): 10 W + 9 × 4 W + 2 W = 48 W.
	tol := crosscheck.Tolerance{Watts: 10, PSUResolution: 4}
	if res := crosscheck.Check(&k, pdus(1050, 952), got, tol); len(res.Findings) != 0 {
		t.Errorf("within the readings' steps: got %v, want no finding", res.Findings)
	}
	res := crosscheck.Check(&k, pdus(1000, 951), got, tol)
	if len(res.Findings) != 1 || res.Findings[0].Feed != "B" || res.Findings[0].Limit != 48 {
		t.Errorf("beyond them on feed B: got %+v, want one finding on feed B with a 48 W limit", res.Findings)
	}
}
