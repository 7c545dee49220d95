package controller

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/controller/whatif"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
)

// collectorOf makes a collector of a describe and a collect function.
type collectorOf struct {
	describe func(chan<- *prometheus.Desc)
	collect  func(chan<- prometheus.Metric)
}

func (c collectorOf) Describe(ch chan<- *prometheus.Desc) { c.describe(ch) }
func (c collectorOf) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

var m0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// metricsSite is hall H1, row R1: rack K1 with a three-phase 250 V PDU on
// feed A (40 A breaker: 32 A derated) and one on B (20 A: 16 A derated);
// rack K2 likewise; row R1 cooled by C1 (20 kW), C2 (30 kW) and C3 (10 kW).
func metricsSite() *inventory.Site {
	pdu := func(id, feed string, breaker float64) inventory.PDU {
		return inventory.PDU{ID: id, Feed: feed, Phases: 3, VoltageV: 250, BreakerA: breaker}
	}
	rack := func(id string) inventory.Rack {
		return inventory.Rack{ID: id, BudgetKW: 15, Feeds: []string{"A", "B"}, PDUs: []inventory.PDU{pdu(id+"-A", "A", 40), pdu(id+"-B", "B", 20)}}
	}
	return &inventory.Site{Name: "dc", Halls: []inventory.Hall{{ID: "H1", Rows: []inventory.Row{{ID: "R1",
		Racks:   []inventory.Rack{rack("K1"), rack("K2")},
		Cooling: []inventory.CoolingUnit{{ID: "C1", CapacityKW: 20}, {ID: "C2", CapacityKW: 30}, {ID: "C3", CapacityKW: 10}},
	}}}}}
}

// poll is a good poll of a device at m0.
func poll(dev string, rs ...collectors.Reading) collectors.Status {
	return collectors.Status{Device: dev, At: m0, OK: true, Readings: rs}
}

func phases(amps ...float64) []collectors.Reading {
	var out []collectors.Reading
	for i, a := range amps {
		out = append(out, collectors.Reading{Metric: collectors.CurrentAmperes, Scope: collectors.ScopePhase, Index: i + 1, Value: a})
	}
	return out
}

func window(t *testing.T, polls ...collectors.Status) *telemetry.Window {
	t.Helper()
	w := telemetry.New(8, time.Minute)
	if n := w.Ingest(polls, m0); n != len(polls) {
		t.Fatalf("got %d polls accepted, want %d", n, len(polls))
	}
	return w
}

// TestFeedMetrics: phase currents as measured and absent while unknown;
// breakers from the inventory; the failover margin of a rack whose every
// PDU is known, in amps × volts, negative when already past, and absent
// for a rack with a stale PDU, for both feeds failing.
func TestFeedMetrics(t *testing.T) {
	site := metricsSite()
	// K1: A carries 10, 5, 5 A and B 8, 6, 6 A. Were A to fail, B would
	// carry 18, 11, 11 A against 16 A: -2 A × 250 V = -500 W. Were B to
	// fail, A would carry 18, 11, 11 A against 32 A: 14 A × 250 V = 3500 W.
	// K2-B does not answer: K2's margins are unknown, and so its phases.
	w := window(t, poll("K1-A", phases(10, 5, 5)...), poll("K1-B", phases(8, 6, 6)...), poll("K2-A", phases(1, 1, 1)...),
		collectors.Status{Device: "K2-B", At: m0, Err: "timeout"})
	m := newFeedMetrics()
	c := collectorOf{m.describe, func(ch chan<- prometheus.Metric) {
		m.collect(ch, site, alerts.ReadDevices(site, w, m0), whatif.WindowReadings{Window: w, At: m0})
	}}
	want := `
# HELP dcplane_rack_failover_margin_watts ` + help(t, m.margin) + `
# TYPE dcplane_rack_failover_margin_watts gauge
dcplane_rack_failover_margin_watts{feed="A",hall="H1",rack="K1",row="R1"} -500
dcplane_rack_failover_margin_watts{feed="B",hall="H1",rack="K1",row="R1"} 3500
# HELP dcplane_pdu_phase_current_amperes ` + help(t, m.phaseAmps) + `
# TYPE dcplane_pdu_phase_current_amperes gauge
dcplane_pdu_phase_current_amperes{feed="A",hall="H1",pdu="K1-A",phase="1",rack="K1",row="R1"} 10
dcplane_pdu_phase_current_amperes{feed="A",hall="H1",pdu="K1-A",phase="2",rack="K1",row="R1"} 5
dcplane_pdu_phase_current_amperes{feed="A",hall="H1",pdu="K1-A",phase="3",rack="K1",row="R1"} 5
dcplane_pdu_phase_current_amperes{feed="A",hall="H1",pdu="K2-A",phase="1",rack="K2",row="R1"} 1
dcplane_pdu_phase_current_amperes{feed="A",hall="H1",pdu="K2-A",phase="2",rack="K2",row="R1"} 1
dcplane_pdu_phase_current_amperes{feed="A",hall="H1",pdu="K2-A",phase="3",rack="K2",row="R1"} 1
dcplane_pdu_phase_current_amperes{feed="B",hall="H1",pdu="K1-B",phase="1",rack="K1",row="R1"} 8
dcplane_pdu_phase_current_amperes{feed="B",hall="H1",pdu="K1-B",phase="2",rack="K1",row="R1"} 6
dcplane_pdu_phase_current_amperes{feed="B",hall="H1",pdu="K1-B",phase="3",rack="K1",row="R1"} 6
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "dcplane_rack_failover_margin_watts", "dcplane_pdu_phase_current_amperes"); err != nil {
		t.Error(err)
	}
	if got := testutil.CollectAndCount(c, "dcplane_pdu_phase_breaker_amperes"); got != 12 {
		t.Errorf("got %d breaker series, want 12 (4 PDUs × 3 phases, stale or not)", got)
	}
}

// help is a descriptor's help text, as the exposition format writes it.
func help(t *testing.T, d *prometheus.Desc) string {
	t.Helper()
	s := d.String()
	const key = `help: "`
	i := strings.Index(s, key)
	j := strings.Index(s, `", constLabels`)
	if i < 0 || j < i {
		t.Fatalf("no help in %s", s)
	}
	return strings.ReplaceAll(s[i+len(key):j], `\"`, `"`)
}

func reading(m collectors.Metric, scope collectors.Scope, index int, v float64) collectors.Reading {
	return collectors.Reading{Metric: m, Scope: scope, Index: index, Value: v}
}

// TestCoolingMetrics: the row's capacity and N+1 capacity (less its
// largest unit) from the inventory; a unit's state, output and hottest
// inlet sensor as it reports them, absent when it does not (C3) or is
// stale (C2);
// a rack's hottest PDU probe, absent when a PDU of the rack is stale.
func TestCoolingMetrics(t *testing.T) {
	site := metricsSite()
	temp := func(i int, c float64) collectors.Reading {
		return reading(collectors.TemperatureCelsius, collectors.ScopeSensor, i, c)
	}
	w := window(t,
		poll("C1", reading(collectors.UnitRunning, collectors.ScopeDevice, 0, 1), reading(collectors.CoolingOutputWatts, collectors.ScopeDevice, 0, 12000),
			temp(1, 24.5), temp(2, 26)),
		collectors.Status{Device: "C2", At: m0, Err: "timeout"},
		poll("C3", reading(collectors.FanSpeedPercent, collectors.ScopeDevice, 0, 40)), // fresh, and says nothing more
		poll("K1-A", temp(1, 22)), poll("K1-B", temp(1, 23.5)),
		poll("K2-A", temp(1, 30)), collectors.Status{Device: "K2-B", At: m0, Err: "timeout"})
	m := newCoolingMetrics()
	c := collectorOf{m.describe, func(ch chan<- prometheus.Metric) {
		m.collect(ch, site, alerts.ReadDevices(site, w, m0), w, m0)
	}}
	var want strings.Builder
	for _, f := range []struct {
		d     *prometheus.Desc
		lines string
	}{
		{m.rowCapacity, `dcplane_row_cooling_capacity_watts{hall="H1",row="R1"} 60000`},
		{m.rowNPlus1, `dcplane_row_cooling_n_plus_1_watts{hall="H1",row="R1"} 30000`},
		{m.unitStale, `dcplane_cooling_unit_telemetry_stale{hall="H1",row="R1",unit="C1"} 0
dcplane_cooling_unit_telemetry_stale{hall="H1",row="R1",unit="C2"} 1
dcplane_cooling_unit_telemetry_stale{hall="H1",row="R1",unit="C3"} 0`},
		{m.unitRunning, `dcplane_cooling_unit_running{hall="H1",row="R1",unit="C1"} 1`},
		{m.unitOutput, `dcplane_cooling_unit_output_watts{hall="H1",row="R1",unit="C1"} 12000`},
		{m.unitInlet, `dcplane_cooling_unit_inlet_temperature_celsius{hall="H1",row="R1",unit="C1"} 26`},
		{m.rackInlet, `dcplane_rack_inlet_temperature_celsius{hall="H1",rack="K1",row="R1"} 23.5`},
	} {
		name := strings.Fields(f.lines)[0]
		name = name[:strings.Index(name, "{")]
		want.WriteString("# HELP " + name + " " + help(t, f.d) + "\n# TYPE " + name + " gauge\n" + f.lines + "\n")
	}
	names := []string{"dcplane_row_cooling_capacity_watts", "dcplane_row_cooling_n_plus_1_watts", "dcplane_cooling_unit_telemetry_stale",
		"dcplane_cooling_unit_running", "dcplane_cooling_unit_output_watts", "dcplane_cooling_unit_inlet_temperature_celsius",
		"dcplane_rack_inlet_temperature_celsius"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want.String()), names...); err != nil {
		t.Error(err)
	}
}

// TestForecastMetrics: a forecast within the horizon has its time to
// full; beyond it, only the flag; unknown, neither, and known 0; before
// any forecast, nothing.
func TestForecastMetrics(t *testing.T) {
	days := 12
	rep := &wire.ForecastReport{HorizonDays: 90, Objects: []wire.ForecastObject{
		{Kind: "hall", ID: "H1", Status: wire.ForecastBeyond},
		{Kind: "row", ID: "R1", Hall: "H1", Status: wire.ForecastUnknown},
		{Kind: "rack", ID: "K1", Hall: "H1", Row: "R1", Status: wire.ForecastWithin, DaysToFull: &days},
	}}
	m := newForecastMetrics()
	for _, tt := range []struct {
		name string
		rep  *wire.ForecastReport
		want string
	}{
		{"none yet", nil, ""},
		{"within, beyond and unknown", rep, `
# HELP dcplane_forecast_time_to_full_seconds ` + help(t, m.toFull) + `
# TYPE dcplane_forecast_time_to_full_seconds gauge
dcplane_forecast_time_to_full_seconds{hall="H1",rack="K1",row="R1"} 1.0368e+06
# HELP dcplane_forecast_beyond_horizon ` + help(t, m.beyond) + `
# TYPE dcplane_forecast_beyond_horizon gauge
dcplane_forecast_beyond_horizon{hall="H1",rack="",row=""} 1
dcplane_forecast_beyond_horizon{hall="H1",rack="K1",row="R1"} 0
# HELP dcplane_forecast_known ` + help(t, m.known) + `
# TYPE dcplane_forecast_known gauge
dcplane_forecast_known{hall="H1",rack="",row=""} 1
dcplane_forecast_known{hall="H1",rack="",row="R1"} 0
dcplane_forecast_known{hall="H1",rack="K1",row="R1"} 1
# HELP dcplane_forecast_horizon_seconds ` + help(t, m.horizon) + `
# TYPE dcplane_forecast_horizon_seconds gauge
dcplane_forecast_horizon_seconds 7.776e+06
`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := collectorOf{m.describe, func(ch chan<- prometheus.Metric) { m.collect(ch, tt.rep) }}
			if err := testutil.CollectAndCompare(c, strings.NewReader(tt.want)); err != nil {
				t.Error(err)
			}
		})
	}
}
