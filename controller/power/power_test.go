package power

import (
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/internal/inventory"
)

// fakeTelemetry is a static telemetry: device → power, and devices that are
// stale. Its two answers are independent: Latest answers for a stale
// device too, so that Compute's own staleness check is what the tests see
// (the real window's Latest also refuses stale devices; TestComputeWindow
// runs Compute on it).
type fakeTelemetry struct {
	power map[string]float64
	stale map[string]bool
}

func (f fakeTelemetry) Latest(k telemetry.Key, now time.Time) (telemetry.Sample, bool) {
	v, ok := f.power[k.Device]
	if !ok || k.Metric != collectors.PowerWatts || k.Scope != collectors.ScopeDevice {
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
	site := inventory.Reference(2) // H1-R01-K01 and H2-R01-K01, 15 kW each
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	// H1-R01-K01 draws a+b; H2-R01-K01 draws 2000.
	draws := func(a, b float64) map[string]float64 {
		return map[string]float64{"H1-R01-K01-PA": a, "H1-R01-K01-PB": b, "H2-R01-K01-PA": 1000, "H2-R01-K01-PB": 1000}
	}
	tests := []struct {
		name       string
		tel        fakeTelemetry
		wantStatus string
		wantDraw   *float64
		wantHead   *float64
		wantUsed   *float64
		wantReason string // of H1-R01-K01-PB
		wantSite   Rollup
	}{
		{"both fresh", fakeTelemetry{power: draws(6000, 6500)},
			StatusOK, ptr(12500), ptr(2500), ptr(12500.0 / 15000), "",
			Rollup{Racks: 2, BudgetWatts: 30000, DrawWatts: 14500, Complete: true, HeadroomWatts: ptr(15500), UsedRatio: ptr(14500.0 / 30000)}},
		{"just below warn", fakeTelemetry{power: draws(7000, 6499)},
			StatusOK, ptr(13499), ptr(1501), ptr(13499.0 / 15000), "",
			Rollup{Racks: 2, BudgetWatts: 30000, DrawWatts: 15499, Complete: true, HeadroomWatts: ptr(14501), UsedRatio: ptr(15499.0 / 30000)}},
		{"warn from 90 %", fakeTelemetry{power: draws(7000, 6500)},
			StatusWarn, ptr(13500), ptr(1500), ptr(0.9), "",
			Rollup{Racks: 2, BudgetWatts: 30000, DrawWatts: 15500, Complete: true, HeadroomWatts: ptr(14500), UsedRatio: ptr(15500.0 / 30000)}},
		{"at the budget is warn, not over", fakeTelemetry{power: draws(7500, 7500)},
			StatusWarn, ptr(15000), ptr(0), ptr(1), "",
			Rollup{Racks: 2, BudgetWatts: 30000, DrawWatts: 17000, Complete: true, HeadroomWatts: ptr(13000), UsedRatio: ptr(17000.0 / 30000)}},
		{"over", fakeTelemetry{power: draws(9000, 8000)},
			StatusOver, ptr(17000), ptr(-2000), ptr(17000.0 / 15000), "",
			Rollup{Racks: 2, BudgetWatts: 30000, DrawWatts: 19000, Complete: true, HeadroomWatts: ptr(11000), UsedRatio: ptr(19000.0 / 30000)}},
		{"one PDU stale makes the rack unknown, not smaller", fakeTelemetry{power: draws(6000, 6500), stale: map[string]bool{"H1-R01-K01-PB": true}},
			StatusStale, nil, nil, nil, "poll-failed: timeout",
			Rollup{Racks: 2, StaleRacks: 1, BudgetWatts: 30000, DrawWatts: 2000}},
		{"a fresh PDU without a power reading is unknown, not 0", fakeTelemetry{power: map[string]float64{"H1-R01-K01-PA": 6000, "H2-R01-K01-PA": 1000, "H2-R01-K01-PB": 1000}},
			StatusStale, nil, nil, nil, "no-input-power-reading",
			Rollup{Racks: 2, StaleRacks: 1, BudgetWatts: 30000, DrawWatts: 2000}},
		{"every PDU stale", fakeTelemetry{stale: map[string]bool{"H1-R01-K01-PA": true, "H1-R01-K01-PB": true, "H2-R01-K01-PA": true, "H2-R01-K01-PB": true}},
			StatusStale, nil, nil, nil, "poll-failed: timeout", Rollup{Racks: 2, StaleRacks: 2, BudgetWatts: 30000}},
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
			if !eq(k.DrawWatts, tt.wantDraw) || !eq(k.HeadroomWatts, tt.wantHead) || !eq(k.UsedRatio, tt.wantUsed) {
				t.Errorf("got draw %v headroom %v used %v, want %v, %v and %v", deref(k.DrawWatts), deref(k.HeadroomWatts), deref(k.UsedRatio),
					deref(tt.wantDraw), deref(tt.wantHead), deref(tt.wantUsed))
			}
			if len(k.PDUs) != 2 {
				t.Fatalf("got %d PDUs, want 2", len(k.PDUs))
			}
			if pb := k.PDUs[1]; pb.Stale != (tt.wantReason != "") || pb.StaleReason != tt.wantReason {
				t.Errorf("got PDU B stale %v (%q), want stale %v (%q)", pb.Stale, pb.StaleReason, tt.wantReason != "", tt.wantReason)
			}
			checkRollup(t, "site", rep.Site, tt.wantSite)
			if len(rep.Halls) != 2 || len(rep.Rows) != 2 {
				t.Errorf("got %d halls and %d rows, want 2 and 2", len(rep.Halls), len(rep.Rows))
			}
		})
	}
}

// checkRollup compares the sums and what follows from them; IDs are not
// compared.
func checkRollup(t *testing.T, what string, got, want Rollup) {
	t.Helper()
	if got.Racks != want.Racks || got.StaleRacks != want.StaleRacks || got.BudgetWatts != want.BudgetWatts || got.DrawWatts != want.DrawWatts ||
		got.Complete != want.Complete || !eq(got.HeadroomWatts, want.HeadroomWatts) || !eq(got.UsedRatio, want.UsedRatio) {
		t.Errorf("got %s rollup %+v (headroom %v, used %v), want %+v (headroom %v, used %v)", what,
			got, deref(got.HeadroomWatts), deref(got.UsedRatio), want, deref(want.HeadroomWatts), deref(want.UsedRatio))
	}
}

// TestComputeWindow runs the accounting on the real telemetry window, so
// that what the window says of a device's freshness reaches the report:
// the reason a PDU is stale and when it was last read.
func TestComputeWindow(t *testing.T) {
	site := inventory.Reference(1) // H1-R01-K01 with PDUs PA and PB
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	const staleAfter = 30 * time.Second
	ok := func(dev string, at time.Time, watts float64) collectors.Status {
		return collectors.Status{Device: dev, At: at, OK: true, Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: watts}}}
	}
	tests := []struct {
		name       string
		polls      []collectors.Status // each received when stamped
		now        time.Time
		wantStatus string
		wantDraw   *float64
		wantReason string     // of PB
		wantSeen   *time.Time // PB's LastSeen
	}{
		{"fresh", []collectors.Status{ok("H1-R01-K01-PA", t0, 6000), ok("H1-R01-K01-PB", t0, 5000)},
			t0.Add(time.Second), StatusOK, ptr(11000), "", &t0},
		{"still fresh at staleAfter", []collectors.Status{ok("H1-R01-K01-PA", t0, 6000), ok("H1-R01-K01-PB", t0, 5000)},
			t0.Add(staleAfter), StatusOK, ptr(11000), "", &t0},
		{"too old", []collectors.Status{ok("H1-R01-K01-PA", t0.Add(20*time.Second), 6000), ok("H1-R01-K01-PB", t0, 5000)},
			t0.Add(staleAfter + time.Second), StatusStale, nil, "too-old", &t0},
		{"newest poll failed", []collectors.Status{ok("H1-R01-K01-PA", t0, 6000), ok("H1-R01-K01-PB", t0, 5000),
			{Device: "H1-R01-K01-PB", At: t0.Add(time.Second), Reason: "timeout"}},
			t0.Add(2 * time.Second), StatusStale, nil, "poll-failed: timeout", &t0},
		{"never seen", []collectors.Status{ok("H1-R01-K01-PA", t0, 6000)},
			t0.Add(time.Second), StatusStale, nil, "never-seen", nil},
		{"answers without input power", []collectors.Status{ok("H1-R01-K01-PA", t0, 6000),
			{Device: "H1-R01-K01-PB", At: t0, OK: true, Readings: []collectors.Reading{{Metric: collectors.VoltageVolts, Scope: collectors.ScopePhase, Index: 1, Value: 230}}}},
			t0.Add(time.Second), StatusStale, nil, "no-input-power-reading", &t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := telemetry.New(4, staleAfter)
			for _, p := range tt.polls {
				w.Ingest([]collectors.Status{p}, p.At)
			}
			rep := Compute(site, siteBudgets{site}, w, tt.now)
			k, _ := rep.Rack("H1-R01-K01")
			if k == nil || len(k.PDUs) != 2 {
				t.Fatalf("got rack %+v, want H1-R01-K01 with two PDUs", k)
			}
			if k.Status != tt.wantStatus || !eq(k.DrawWatts, tt.wantDraw) {
				t.Errorf("got %s with draw %v, want %s with draw %v", k.Status, deref(k.DrawWatts), tt.wantStatus, deref(tt.wantDraw))
			}
			pb := k.PDUs[1]
			if pb.Stale != (tt.wantReason != "") || pb.StaleReason != tt.wantReason {
				t.Errorf("got PB stale %v (%q), want stale %v (%q)", pb.Stale, pb.StaleReason, tt.wantReason != "", tt.wantReason)
			}
			if (pb.LastSeen == nil) != (tt.wantSeen == nil) || (pb.LastSeen != nil && !pb.LastSeen.Equal(*tt.wantSeen)) {
				t.Errorf("got PB last seen %v, want %v", pb.LastSeen, tt.wantSeen)
			}
			if pb.Stale && pb.PowerWatts != nil {
				t.Errorf("got power %v for a stale PDU, want unknown", *pb.PowerWatts)
			}
		})
	}
}

// rack returns a rack of budgetKW with two 3-phase 32 A PDUs, IDs ID-PA
// and ID-PB.
func rack(id string, budgetKW float64) inventory.Rack {
	k := inventory.Rack{ID: id, BudgetKW: budgetKW, Feeds: []string{"A", "B"}}
	for _, f := range k.Feeds {
		k.PDUs = append(k.PDUs, inventory.PDU{ID: id + "-P" + f, Feed: f, Phases: 3, VoltageV: 230, BreakerA: 32})
	}
	return k
}

// TestRollups sums racks into rows, rows into halls and halls into the
// site, with budgets from Budgets (an override differs from the
// inventory), one stale rack, and a hall with a supply limit.
func TestRollups(t *testing.T) {
	site := &inventory.Site{Name: "s", Halls: []inventory.Hall{
		{ID: "H1", Rows: []inventory.Row{
			{ID: "R1", Racks: []inventory.Rack{rack("K1", 10), rack("K2", 10)}},
			{ID: "R2", Racks: []inventory.Rack{rack("K3", 10)}},
		}},
		{ID: "H2", BudgetKW: 12, Rows: []inventory.Row{
			{ID: "R3", Racks: []inventory.Rack{rack("K4", 10), rack("K5", 10)}},
		}},
	}}
	budgets := mapBudgets{"K1": 8000, "K2": 10000, "K3": 10000, "K4": 10000, "K5": 10000} // K1 overridden down
	tel := fakeTelemetry{
		power: map[string]float64{"K1-PA": 3000, "K1-PB": 3000, "K2-PA": 1000, "K2-PB": 1000, "K3-PA": 2000, "K3-PB": 500,
			"K4-PA": 2500, "K4-PB": 2500, "K5-PA": 700, "K5-PB": 300},
		stale: map[string]bool{"K3-PB": true},
	}
	rep := Compute(site, budgets, tel, time.Now())
	if k, _ := rep.Rack("K1"); k == nil || k.BudgetWatts != 8000 || !eq(k.HeadroomWatts, ptr(2000)) || k.Status != StatusOK {
		t.Errorf("got K1 %+v, want the 8000 W override as its budget, headroom 2000", k)
	}
	wantRows := []Rollup{
		{Racks: 2, BudgetWatts: 18000, DrawWatts: 8000, Complete: true, HeadroomWatts: ptr(10000), UsedRatio: ptr(8000.0 / 18000)},
		{Racks: 1, StaleRacks: 1, BudgetWatts: 10000},
		{Racks: 2, BudgetWatts: 20000, DrawWatts: 6000, Complete: true, HeadroomWatts: ptr(14000), UsedRatio: ptr(0.3)},
	}
	if len(rep.Rows) != len(wantRows) {
		t.Fatalf("got %d rows, want %d", len(rep.Rows), len(wantRows))
	}
	for i, w := range wantRows {
		checkRollup(t, "row "+rep.Rows[i].ID, rep.Rows[i], w)
	}
	if r := rep.Rows[2]; r.ID != "R3" || r.Hall != "H2" {
		t.Errorf("got row %s of hall %s, want R3 of H2", r.ID, r.Hall)
	}
	if len(rep.Halls) != 2 {
		t.Fatalf("got %d halls, want 2", len(rep.Halls))
	}
	checkRollup(t, "hall H1", rep.Halls[0], Rollup{Racks: 3, StaleRacks: 1, BudgetWatts: 28000, DrawWatts: 8000})
	// H2's 12 kW supply limit, not its racks' 20 kW, bounds its headroom.
	checkRollup(t, "hall H2", rep.Halls[1], Rollup{Racks: 2, BudgetWatts: 12000, DrawWatts: 6000, Complete: true, HeadroomWatts: ptr(6000), UsedRatio: ptr(0.5)})
	checkRollup(t, "site", rep.Site, Rollup{Racks: 5, StaleRacks: 1, BudgetWatts: 40000, DrawWatts: 14000})
	if rep.Site.ID != "s" || rep.Halls[1].ID != "H2" {
		t.Errorf("got site %q and hall %q, want s and H2", rep.Site.ID, rep.Halls[1].ID)
	}
}

// TestRackEdges covers racks the accounting cannot divide by or sum.
func TestRackEdges(t *testing.T) {
	noPDUs := inventory.Rack{ID: "K0", BudgetKW: 10}
	site := &inventory.Site{Name: "s", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{
		{ID: "R1", Racks: []inventory.Rack{noPDUs, rack("K1", 10)}},
	}}}}
	tel := fakeTelemetry{power: map[string]float64{"K1-PA": 500, "K1-PB": 500}}
	t.Run("a rack without PDUs is unknown, not 0", func(t *testing.T) {
		rep := Compute(site, mapBudgets{"K0": 10000, "K1": 10000}, tel, time.Now())
		if k, _ := rep.Rack("K0"); k == nil || k.Status != StatusStale || k.DrawWatts != nil {
			t.Errorf("got %+v, want K0 stale with draw unknown", k)
		}
		checkRollup(t, "row", rep.Rows[0], Rollup{Racks: 2, StaleRacks: 1, BudgetWatts: 20000, DrawWatts: 1000})
	})
	t.Run("a zero budget has no share used", func(t *testing.T) {
		rep := Compute(site, mapBudgets{}, tel, time.Now())
		k, _ := rep.Rack("K1")
		if k == nil || k.UsedRatio != nil || k.Status != StatusOver || !eq(k.HeadroomWatts, ptr(-1000)) {
			t.Errorf("got %+v, want K1 over with headroom -1000 and no share used", k)
		}
		site.Halls[0].Rows[0].Racks = site.Halls[0].Rows[0].Racks[1:]
		rep = Compute(site, mapBudgets{}, tel, time.Now())
		if s := rep.Site; !s.Complete || s.UsedRatio != nil {
			t.Errorf("got site used %v, want none of a zero budget", deref(s.UsedRatio))
		}
	})
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
