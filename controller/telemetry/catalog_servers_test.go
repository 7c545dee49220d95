package telemetry

import (
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestCatalogHasBMCServers: a server with a BMC is in the catalog with its
// hall (so an agent held to that hall may report it) and a power bound:
// its nameplate, else its rack's budget, times RatingMargin; a server
// without a BMC is not.
func TestCatalogHasBMCServers(t *testing.T) {
	bmc := &inventory.BMC{Address: "127.0.0.1:623", Credentials: "bmc"}
	site := &inventory.Site{Name: "s", Halls: []inventory.Hall{{ID: "H2", Rows: []inventory.Row{{ID: "R1",
		Racks: []inventory.Rack{{ID: "K1", BudgetKW: 15, Servers: []inventory.Server{
			{ID: "S1", BMC: bmc, NameplateW: 800},
			{ID: "S2", BMC: bmc},
			{ID: "S3"},
		}}}}}}}}
	c := NewCatalog(site)
	for id, want := range map[string]float64{"S1": 800 * RatingMargin, "S2": 15000 * RatingMargin} {
		d, ok := c.Device(id)
		if !ok || d.Hall != "H2" || d.Rating[collectors.PowerWatts] != want {
			t.Errorf("%s: got %+v (%v), want hall H2 and power at most %.0f W", id, d, ok, want)
		}
	}
	if _, ok := c.Device("S3"); ok {
		t.Error("S3 has no BMC: got it in the catalog, want it absent")
	}
	t0 := time.Unix(1_700_000_000, 0)
	w := New(4, 30*time.Second)
	w.SetCatalog(c)
	res := w.Take([]collectors.Status{{Device: "S1", At: t0, OK: true, Readings: []collectors.Reading{
		{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 1e17},
		{Metric: collectors.PowerWatts, Scope: collectors.ScopePSU, Index: 1, Value: 400},
	}}}, t0)
	if got := res.DroppedReadings[ReasonBeyondRating]; got != 1 {
		t.Errorf("a server reported at 1e17 W: got %d dropped beyond its rating (%+v), want 1", got, res)
	}
}
