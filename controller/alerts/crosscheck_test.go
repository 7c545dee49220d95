package alerts

import (
	"slices"
	"testing"
	"time"

	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/internal/inventory"
)

// crossSite is the test site with servers S1–S3 in rack K1, each with a
// BMC and a PSU on each feed.
func crossSite() *inventory.Site {
	s := testSite()
	k := &s.Halls[0].Rows[0].Racks[0]
	for _, id := range []string{"S1", "S2", "S3"} {
		k.Servers = append(k.Servers, inventory.Server{ID: id, PSUFeeds: []string{"A", "B"}, BMC: &inventory.BMC{Address: "127.0.0.1:623", Credentials: "bmc"}})
	}
	return s
}

func bmc(id string, a, b float64) crosscheck.Server {
	wa, wb, total := a, b, a+b
	return crosscheck.Server{ID: id, Rack: "K1", Fresh: true, Watts: &total,
		PSUs: []crosscheck.PSU{{Index: 1, Feed: "A", Watts: &wa}, {Index: 2, Feed: "B", Watts: &wb}}}
}

// TestCrossCheckRules checks the cross-check's alerts on rack K1: none
// for a healthy rack, one naming the server or PDU for each fault, none
// while a server's readings are unknown, and each resolving once the
// fault is gone. A limit is the default tolerance (50 W + 3 %) plus half
// the default steps of the readings compared: 5 W for each PDU, 2 W for
// each PSU whose BMC states none (e.g. 80 + 5 + 3 × 2 = 91 W).
func TestCrossCheckRules(t *testing.T) {
	healthy := func() map[string]crosscheck.Server {
		return map[string]crosscheck.Server{"S1": bmc("S1", 300, 300), "S2": bmc("S2", 200, 200), "S3": bmc("S3", 100, 100)}
	}
	tests := []struct {
		name         string
		servers      func(map[string]crosscheck.Server)
		pduA, pduB   float64
		want         []string
		wantResolved bool
	}{
		{"healthy", nil, 620, 590, []string{}, false},
		{"miswired", nil, 810, 395, []string{"PSUFeedMiswired server S2 firing 200/85.3"}, true},
		{"a PSU draws nothing", func(m map[string]crosscheck.Server) { m["S3"] = bmc("S3", 200, 0) }, 700, 500,
			[]string{"PSUNoDraw server S3 firing 200/0"}, true},
		{"load nothing explains", nil, 1000, 600, []string{"FeedPowerUnexplained PDU K1-A firing 400/91"}, true},
		{"a stale server: held, nothing fires", func(m map[string]crosscheck.Server) {
			s := m["S1"]
			s.Fresh = false
			m["S1"] = s
		}, 1000, 600, []string{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := instant()
			c.CrossCheck.For = 0
			e := evaluator(t, c)
			in := quiet()
			in.Site = crossSite()
			in.Servers = healthy()
			if tt.servers != nil {
				tt.servers(in.Servers)
			}
			in.Devices["K1-A"], in.Devices["K1-B"] = pdu(tt.pduA, 1.5, 1.5, 1.5), pdu(tt.pduB, 1.5, 1.5, 1.5)
			res := e.Evaluate(in, t0)
			if got := briefs(res.Active); !slices.Equal(got, tt.want) {
				t.Fatalf("got\n\t%s\nwant\n\t%s", join(got), join(tt.want))
			}
			for _, a := range res.Active {
				if a.Summary == "" || a.Runbook == "" {
					t.Errorf("%s: got summary %q runbook %q, want both", a.ID, a.Summary, a.Runbook)
				}
			}
			// Healthy again: what fired resolves.
			in.Servers = healthy()
			in.Devices["K1-A"], in.Devices["K1-B"] = pdu(620, 1.5, 1.5, 1.5), pdu(590, 1.5, 1.5, 1.5)
			res = e.Evaluate(in, t0.Add(time.Minute))
			if len(res.Active) != 0 {
				t.Errorf("healthy again: got %v active, want none", briefs(res.Active))
			}
			resolved := slices.ContainsFunc(kinds(res.Transitions), func(s string) bool { return len(s) > 8 && s[:8] == "resolved" })
			if resolved != tt.wantResolved {
				t.Errorf("healthy again: got transitions %v, want a resolution: %v", kinds(res.Transitions), tt.wantResolved)
			}
		})
	}
}

// TestCrossCheckConfig checks the cross-check's thresholds are validated.
func TestCrossCheckConfig(t *testing.T) {
	c := DefaultConfig()
	c.CrossCheck.ToleranceShare = -0.1
	if err := c.Validate(); err == nil {
		t.Errorf("got no error for a negative tolerance share, want one")
	}
	if got := DefaultConfig().CrossCheck.Tolerance(); got.Watts != 50 || got.Share != 0.03 {
		t.Errorf("got default tolerance %+v, want 50 W + 3 %%", got)
	}
}
