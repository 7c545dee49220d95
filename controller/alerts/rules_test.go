package alerts

import (
	"math"
	"slices"
	"testing"
	"time"
)

// TestRules evaluates the test site once, with every `for` 0, and lists
// what fires. The numbers are worked by hand: a 15 kW rack warns at 12 kW,
// is critical at 14.25 kW and over budget above 15 kW; a 32 A phase may
// carry 25.6 A (80 %); row R1's N+1 cooling is 10 + 20 + 30 − 30 = 30 kW.
func TestRules(t *testing.T) {
	tests := []struct {
		name string
		edit func(in *Input)
		want []string
	}{
		{"quiet", func(*Input) {}, nil},
		// Rack power: K1 draws K1-A + K1-B.
		{"under 80 %", rackDraws("K1", 11999), nil},
		{"at 80 %", rackDraws("K1", 12000), []string{"RackPowerWarning rack K1 firing 12000/12000"}},
		{"at 95 %", rackDraws("K1", 14250), []string{
			"RackPowerCritical rack K1 firing 14250/14250", "RackPowerWarning rack K1 firing 14250/12000"}},
		{"at the budget is not over it", rackDraws("K1", 15000), []string{
			"RackPowerCritical rack K1 firing 15000/14250", "RackPowerWarning rack K1 firing 15000/12000"}},
		{"over the budget", rackDraws("K1", 15002), []string{
			"RackOverBudget rack K1 firing 15002/15000", "RackPowerCritical rack K1 firing 15002/14250", "RackPowerWarning rack K1 firing 15002/12000"}},
		{"a budget override", func(in *Input) {
			rackDraws("K1", 15002)(in)
			in.Budgets = map[string]float64{"K1": 20000}
		}, nil},
		// A stale PDU is not 0 W: K1-B alone draws 13 kW, but K1's draw is
		// unknown, so no rack power alert (as K1-A = 0 would give 13 kW ≥
		// 12 kW) and the PDU raises TelemetryStale.
		{"a stale PDU raises TelemetryStale, not a rack alert", func(in *Input) {
			rackDraws("K1", 26000)(in)
			d := in.Devices["K1-A"]
			d.Fresh, d.Reason = false, "poll-failed: timeout"
			in.Devices["K1-A"] = d
		}, []string{"TelemetryStale PDU K1-A firing 0/0"}},
		{"a PDU never read", func(in *Input) { delete(in.Devices, "K2-B") }, []string{"TelemetryStale PDU K2-B firing 3600/0"}},
		{"a PDU without input power", func(in *Input) {
			d := in.Devices["K2-B"]
			d.Watts = nil
			in.Devices["K2-B"] = d
		}, []string{"TelemetryStale PDU K2-B firing 0/0"}},
		{"a stale cooling unit", func(in *Input) { in.Devices["C2"] = Device{Reason: "too-old", LastOK: t0.Add(-90 * time.Second)} },
			[]string{"TelemetryStale cooling unit C2 firing 90/0"}},
		// Redundancy: lose A and K1-B's phase j carries a_j + b_j.
		{"both feeds at the derated limit", amps(map[string][]float64{"K1-A": {12.8, 12.8, 12.8}, "K1-B": {12.8, 12.8, 12.8}}), nil},
		{"redundancy lost on every phase", amps(map[string][]float64{"K1-A": {13, 13, 13}, "K1-B": {13, 13, 13}}), []string{
			"RedundancyLost PDU K1-A L1 if feed B fails firing 26/25.6",
			"RedundancyLost PDU K1-A L2 if feed B fails firing 26/25.6",
			"RedundancyLost PDU K1-A L3 if feed B fails firing 26/25.6",
			"RedundancyLost PDU K1-B L1 if feed A fails firing 26/25.6",
			"RedundancyLost PDU K1-B L2 if feed A fails firing 26/25.6",
			"RedundancyLost PDU K1-B L3 if feed A fails firing 26/25.6",
		}},
		// 34 A in all is far under 3 × 25.6 A: only L1 is over, and an
		// imbalance (L1 20 A against a mean of 8 A).
		{"redundancy is judged per phase", amps(map[string][]float64{"K1-A": {20, 2, 2}, "K1-B": {6, 2, 2}}), []string{
			"PhaseImbalance PDU K1-A firing 1.5/0.2",
			"RedundancyLost PDU K1-A L1 if feed B fails firing 26/25.6",
			"RedundancyLost PDU K1-B L1 if feed A fails firing 26/25.6",
		}},
		// K3: lose A (two PDUs) and K3-B takes both; lose B and each A
		// PDU takes half of it: 10 + 3 = 13 A.
		{"two PDUs on one feed", amps(map[string][]float64{"K3-A1": {10, 10, 10}, "K3-A2": {10, 10, 10}, "K3-B": {6, 6, 6}}), []string{
			"RedundancyLost PDU K3-B L1 if feed A fails firing 26/25.6",
			"RedundancyLost PDU K3-B L2 if feed A fails firing 26/25.6",
			"RedundancyLost PDU K3-B L3 if feed A fails firing 26/25.6",
		}},
		{"one PDU stale: redundancy unknown, not judged", func(in *Input) {
			amps(map[string][]float64{"K1-B": {26, 26, 26}})(in)
			in.Devices["K1-A"] = Device{Reason: "too-old"}
		}, []string{
			"PhaseCurrentHigh PDU K1-B L1 firing 26/25.6", "PhaseCurrentHigh PDU K1-B L2 firing 26/25.6",
			"PhaseCurrentHigh PDU K1-B L3 firing 26/25.6", "TelemetryStale PDU K1-A firing 3600/0",
		}},
		// Phase current: 80 % of 32 A.
		{"phases just under 80 %", amps(map[string][]float64{"K2-A": {25.5, 25.5, 25.5}, "K2-B": {0, 0, 0}}), nil},
		{"phases at 80 %", amps(map[string][]float64{"K2-A": {25.6, 25.6, 25.6}, "K2-B": {0, 0, 0}}), []string{
			"PhaseCurrentHigh PDU K2-A L1 firing 25.6/25.6", "PhaseCurrentHigh PDU K2-A L2 firing 25.6/25.6",
			"PhaseCurrentHigh PDU K2-A L3 firing 25.6/25.6",
		}},
		// Without current per phase: 5,888 W / 230 V = 25.6 A.
		{"current from phase power", func(in *Input) {
			d := in.Devices["K2-A"]
			d.PhaseAmps, d.PhaseWatts = nil, []float64{5888, 0, 0}
			in.Devices["K2-A"] = d
			amps(map[string][]float64{"K2-B": {0, 0, 0}})(in)
		}, []string{"PhaseCurrentHigh PDU K2-A L1 firing 25.6/25.6", "PhaseImbalance PDU K2-A firing 2/0.2"}},
		// Without either: 17,664 W / 3 / 230 V = 25.6 A a phase; K2's
		// budget raised so that its draw does not alert.
		{"current from input power", func(in *Input) {
			w := 17664.0
			in.Devices["K2-A"] = Device{Fresh: true, Watts: &w}
			amps(map[string][]float64{"K2-B": {0, 0, 0}})(in)
			in.Budgets = map[string]float64{"K2": 40000}
		}, []string{
			"PhaseCurrentHigh PDU K2-A L1 firing 25.6/25.6", "PhaseCurrentHigh PDU K2-A L2 firing 25.6/25.6",
			"PhaseCurrentHigh PDU K2-A L3 firing 25.6/25.6",
		}},
		// Imbalance: 10, 10, 16 A: mean 12, L3 4 A off, 1/3 ≥ 20 %.
		{"imbalance", amps(map[string][]float64{"K2-A": {10, 10, 16}}), []string{"PhaseImbalance PDU K2-A firing 0.333333/0.2"}},
		{"balanced enough", amps(map[string][]float64{"K2-A": {11, 11, 13.2}}), nil},
		// 5, 5, 8 A: mean 6 A < 20 % of 32 A = 6.4 A: not judged.
		{"imbalance at light load", amps(map[string][]float64{"K2-A": {5, 5, 8}}), nil},
		// Cooling: racks at 40 kW budgets so that only the row alerts.
		{"row at its N+1 capacity", rowDraws(30000), nil},
		{"row above its N+1 capacity", rowDraws(30003), []string{"CoolingNPlus1Lost row R1 firing 30003/30000"}},
		{"a stale rack makes the row unknown", func(in *Input) {
			rowDraws(35000)(in)
			in.Devices["K3-B"] = Device{Reason: "too-old"}
		}, []string{"TelemetryStale PDU K3-B firing 3600/0"}},
		// Inlet: above 27 °C, not at it.
		{"inlet at 27 °C", inlet("K1-A", 26.5, 27), nil},
		{"inlet above 27 °C", inlet("K1-B", 26, 27.1), []string{"InletTemperatureHigh rack K1 firing 27.1/27"}},
		{"a cooling unit's rack sensors", func(in *Input) { in.Devices["C2"] = Device{Fresh: true, InletCelsius: []float64{25, 28}} },
			[]string{"InletTemperatureHigh cooling unit C2 firing 28/27"}},
		// Forecasts: within 30 days.
		{"forecasts", func(in *Input) {
			in.Forecasts = []Forecast{
				{Kind: KindRack, ID: "K1", Known: true, Days: 30}, {Kind: KindRack, ID: "K2", Known: true, Days: 30.5},
				{Kind: KindRack, ID: "K3", Known: true, Days: math.Inf(1)}, {Kind: KindRow, ID: "R1", Known: true, Days: 12},
				{Kind: KindHall, ID: "H1", Days: 1}, {Kind: KindRack, ID: "nowhere", Known: true, Days: 1},
			}
		}, []string{"CapacityForecast rack K1 firing 30/30", "CapacityForecast row R1 firing 12/30"}},
		// Agents: more than 2 minutes.
		{"agents", func(in *Input) {
			in.Agents = map[string]time.Time{"ag1": t0.Add(-2 * time.Minute), "ag2": t0.Add(-121 * time.Second), "ag3": {}}
		}, []string{"AgentDown agent ag2 firing 121/120", "AgentDown agent ag3 firing 3600/120"}},
		{"an agent unheard since the leader started", func(in *Input) {
			in.Agents, in.Since = map[string]time.Time{"ag1": {}}, t0.Add(-3*time.Minute)
		}, []string{"AgentDown agent ag1 firing 180/120"}},
		// Declared power: K1 declares 4 kW: limit max(5 kW, 5 kW); K2
		// declares 8 kW: limit max(10 kW, 9 kW).
		{"declared power", func(in *Input) {
			in.Declared = map[string]Declared{"K1": {Watts: 4000}, "K2": {Watts: 8000}, "K3": {}}
			rackDraws("K1", 5000)(in)
			rackDraws("K2", 9999)(in)
			rackDraws("K3", 5000)(in)
		}, []string{"DeclaredPowerExceeded rack K1 firing 5000/5000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := quiet()
			tt.edit(&in)
			res := evaluator(t, instant()).Evaluate(in, t0)
			got := briefs(res.Active)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", join(got), join(want))
			}
		})
	}
}

// rackDraws makes rack k's two PDUs draw w in all.
func rackDraws(k string, w float64) func(*Input) {
	return func(in *Input) {
		for id, d := range in.Devices {
			if len(id) > len(k) && id[:len(k)+1] == k+"-" {
				v := w / 2
				if k == "K3" {
					v = w / 3
				}
				d.Watts = &v
				in.Devices[id] = d
			}
		}
	}
}

// amps sets PDUs' phase currents.
func amps(a map[string][]float64) func(*Input) {
	return func(in *Input) {
		for id, v := range a {
			d := in.Devices[id]
			d.PhaseAmps = v
			in.Devices[id] = d
		}
	}
}

// rowDraws makes row R1 draw w: K2 and K3 6 kW each, K1 the rest, with
// budgets of 40 kW.
func rowDraws(w float64) func(*Input) {
	return func(in *Input) {
		rackDraws("K1", w-12000)(in)
		rackDraws("K2", 6000)(in)
		rackDraws("K3", 6000)(in)
		in.Budgets = map[string]float64{"K1": 40000, "K2": 40000, "K3": 40000}
	}
}

// inlet gives a PDU temperature probes.
func inlet(id string, celsius ...float64) func(*Input) {
	return func(in *Input) {
		d := in.Devices[id]
		d.InletCelsius = celsius
		in.Devices[id] = d
	}
}
