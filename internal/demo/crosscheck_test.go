package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/inventory"
)

// crossCheckRules are the cross-check's alerts: a healthy site raises none.
var crossCheckRules = []alerts.Rule{alerts.PSUFeedMiswired, alerts.PSUNoDraw, alerts.FeedPowerUnexplained, alerts.ServerDrawsFromOtherRack}

// crossCheckFor is how long a cross-check finding must hold before its
// alert fires in these tests: short, so that a test takes seconds, yet
// several polls of every BMC and PDU (crossCheckInterval).
const (
	crossCheckFor      = 2 * time.Second
	crossCheckInterval = 500 * time.Millisecond

	crossCheckToleranceWatts = 25
	crossCheckToleranceShare = 0
	crossCheckLevel          = 0.8
)

// TestCrossCheckEndToEnd runs the demo with BMCs for its first rack, as
// 'dcplane demo --bmc-racks 1' does, with each server fault injected in
// turn: the simulated BMCs answer the agent over RMCP+, the agent pushes
// their readings to the controller, /v1/servers shows them (fresh, with
// watts), and the cross-check's alert fires naming the faulty server with
// its numbers. A healthy demo, watched for as long as the faults took to
// fire and at least the rules' duration, raises none of the three rules.
func TestCrossCheckEndToEnd(t *testing.T) {
	k := inventory.Reference(1).Halls[0].Rows[0].Racks[0]
	miswired, failed := largestServer(&k), k.Servers[0].ID
	var slowest time.Duration // the longest a fault took to fire
	for _, tt := range []struct {
		name             string
		miswire, psuFail []string
		rule             alerts.Rule
		server           string
	}{
		{"miswire", []string{miswired}, nil, alerts.PSUFeedMiswired, miswired},
		{"psu-fail", nil, []string{failed}, alerts.PSUNoDraw, failed},
		{"healthy", nil, nil, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			d := startCrossCheckDemo(ctx, t, tt.miswire, tt.psuFail)
			defer d.Close()
			started := time.Now()
			waitFor(ctx, t, "every BMC's readings in /v1/servers", func() error { return serversFresh(ctx, d, k.ID, len(k.Servers)) })
			if tt.rule == "" {
				watch := max(slowest, crossCheckFor+8*crossCheckInterval) - time.Since(started)
				expectNoCrossCheckAlert(ctx, t, d, watch)
				return
			}
			var got alerts.Alert
			waitFor(ctx, t, fmt.Sprintf("%s firing for %s", tt.rule, tt.server), func() error {
				var err error
				got, err = firingAlert(ctx, d, tt.rule, tt.server)
				return err
			})
			slowest = max(slowest, time.Since(started))
			if got.Object.Rack != k.ID || got.Value == 0 || !strings.Contains(got.Summary, tt.server) {
				t.Errorf("got %s on %+v, value %v W, summary %q; want rack %s, a value, and the server named",
					got.Rule, got.Object, got.Value, got.Summary, k.ID)
			}
		})
	}
}

// largestServer is the first of k's servers that draw the most: the one
// the cross-check names when one PSU's draw shows on the wrong feed. Sums
// per feed cannot tell apart servers that draw alike (the reference rack
// holds 44 servers of two near models): the alert names the first of
// them and lists the others as alike, so a test that miswires another
// would find it only in that list.
func largestServer(k *inventory.Rack) string {
	best := 0
	for i, s := range k.Servers {
		if s.MaxW > k.Servers[best].MaxW {
			best = i
		}
	}
	return k.Servers[best].ID
}

// startCrossCheckDemo starts a one-rack demo whose rack's servers have
// BMCs, with the cross-check's faults given, and alerts as the demo's but
// for the cross-check's: a shorter duration, and a tolerance of 25 W a
// feed instead of the production 50 W + 3 %, which covers PSU losses and
// unmetered devices that the simulation does not have. The 25 W cover
// what the simulation does have beside the readings' resolution (which
// the cross-check allows for itself: 44 PSUs a feed at 2 W a count, 44 W):
// the PDU's 10 W steps and the load's change between the PDU's sample and
// the BMCs' (up to 9 W/s a feed at this level). The rack draws 80 % of its
// budget, so that the miswired server's PSU moves some 135 W, seen on
// both feeds (270 W), well beyond what the readings can tell from nothing
// (the two feeds' limits, 138 W); at the demo's 50 % it moves 90 W, which
// the rounding of 88 PSUs and the load's change can hide.
func startCrossCheckDemo(ctx context.Context, t *testing.T, miswire, psuFail []string) *Demo {
	t.Helper()
	ac := alerts.DemoConfig()
	ac.CrossCheck.For = alerts.Duration(crossCheckFor)
	ac.CrossCheck.ToleranceWatts, ac.CrossCheck.ToleranceShare = crossCheckToleranceWatts, crossCheckToleranceShare
	d, err := Start(ctx, Config{Site: inventory.Reference(1), HTTPAddr: "127.0.0.1:0", Interval: crossCheckInterval, Level: crossCheckLevel,
		BMCRacks: 1, Miswire: miswire, PSUFail: psuFail, Alerts: &ac})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// serversFresh says (nil) whether /v1/servers shows want servers of rack,
// each fresh with its input power and every PSU's: the BMCs' readings
// went agent → push → controller.
func serversFresh(ctx context.Context, d *Demo, rack string, want int) error {
	list, err := d.Client().Servers(ctx, rack)
	if err != nil {
		return err
	}
	if len(list) != want {
		return fmt.Errorf("got %d servers of %s, want %d", len(list), rack, want)
	}
	for _, s := range list {
		if !s.Fresh || s.Watts == nil || len(s.PSUs) == 0 {
			return fmt.Errorf("server %s: fresh %v (%s), watts %v, %d PSUs; want fresh readings", s.ID, s.Fresh, s.Reason, s.Watts, len(s.PSUs))
		}
		for _, p := range s.PSUs {
			if p.Watts == nil {
				return fmt.Errorf("server %s PSU %d: no watts, want its reading", s.ID, p.Index)
			}
		}
	}
	return nil
}

// firingAlert is the firing alert of rule on server, or an error listing
// what the controller has instead.
func firingAlert(ctx context.Context, d *Demo, rule alerts.Rule, server string) (alerts.Alert, error) {
	l, err := d.Client().Alerts(ctx, api.AlertFilter{Rule: string(rule)})
	if err != nil {
		return alerts.Alert{}, err
	}
	var seen []string
	for _, a := range l.Alerts {
		if a.Rule == rule && a.Object.Server == server && a.Status == alerts.StatusFiring {
			return a, nil
		}
		seen = append(seen, fmt.Sprintf("%s %s %s: %s", a.Rule, a.Object, a.Status, a.Summary))
	}
	return alerts.Alert{}, fmt.Errorf("alerts of %s: %v", rule, seen)
}

// expectNoCrossCheckAlert fails t if any alert of crossCheckRules is
// pending or firing at any check during d.
func expectNoCrossCheckAlert(ctx context.Context, t *testing.T, d *Demo, watch time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, watch)
	defer cancel()
	tick := time.NewTicker(crossCheckInterval)
	defer tick.Stop()
	checks := 0
	for {
		l, err := d.Client().Alerts(ctx, api.AlertFilter{})
		if err == nil {
			checks++
			for _, a := range l.Alerts {
				if slices.Contains(crossCheckRules, a.Rule) && (a.Status == alerts.StatusPending || a.Status == alerts.StatusFiring) {
					t.Fatalf("healthy demo: got %s %s %s (%s), want none of %v", a.Rule, a.Object, a.Status, a.Summary, crossCheckRules)
				}
			}
		}
		select {
		case <-ctx.Done():
			if checks < 2 {
				t.Fatalf("healthy demo: %d checks of the alerts within %v, want several", checks, watch)
			}
			return
		case <-tick.C:
		}
	}
}
