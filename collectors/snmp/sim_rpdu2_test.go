package snmp

import (
	"context"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/sim"
)

// TestRPDU2AgainstSimulator polls the simulator's APC rPDU2 model through
// the real collector and checks the normalised readings against the load
// the model was given and against each other.
func TestRPDU2AgainstSimulator(t *testing.T) {
	const load = 9000.0
	pdu, err := sim.NewRackPDU(sim.RackPDUConfig{Name: "pdu1", Phases: 3, Voltage: 230, PowerFactor: 0.95, Banks: 6, Outlets: 24,
		Probe: &sim.Probe{Name: "inlet", TempC: func() float64 { return 24.5 }, HumidityPct: func() float64 { return 41 }},
		Load:  func() float64 { return load }})
	if err != nil {
		t.Fatal(err)
	}
	target := Target{Address: serveSim(t, map[string]*sim.Device{"public": pdu.Device}), Name: "pdu1", Timeout: 2 * time.Second, Credentials: Credentials{Community: NewSecret("public")}}
	st := NewCollector(slog.New(slog.DiscardHandler)).Poll(context.Background(), target, rpdu2Profile)
	if !st.OK {
		t.Fatalf("poll failed: %s: %s", st.Reason, st.Err)
	}
	get := func(m collectors.Metric, s collectors.Scope, i int) (float64, bool) {
		for _, r := range st.Readings {
			if r.Metric == m && r.Scope == s && r.Index == i {
				return r.Value, true
			}
		}
		return 0, false
	}
	count := func(m collectors.Metric, s collectors.Scope) int {
		n := 0
		for _, r := range st.Readings {
			if r.Metric == m && r.Scope == s {
				n++
			}
		}
		return n
	}
	dev, ok := get(collectors.PowerWatts, collectors.ScopeDevice, 0)
	if !ok || math.Abs(dev-load) > 10 { // the MIB's resolution: hundredths of kW
		t.Errorf("got device power %v (present %v), want %v ± 10 W", dev, ok, load)
	}
	var phases float64
	for i := 1; i <= 3; i++ {
		w, ok1 := get(collectors.PowerWatts, collectors.ScopePhase, i)
		a, ok2 := get(collectors.CurrentAmperes, collectors.ScopePhase, i)
		v, ok3 := get(collectors.VoltageVolts, collectors.ScopePhase, i)
		if !ok1 || !ok2 || !ok3 {
			t.Fatalf("phase %d: got power/current/voltage present %v/%v/%v, want all", i, ok1, ok2, ok3)
		}
		phases += w
		if want := w / (v * 0.95); math.Abs(a-want) > 0.15 { // tenths of A, plus the power's rounding
			t.Errorf("phase %d: got %v A, want P/(V·PF) = %.2f A", i, a, want)
		}
	}
	if math.Abs(phases-dev) > 0.5 {
		t.Errorf("got phases summing to %v W, want the device's %v W", phases, dev)
	}
	if got := count(collectors.CurrentAmperes, collectors.ScopeBank); got != 6 {
		t.Errorf("got %d bank currents, want 6", got)
	}
	if got := count(collectors.PowerWatts, collectors.ScopeOutlet); got != 24 {
		t.Errorf("got %d outlet powers, want 24", got)
	}
	if c, ok := get(collectors.TemperatureCelsius, collectors.ScopeSensor, 1); !ok || math.Abs(c-24.5) > 0.1 {
		t.Errorf("got probe temperature %v (present %v), want 24.5 °C", c, ok)
	}
}

// TestRPDU2SimulatorGarbage makes the simulated PDU answer numbers as
// strings: the poll must fail, leaving the readings unknown, never 0.
func TestRPDU2SimulatorGarbage(t *testing.T) {
	pdu, err := sim.NewRackPDU(sim.RackPDUConfig{Name: "pdu1", Load: func() float64 { return 1000 }})
	if err != nil {
		t.Fatal(err)
	}
	pdu.SetGarbage(true)
	target := Target{Address: serveSim(t, map[string]*sim.Device{"public": pdu.Device}), Timeout: time.Second, Credentials: Credentials{Community: NewSecret("public")}}
	st := NewCollector(slog.New(slog.DiscardHandler)).Poll(context.Background(), target, rpdu2Profile)
	if st.OK || len(st.Readings) != 0 || st.Reason != ReasonDecode {
		t.Errorf("got ok=%v reason=%q %d readings, want a failed poll with reason decode and no readings", st.OK, st.Reason, len(st.Readings))
	}
}
