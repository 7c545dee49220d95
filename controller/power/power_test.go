package power

import (
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/internal/inventory"
)

// fakeTelemetry is a static telemetry: device → power, and devices that are
// stale.
type fakeTelemetry struct {
	power map[string]float64
	stale map[string]bool
}

func (f fakeTelemetry) Latest(k telemetry.Key, now time.Time) (telemetry.Sample, bool) {
	v, ok := f.power[k.Device]
	if !ok || f.stale[k.Device] || k.Metric != collectors.PowerWatts {
		return telemetry.Sample{}, false
	}
	return telemetry.Sample{At: now, Value: v}, true
}

func (f fakeTelemetry) Fresh(device string, now time.Time) telemetry.Freshness {
	if f.stale[device] {
		return telemetry.Freshness{Reason: "poll-failed: timeout"}
	}
	return telemetry.Freshness{Fresh: true, LastOK: now}
}

type siteBudgets struct{ s *inventory.Site }

func (b siteBudgets) RackBudgetWatts(id string) float64 {
	var w float64
	b.s.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		if k.ID == id {
			w = k.BudgetWatts()
		}
		return w == 0
	})
	return w
}

func TestCompute(t *testing.T) {
	site := inventory.Reference(2) // H1-R01-K01 and H2-R01-K01
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		tel        fakeTelemetry
		wantStatus string
		wantDraw   *float64
		wantSite   Rollup
	}{
		{"both fresh", fakeTelemetry{power: map[string]float64{"H1-R01-K01-PA": 6000, "H1-R01-K01-PB": 6500, "H2-R01-K01-PA": 1000, "H2-R01-K01-PB": 1000}},
			StatusOK, ptr(12500), Rollup{Racks: 2, BudgetWatts: 30000, DrawWatts: 14500, Complete: true, HeadroomWatts: ptr(15500)}},
		{"warn", fakeTelemetry{power: map[string]float64{"H1-R01-K01-PA": 7000, "H1-R01-K01-PB": 6500, "H2-R01-K01-PA": 0, "H2-R01-K01-PB": 0}},
			StatusWarn, ptr(13500), Rollup{Racks: 2, BudgetWatts: 30000, DrawWatts: 13500, Complete: true, HeadroomWatts: ptr(16500)}},
		{"over", fakeTelemetry{power: map[string]float64{"H1-R01-K01-PA": 9000, "H1-R01-K01-PB": 8000, "H2-R01-K01-PA": 0, "H2-R01-K01-PB": 0}},
			StatusOver, ptr(17000), Rollup{Racks: 2, BudgetWatts: 30000, DrawWatts: 17000, Complete: true, HeadroomWatts: ptr(13000)}},
		{"one PDU stale makes the rack unknown, not smaller", fakeTelemetry{
			power: map[string]float64{"H1-R01-K01-PA": 6000, "H1-R01-K01-PB": 6500, "H2-R01-K01-PA": 1000, "H2-R01-K01-PB": 1000},
			stale: map[string]bool{"H1-R01-K01-PB": true}},
			StatusStale, nil, Rollup{Racks: 2, StaleRacks: 1, BudgetWatts: 30000, DrawWatts: 2000}},
		{"never seen", fakeTelemetry{}, StatusStale, nil, Rollup{Racks: 2, StaleRacks: 2, BudgetWatts: 30000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Compute(site, siteBudgets{site}, tt.tel, now)
			k, ok := rep.Rack("H1-R01-K01")
			if !ok {
				t.Fatal("rack H1-R01-K01 missing from the report")
			}
			if k.Status != tt.wantStatus {
				t.Errorf("got status %s, want %s", k.Status, tt.wantStatus)
			}
			if !eq(k.DrawWatts, tt.wantDraw) {
				t.Errorf("got draw %v, want %v", deref(k.DrawWatts), deref(tt.wantDraw))
			}
			if tt.wantDraw == nil && (k.HeadroomWatts != nil || k.UsedRatio != nil) {
				t.Errorf("got headroom %v used %v for a stale rack, want both unknown", deref(k.HeadroomWatts), deref(k.UsedRatio))
			}
			s := rep.Site
			w := tt.wantSite
			if s.Racks != w.Racks || s.StaleRacks != w.StaleRacks || s.BudgetWatts != w.BudgetWatts || s.DrawWatts != w.DrawWatts || s.Complete != w.Complete || !eq(s.HeadroomWatts, w.HeadroomWatts) {
				t.Errorf("got site rollup %+v (headroom %v), want %+v (headroom %v)", s, deref(s.HeadroomWatts), w, deref(w.HeadroomWatts))
			}
			if len(rep.Halls) != 2 || len(rep.Rows) != 2 {
				t.Errorf("got %d halls and %d rows, want 2 and 2", len(rep.Halls), len(rep.Rows))
			}
		})
	}
}

func ptr(v float64) *float64 { return &v }

func eq(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *float64) any {
	if p == nil {
		return "unknown"
	}
	return *p
}

// TestHallBudget gives a hall a supply limit below its racks' budgets: the
// hall's and the site's headroom follow the limit.
func TestHallBudget(t *testing.T) {
	site := inventory.Reference(2)
	site.Halls[0].BudgetKW = 10 // one 15 kW rack on a 10 kW supply
	tel := fakeTelemetry{power: map[string]float64{"H1-R01-K01-PA": 3000, "H1-R01-K01-PB": 3000, "H2-R01-K01-PA": 1000, "H2-R01-K01-PB": 1000}}
	rep := Compute(site, siteBudgets{site}, tel, time.Now())
	if h := rep.Halls[0]; h.BudgetWatts != 10000 || !eq(h.HeadroomWatts, ptr(4000)) {
		t.Errorf("got hall budget %v headroom %v, want 10000 and 4000", h.BudgetWatts, deref(h.HeadroomWatts))
	}
	if s := rep.Site; s.BudgetWatts != 25000 || !eq(s.HeadroomWatts, ptr(17000)) {
		t.Errorf("got site budget %v headroom %v, want 25000 and 17000", s.BudgetWatts, deref(s.HeadroomWatts))
	}
}
