package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/peer"
)

// traces returns the folder of one of the shared real traces: peer.Traces.
func traces(tb testing.TB, name string) string {
	tb.Helper()
	return peer.Traces(tb, name)
}

// TestBaselines checks what each baseline picks, and that it refuses what
// Check refuses.
func TestBaselines(t *testing.T) {
	c := tinyCluster()
	c.Servers[0].UsedCPUMillicores = 12000 // K1-S1 the fullest, K2-S2 the emptiest
	c.Servers[1].UsedCPUMillicores = 8000
	c.Servers[2].UsedCPUMillicores = 4000
	one := placement.Request{Name: "vm", Replicas: 1, CPUMillicores: 2000, MemoryMiB: 1024, Watts: 500}
	two := one
	two.Replicas, two.Spread = 2, placement.DomainRack
	big := one
	big.Watts = 15001 // over any rack's budget
	cases := []struct {
		name string
		p    policy
		req  placement.Request
		want []string // servers; nil: refused
	}{
		{"first-fit takes the first server with room", greedy{firstFit}, one, []string{"K1-S1"}},
		{"least-allocated takes the emptiest", greedy{leastAllocated}, one, []string{"K2-S2"}},
		{"first-fit spreads by rack", greedy{firstFit}, two, []string{"K1-S1", "K2-S1"}},
		{"least-allocated spreads by rack", greedy{leastAllocated}, two, []string{"K2-S2", "K1-S2"}},
		{"first-fit keeps the power limits", greedy{firstFit}, big, nil},
		{"least-allocated keeps the power limits", greedy{leastAllocated}, big, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			as, ok := tc.p.place(c, tc.req)
			var got []string
			for _, a := range as {
				got = append(got, a.Server)
			}
			if !slices.Equal(got, tc.want) || ok != (tc.want != nil) {
				t.Errorf("got %v (%v), want %v", got, ok, tc.want)
			}
			if ok {
				if err := placement.Check(c, as, tc.req); err != nil {
					t.Errorf("Check of the pick: got %v, want nil", err)
				}
			}
		})
	}
}

// TestBaselineSkipsARackRefusedOnPower checks that a baseline moves on to
// the next rack when Check refuses one on a power limit that its own
// filter does not see (feed failover).
func TestBaselineSkipsARackRefusedOnPower(t *testing.T) {
	c := tinyCluster()
	c.Racks[0].PDUs[1] = pdu3("B", 16) // 8,832 W on B alone
	r := placement.Request{Name: "vm", Replicas: 1, CPUMillicores: 1000, MemoryMiB: 1024, Watts: 9000}
	as, ok := greedy{firstFit}.place(c, r)
	if !ok || as[0].Rack != "K2" {
		t.Errorf("got %+v (%v), want a replica in K2", as, ok)
	}
}

// TestDailyProfile checks the hours a replica's profile covers.
func TestDailyProfile(t *testing.T) {
	hours := func(p []float64) []int {
		var out []int
		for h, f := range p {
			if f > 0 {
				out = append(out, h)
			}
		}
		return out
	}
	cases := []struct {
		name       string
		start, end int64
		want       []int // nil: flat
	}{
		{"within an hour", 3600 + 60, 3600 + 120, []int{1}},
		{"no time at all", 7200, 7200, []int{2}},
		{"across midnight", 86400 - 600, 86400 + 600, []int{0, 23}},
		{"on a later day", 3*86400 + 5*3600, 3*86400 + 7*3600 + 1, []int{5, 6, 7}},
		{"a whole day", 100, 100 + 86400, nil},
		{"never ends", 0, never, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := dailyProfile(tc.start, tc.end)
			if got := hours(p); !slices.Equal(got, tc.want) || (p == nil) != (tc.want == nil) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if got := unionProfile(dailyProfile(0, 10), dailyProfile(7200, 7300)); !slices.Equal(hours(got), []int{0, 2}) {
		t.Errorf("union: got %v, want hours 0 and 2", hours(got))
	}
	if got := unionProfile(dailyProfile(0, 10), nil); got != nil {
		t.Errorf("union with a flat profile: got %v, want flat (nil)", got)
	}
}

// TestLifetime checks how a duration token becomes a lifetime.
func TestLifetime(t *testing.T) {
	bins := []int64{0, 300, 600, 3600}
	cases := []struct {
		tok  string
		want int64
		ok   bool
	}{
		{"U0", 150, true}, {"U2", 2100, true}, {"U3", 3600, true}, {"C1", 300, true},
		{"U4", 0, false}, {"X1", 0, false}, {"U", 0, false}, {"", 0, false},
	}
	for _, tc := range cases {
		got, err := lifetime(tc.tok, bins)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("lifetime(%q): got %d (%v), want %d (ok %v)", tc.tok, got, err, tc.want, tc.ok)
		}
	}
}

// checkQuality asserts what must hold of any replay: every request placed
// or refused, no limit broken, every pick accepted by Check.
func checkQuality(t *testing.T, r QualityResult) {
	t.Helper()
	if len(r.Policies) != 4 {
		t.Fatalf("got %d policies, want 4", len(r.Policies))
	}
	for _, p := range r.Policies {
		if p.Placed+p.Refused != r.Requests || p.PlacedReplicas+p.RefusedReplicas != r.Replicas {
			t.Errorf("%s: got %d+%d requests, %d+%d replicas, want %d and %d", p.Policy, p.Placed, p.Refused,
				p.PlacedReplicas, p.RefusedReplicas, r.Requests, r.Replicas)
		}
		if p.Violations != 0 || p.FeedLossRacks != 0 || p.CheckRefused != 0 {
			t.Errorf("%s: got %d violations, %d racks breaking on a feed loss, %d picks Check refused, want none",
				p.Policy, p.Violations, p.FeedLossRacks, p.CheckRefused)
		}
		if p.Placed == 0 || p.StrandedShare < 0 || p.StrandedShare > 1 || p.SumOfRackPeaksWatts < p.PeakOfSumWatts ||
			p.SampledSumOfRackPeaksWatts < p.SampledPeakOfSumWatts || p.SampledPeakOfSumWatts < p.PlacedWatts {
			t.Errorf("%s: got %+v, want some placed, a stranded share in [0, 1], each sum of peaks ≥ its peak of the sum ≥ the busiest sample's", p.Policy, p)
		}
	}
	if r.Samples == 0 || r.BudgetWatts <= 0 || r.IdleWatts <= 0 || len(r.Medians) == 0 {
		t.Errorf("got %+v, want samples, a budget, idle draw and medians", r)
	}
}

// TestAlibabaReplay replays the first 300 pods of the real trace.
func TestAlibabaReplay(t *testing.T) {
	dir := traces(t, "alibaba-gpu-2023")
	r, err := Alibaba(context.Background(), AlibabaConfig{Dir: dir, Load: 1, Limit: 300})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 300 || r.Servers != 1523 || r.GPUs != 6212 {
		t.Errorf("got %d requests, %d servers, %v GPUs, want 300, the trace's 1523 nodes and 6212 GPUs", r.Requests, r.Servers, r.GPUs)
	}
	checkQuality(t, r)
}

// TestAzureReplay replays the first 400 VMs of the real trace onto two
// racks, spread by server and by rack.
func TestAzureReplay(t *testing.T) {
	dir := traces(t, "azure-2017-vms")
	for _, spread := range []placement.Domain{placement.DomainServer, placement.DomainRack} {
		t.Run(string(spread), func(t *testing.T) {
			r, err := Azure(context.Background(), AzureConfig{Dir: dir, Racks: 2, Spread: spread, Limit: 400})
			if err != nil {
				t.Fatal(err)
			}
			if r.Replicas < 400 || r.Replicas > 1000 || r.Racks != 2 {
				t.Errorf("got %d VMs on %d racks, want 400 and a batch at most, on 2", r.Replicas, r.Racks)
			}
			checkQuality(t, r)
		})
	}
}

// TestQualityRows checks that the quality table has a cell for every
// column.
func TestQualityRows(t *testing.T) {
	rs := QualityResults{{Trace: "x", Policies: []PolicyResult{{Policy: "p"}}}}
	if h, rows := rs.Header(), rs.Rows(); len(rows) != 1 || len(rows[0]) != len(h) {
		t.Errorf("got %d rows, %d cells under %d columns, want 1 row, as many cells as columns", len(rows), len(rows[0]), len(h))
	}
	if !strings.Contains(rs.Summary(), "x: ") {
		t.Errorf("got summary %q, want the trace named", rs.Summary())
	}
}

// TestNodeGroups checks the order the trace's nodes go into racks in.
func TestNodeGroups(t *testing.T) {
	nodes := []alibabaNode{{id: "g1", gpus: 8, model: "G2"}, {id: "c1"}, {id: "t1", gpus: 2, model: "T4"},
		{id: "g2", gpus: 8, model: "G2"}, {id: "c2"}}
	ids := func(gs [][]alibabaNode) string {
		var out []string
		for _, g := range gs {
			var group []string
			for _, n := range g {
				group = append(group, n.id)
			}
			out = append(out, strings.Join(group, " "))
		}
		return strings.Join(out, " | ")
	}
	if got, want := ids(nodeGroups(nodes, false)), "c1 c2 | g1 g2 | t1"; got != want {
		t.Errorf("CPU first: got %q, want %q", got, want)
	}
	if got, want := ids(nodeGroups(nodes, true)), "g1 g2 | t1 | c1 c2"; got != want {
		t.Errorf("GPU first: got %q, want %q", got, want)
	}
}

// TestAlibabaClusterFillsRacksOn checks that a model's group of nodes does
// not start a new rack: the next group's first nodes go into the last
// rack while it has room, and a rack whose units are full is closed.
func TestAlibabaClusterFillsRacksOn(t *testing.T) {
	node := func(id string, gpus, heightU int) alibabaNode {
		return alibabaNode{id: id, cpu: 32000, mem: 131072, gpus: gpus, idle: 100, max: 400, heightU: heightU}
	}
	cpus := []alibabaNode{node("c1", 0, 1), node("c2", 0, 1)}
	var gpus []alibabaNode
	for i := range 8 { // 48 U: 7 fill one rack's 46 U with the CPU nodes' 2
		gpus = append(gpus, node(fmt.Sprintf("g%d", i+1), 8, 6))
	}
	c, err := alibabaCluster([][]alibabaNode{cpus, gpus})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range c.Servers {
		got = append(got, fmt.Sprintf("%s@%d", s.ID, s.Rack))
	}
	want := "c1@0 c2@0 g1@0 g2@0 g3@0 g4@0 g5@0 g6@0 g7@0 g8@1"
	if strings.Join(got, " ") != want || len(c.Racks) != 2 {
		t.Errorf("got %v on %d racks, want %s on 2", got, len(c.Racks), want)
	}
}
