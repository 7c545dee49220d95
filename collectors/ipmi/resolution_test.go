package ipmi

import (
	"math"
	"testing"

	"github.com/bougou/go-ipmi/pkg/types"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/ipmi/ipmitest"
)

// resolutionOf is the step of the reading found for m at scope s, index i.
func resolutionOf(fs []Found, m collectors.Metric, s collectors.Scope, i int) (float64, bool) {
	for _, f := range fs {
		if f.Metric == m && f.Scope == s && f.Index == i {
			return f.Resolution, true
		}
	}
	return 0, false
}

// TestCapturedResolution checks each reading's step on what ipmi_sim
// answered (its SDR: ipmitest.ServerSensors), and that a poll reports the
// step of each power reading, and of no other, as PowerResolutionWatts at
// the reading's scope and index.
func TestCapturedResolution(t *testing.T) {
	c, _ := replayCollector(t, loadCapture(t, "ipmi_sim.txt"))
	r, err := c.Report(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	dev, psu, sen := collectors.ScopeDevice, collectors.ScopePSU, collectors.ScopeSensor
	for _, tt := range []struct {
		what    string
		m       collectors.Metric
		s       collectors.Scope
		i       int
		want    float64
		isPower bool
	}{
		{"the PSUs' sum: both PSUs' steps", collectors.PowerWatts, dev, 0, 8, true},
		{"PSU 1 Input, M 4", collectors.PowerWatts, psu, 1, 4, true},
		{"PSU 2 Input, M 4", collectors.PowerWatts, psu, 2, 4, true},
		{"CPU1 Power, M 2", collectors.PowerWatts, sen, 3, 2, true},
		{"12V, M 6, R -2", collectors.VoltageVolts, sen, 2, 0.06, false},
		{"PSU1 Current, M 1, R -1", collectors.CurrentAmperes, psu, 1, 0.1, false},
		{"Outlet Temp, 1 °F", collectors.TemperatureCelsius, sen, 4, 5.0 / 9, false},
		{"a PSU state: no step", collectors.PSUPresent, psu, 1, 0, false},
	} {
		if got, ok := resolutionOf(r.Readings, tt.m, tt.s, tt.i); !ok || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: got step %v (found %v), want %v", tt.what, got, ok, tt.want)
		}
	}
	st := c.Poll(t.Context())
	if !st.OK {
		t.Fatalf("poll: %s", st.Err)
	}
	want := map[[2]any]float64{{dev, 0}: 8, {psu, 1}: 4, {psu, 2}: 4, {sen, 3}: 2}
	n := 0
	for _, rd := range st.Readings {
		if rd.Metric != collectors.PowerResolutionWatts {
			continue
		}
		n++
		if w, ok := want[[2]any{rd.Scope, rd.Index}]; !ok || rd.Value != w {
			t.Errorf("got %s %s %d = %v, want %v (of a power reading: %v)", rd.Metric, rd.Scope, rd.Index, rd.Value, w, ok)
		}
	}
	if n != len(want) {
		t.Errorf("got %d resolution readings, want %d: one per power reading", n, len(want))
	}
	if got := len(st.Readings) - n; got != len(r.Readings) {
		t.Errorf("got %d other readings, want the report's %d", got, len(r.Readings))
	}
}

// TestResolutionOfSums checks the step of the server's power where it
// comes from: DCMI's whole watts, a whole-server sensor's own step, or the
// PSUs' steps summed, without the step of a PSU that says it is absent.
func TestResolutionOfSums(t *testing.T) {
	for _, tt := range []struct {
		capture string
		noSys   bool
		want    float64
	}{
		{"goipmi_dcmi.txt", false, 1},
		{"goipmi_dcmi_inactive.txt", false, 4}, // Sys Power, M 4
		{"goipmi_dcmi_inactive.txt", true, 8},  // PSU 1 + PSU 2, M 4 each
		{"ipmi_sim_psu2_absent.txt", false, 4}, // PSU 1 alone
	} {
		c := loadCapture(t, tt.capture)
		if tt.noSys {
			c.readings[0x60] = answer{err: &CompletionError{Code: 0xcb}}
		}
		col, _ := replayCollector(t, c)
		st := col.Poll(t.Context())
		if got, ok := findReading(st.Readings, collectors.PowerResolutionWatts, collectors.ScopeDevice, 0); !ok || got != tt.want {
			t.Errorf("%s (Sys Power unknown: %v): got server power step %v (found %v), want %v", tt.capture, tt.noSys, got, ok, tt.want)
		}
	}
}

// TestStep checks a sensor's step from its record's factors: |M| × 10^R
// for a linear sensor, whatever its B and reading; for one with a
// linearisation function, the larger step to a neighbouring count.
func TestStep(t *testing.T) {
	tests := []struct {
		name string
		s    ipmitest.Sensor
		lin  types.LinearizationFunc
		raw  uint8
		want float64
	}{
		{"M 2", ipmitest.Sensor{Unit: 6, M: 2}, types.LinearizationFunc_Linear, 100, 2},
		{"M 14 (a 14 W a count server sensor)", ipmitest.Sensor{Unit: 6, M: 14}, types.LinearizationFunc_Linear, 10, 14},
		{"B does not change the step", ipmitest.Sensor{Unit: 6, M: 3, B: 50, BExp: 1}, types.LinearizationFunc_Linear, 10, 3},
		{"R exponent 1", ipmitest.Sensor{Unit: 6, M: 5, RExp: 1}, types.LinearizationFunc_Linear, 10, 50},
		{"R exponent -1", ipmitest.Sensor{Unit: 6, M: 5, RExp: -1}, types.LinearizationFunc_Linear, 10, 0.5},
		{"negative M", ipmitest.Sensor{Unit: 6, M: -2}, types.LinearizationFunc_Linear, 10, 2},
		{"°F: in °C", ipmitest.Sensor{Unit: 2, M: 9}, types.LinearizationFunc_Linear, 10, 5},
		{"x²: (11² − 10²) at 10", ipmitest.Sensor{Unit: 6, M: 1}, types.LinearizationFunc_SQR, 10, 21},
		{"x² at the top count: the step below", ipmitest.Sensor{Unit: 6, M: 1}, types.LinearizationFunc_SQR, 255, 255*255 - 254*254},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.s.Number, tt.s.Name, tt.s.EntityID, tt.s.Type = 0x10, "X", 7, 0x0b
			s, why := parseRecord(tt.s.Record(1))
			if why != "" {
				t.Fatal(why)
			}
			s.full.LinearizationFunc = tt.lin
			if got := s.step(tt.raw); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
