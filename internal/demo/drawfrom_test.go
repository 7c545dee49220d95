package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/sim"
)

// TestDrawFromEndToEnd runs a two-rack demo with BMCs for both racks and
// one server of the first plugged into the second's PDUs, as
// 'dcplane demo --draw-from SERVER=RACK' does: the cross-check alerts
// ServerDrawsFromOtherRack on the first rack, naming the second and the
// server (named, or among those that draw alike, which the sums cannot
// tell apart).
func TestDrawFromEndToEnd(t *testing.T) {
	site := inventory.Reference(2)
	var racks []*inventory.Rack
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		racks = append(racks, k)
		return true
	})
	from, to := racks[0], racks[1]
	moved := largestServer(from)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ac := alerts.DemoConfig()
	ac.CrossCheck.For = alerts.Duration(crossCheckFor)
	ac.CrossCheck.ToleranceWatts, ac.CrossCheck.ToleranceShare = crossCheckToleranceWatts, crossCheckToleranceShare
	d, err := Start(ctx, Config{Site: site, HTTPAddr: "127.0.0.1:0", Interval: crossCheckInterval, Level: crossCheckLevel,
		BMCRacks: 2, DrawFrom: []string{moved + "=" + to.ID}, Alerts: &ac})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var got alerts.Alert
	waitFor(ctx, t, fmt.Sprintf("ServerDrawsFromOtherRack firing on %s", from.ID), func() error {
		l, err := d.Client().Alerts(ctx, api.AlertFilter{Rule: string(alerts.ServerDrawsFromOtherRack)})
		if err != nil {
			return err
		}
		var seen []string
		for _, a := range l.Alerts {
			if a.Object.Rack == from.ID && a.Status == alerts.StatusFiring {
				got = a
				return nil
			}
			seen = append(seen, fmt.Sprintf("%s %s: %s", a.Object, a.Status, a.Summary))
		}
		return fmt.Errorf("alerts of ServerDrawsFromOtherRack: %v", seen)
	})
	if !strings.Contains(got.Summary, "appears to draw from rack "+to.ID) || !strings.Contains(got.Summary, moved) {
		t.Errorf("got %q, want it to name rack %s and server %s (named or alike)", got.Summary, to.ID, moved)
	}
}

// TestDrawFromErrors: a malformed or impossible --draw-from fails Start,
// naming the flag.
func TestDrawFromErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for _, tc := range []struct {
		move string
		want error
	}{
		{"H1-R01-K01-S01", sim.ErrBadConfig},
		{"H1-R01-K01-S01=NO-SUCH-RACK", sim.ErrUnknown},
	} {
		d, err := Start(ctx, Config{Site: inventory.Reference(2), HTTPAddr: "127.0.0.1:0", Interval: crossCheckInterval,
			BMCRacks: 2, DrawFrom: []string{tc.move}})
		if err == nil {
			d.Close()
		}
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "--draw-from") {
			t.Errorf("--draw-from %s: got %v, want %v naming the flag", tc.move, err, tc.want)
		}
	}
}
