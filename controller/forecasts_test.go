package controller_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/forecast"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestForecastEndpoint feeds the leader's history ten days of one rack
// growing 200 W a day toward its budget, and reads /v1/forecast: that rack
// is forecast to fill within the horizon, the other rack, with a day of
// history, is unknown and says why, and the rollups of incomplete racks
// have no history at all.
func TestForecastEndpoint(t *testing.T) {
	n, c := openSite(t, t.TempDir(), inventory.Reference(2))
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	for d := 10; d >= 1; d-- {
		day := now.Add(-time.Duration(d) * 24 * time.Hour)
		for m := 0; m < 24*60; m += 5 {
			at := day.Truncate(24 * time.Hour).Add(time.Duration(m) * time.Minute)
			n.ObserveHistory(forecast.Key{Kind: forecast.KindRack, ID: "H1-R01-K01"}, at, 12000+200*float64(10-d))
			if d == 1 {
				n.ObserveHistory(forecast.Key{Kind: forecast.KindRack, ID: "H2-R01-K01"}, at, 9000)
			}
		}
	}
	n.Evaluate(ctx, now)
	rep, err := c.Forecast(ctx, api.ForecastFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]api.ForecastObject{}
	for _, o := range rep.Objects {
		got[o.ID] = o
	}
	if o := got["H1-R01-K01"]; o.Status != api.ForecastWithin || o.DaysToFull == nil || *o.DaysToFull < 5 || *o.DaysToFull > 20 || o.HistoryDays < 9 {
		t.Errorf("growing rack: got %+v, want within 5 to 20 days", o)
	}
	if o := got["H2-R01-K01"]; o.Status != api.ForecastUnknown || o.HistoryDays != 1 || !strings.Contains(o.Why, "3 needed") {
		t.Errorf("rack with a day of history: got %+v, want unknown, 1 day of 3 needed", o)
	}
	if o := got["H1"]; o.Kind != "hall" || o.Status != api.ForecastUnknown || !strings.Contains(o.Why, "no history") {
		t.Errorf("hall: got %+v, want unknown with no history", o)
	}
	if len(rep.Objects) == 0 || rep.Objects[0].Kind != "hall" || rep.Objects[len(rep.Objects)-1].Kind != "rack" {
		t.Errorf("order: got %+v, want halls first, racks last", rep.Objects)
	}
	if r, err := c.Forecast(ctx, api.ForecastFilter{Row: "H1-R01"}); err != nil || len(r.Objects) != 2 {
		t.Errorf("forecast of row H1-R01: got %+v, %v, want the row and its rack", r, err)
	}
}
