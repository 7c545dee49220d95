package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/placement"
)

// pdu3 is a three-phase 230 V PDU of amps A: 230 × amps × 0.8 a phase.
func pdu3(feed string, amps float64) placement.PDU {
	return placement.PDU{ID: "P" + feed, Feed: feed, Phases: 3, VoltageV: 230, BreakerA: amps}
}

// tinyCluster is one hall of one row (three 10 kW units: 20 kW N+1) of
// two 2N racks of 15 kW on 32 A PDUs (5,888 W a phase, so 17,664 W on
// one feed), each with two servers of 16 threads and 64 GiB.
func tinyCluster() *placement.Cluster {
	c := &placement.Cluster{Halls: []placement.Hall{{ID: "H1"}},
		Rows: []placement.Row{{ID: "R1", CoolingWatts: []float64{10000, 10000, 10000}}}}
	for k := range 2 {
		c.Racks = append(c.Racks, placement.Rack{ID: fmt.Sprintf("K%d", k+1), BudgetWatts: 15000, Feeds: []string{"A", "B"},
			PDUs: []placement.PDU{pdu3("A", 32), pdu3("B", 32)}})
		for s := range 2 {
			c.Servers = append(c.Servers, placement.Server{ID: fmt.Sprintf("K%d-S%d", k+1, s+1), Rack: k, PSUFeeds: []string{"A", "B"},
				CPUMillicores: 16000, MemoryMiB: 65536, IdleWatts: 100, MaxWatts: 500})
		}
	}
	return c
}

// TestAudit checks that the audit finds each broken limit, and only it.
func TestAudit(t *testing.T) {
	weakFeed := tinyCluster()
	weakFeed.Racks[0].PDUs[1] = pdu3("B", 16) // 2,944 W a phase on B: 8,832 W when A fails
	cases := []struct {
		name string
		c    *placement.Cluster
		base []float64
		rs   []used
		want AuditResult
	}{
		{"within every limit", tinyCluster(), nil, []used{{server: 0, watts: 9000, cpu: 16000}, {server: 2, watts: 9000}}, AuditResult{}},
		{"rack over budget", tinyCluster(), []float64{1000, 0}, []used{{server: 0, watts: 14001}},
			AuditResult{RackBudget: 1, Cooling: 0}},
		{"feed loss", weakFeed, nil, []used{{server: 0, watts: 8833}}, AuditResult{FeedLoss: 1}},
		{"feed loss at the limit", weakFeed, nil, []used{{server: 0, watts: 8832}}, AuditResult{}},
		{"row over N+1 cooling", tinyCluster(), nil, []used{{server: 0, watts: 10000}, {server: 3, watts: 10001}}, AuditResult{Cooling: 1}},
		{"server over capacity", tinyCluster(), nil, []used{{server: 1, cpu: 9000, watts: 1}, {server: 1, cpu: 9000, watts: 1}},
			AuditResult{Servers: 1}},
		{"GPUs over capacity", tinyCluster(), nil, []used{{server: 2, gpus: 1, watts: 1}}, AuditResult{Servers: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := audit(tc.c, tc.base, tc.rs)
			tc.want.Replicas = len(tc.rs)
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestPlacementSpeed runs the speed harness on a 4-rack site: a real
// controller, a few clients, a few requests.
func TestPlacementSpeed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := Placement(ctx, PlacementConfig{Racks: 4, Fill: 0.3, Requests: 60, Rounds: 2, Replicas: 2, Clients: 4, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var modes []string
	for _, m := range r.Modes {
		modes = append(modes, m.Mode)
		if m.Errors != 0 || m.Placed+m.Refused != m.Requests || m.PerSec <= 0 || m.P99Ms < m.P50Ms || m.Requests == 0 {
			t.Errorf("%s: got %+v, want no errors, every request answered, a rate, p99 ≥ p50", m.Mode, m)
		}
	}
	want := []string{"engine alone", "disk fsync (4 KiB)", "API pre-fill (up to 8 replicas)", "API GET /healthz",
		"API dry run (no commit)", "API place + Raft commit"}
	if !slices.Equal(modes, want) {
		t.Errorf("got modes %q, want %q", modes, want)
	}
	if n := r.Modes[len(r.Modes)-1]; n.Requests != 120 || len(n.PerSecByRound) != 2 {
		t.Errorf("got %d requests in %d rounds, want 120 in 2", n.Requests, len(n.PerSecByRound))
	}
	if r.Audit.Violations() != 0 || r.Audit.Replicas == 0 {
		t.Errorf("got audit %+v, want replicas and no violation", r.Audit)
	}
	if r.Committed.Placements != r.Committed.Expected || r.Committed.KeysReplayed == 0 || r.Committed.KeysDuplicated != 0 {
		t.Errorf("got %+v, want every answered placement committed once, keys replayed, none placed twice", r.Committed)
	}
	if !(r.FillBefore > 0.25 && r.FillAfter > r.FillBefore) {
		t.Errorf("got fill %.3f -> %.3f, want about 0.3, then more", r.FillBefore, r.FillAfter)
	}
	if h, rows := r.Header(), r.Rows(); len(rows) != len(want) || len(rows[0]) != len(h) {
		t.Errorf("got %d rows of %d cells under %d columns, want %d rows, as many cells as columns", len(rows), len(rows[0]), len(h), len(want))
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"p99_ms":`) || !strings.Contains(string(b), `"racks_breaking_on_feed_loss":`) {
		t.Errorf("got %s (%v), want the JSON field names of docs/benchmarks.md", b, err)
	}
}

// TestModeOfCPUPerRequest checks the CPU per request answered: the
// process's CPU over the rounds, over the requests placed or refused
// (errors answered nothing).
func TestModeOfCPUPerRequest(t *testing.T) {
	infeasible := &placement.Infeasible{}
	ts := []timing{
		{lat: make([]time.Duration, 3), errs: []error{nil, infeasible, errors.New("reset")}, elapsed: time.Second, cores: 0.5},
		{lat: make([]time.Duration, 2), errs: []error{nil, nil}, elapsed: 2 * time.Second, cores: 1},
	}
	m := modeOf("x", ts)
	// 0.5 s + 2 s of CPU over 4 requests answered.
	if got, want := m.CPUMicrosPerRequest, 2.5e6/4; math.Abs(got-want) > 1e-6 {
		t.Errorf("got %v µs per request, want %v", got, want)
	}
	if got, want := m.CPUCores, 2.5/3; math.Abs(got-want) > 1e-9 {
		t.Errorf("got %v cores, want %v", got, want)
	}
}
