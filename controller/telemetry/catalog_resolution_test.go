package telemetry

import (
	"math"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestResolutionBounds: a power reading's resolution is kept between 0
// (exclusive: a reading counts in steps) and what its device can draw, the
// bound of its power; past either it is dropped with its reason, for a
// device the catalog lacks too (below 0), and the other readings stay.
func TestResolutionBounds(t *testing.T) {
	bmc := &inventory.BMC{Address: "127.0.0.1:623", Credentials: "bmc"}
	site := &inventory.Site{Name: "s", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{{ID: "R1",
		Racks: []inventory.Rack{{ID: "K1", BudgetKW: 15,
			PDUs:    []inventory.PDU{{ID: "P1", Feed: "A", Phases: 1, VoltageV: 230, BreakerA: 16}},
			Servers: []inventory.Server{{ID: "S1", BMC: bmc, NameplateW: 800}}}}}}}}}
	res := func(v float64) collectors.Reading {
		return collectors.Reading{Metric: collectors.PowerResolutionWatts, Scope: collectors.ScopePSU, Index: 1, Value: v}
	}
	pduMax := 230 * 16 * RatingMargin
	for _, tt := range []struct {
		name   string
		device string
		value  float64
		reason Reason // "" kept
	}{
		{"a PSU's 4 W steps", "S1", 4, ""},
		{"DCMI's whole watts", "S1", 1, ""},
		{"a tenth of a watt", "S1", 0.1, ""},
		{"steps of the server's whole bound", "S1", 800 * RatingMargin, ""},
		{"steps past what the server can draw", "S1", 800*RatingMargin + 1, ReasonBeyondRating},
		{"no step", "S1", 0, ReasonImplausible},
		{"a negative step", "S1", -2, ReasonImplausible},
		{"NaN", "S1", math.NaN(), ReasonImplausible},
		{"a PDU's 10 W steps", "P1", 10, ""},
		{"steps past what the PDU carries", "P1", float64(pduMax) + 1, ReasonBeyondRating},
		{"a device the catalog lacks: any step", "X1", 1e6, ""},
		{"a device the catalog lacks: no step", "X1", 0, ReasonImplausible},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t0 := time.Unix(1_700_000_000, 0)
			w := New(4, 30*time.Second)
			w.SetCatalog(NewCatalog(site))
			got := w.Take([]collectors.Status{{Device: tt.device, At: t0, OK: true, Readings: []collectors.Reading{
				res(tt.value), {Metric: collectors.PowerWatts, Scope: collectors.ScopePSU, Index: 1, Value: 400},
			}}}, t0)
			_, kept := w.Latest(Key{tt.device, collectors.PowerResolutionWatts, collectors.ScopePSU, 1}, t0)
			if kept != (tt.reason == "") || (tt.reason != "" && got.DroppedReadings[tt.reason] != 1) {
				t.Errorf("%s at %v: got kept %v, dropped %v; want dropped for %q", tt.device, tt.value, kept, got.DroppedReadings, tt.reason)
			}
			if _, ok := w.Latest(Key{tt.device, collectors.PowerWatts, collectors.ScopePSU, 1}, t0); !ok {
				t.Error("the PSU's power: got dropped, want kept")
			}
		})
	}
}
