package alerts

import (
	"math"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/internal/inventory"
)

// Input is the snapshot the rules judge: the caller builds it from the
// inventory, the telemetry window and the replicated state at one time.
// Nothing in it is read as 0 when it is missing: a device left out of
// Devices is stale, a forecast left out is unknown.
type Input struct {
	Site *inventory.Site
	// Budgets holds rack budgets in watts that override the inventory's;
	// a rack it does not list has its inventory budget.
	Budgets map[string]float64
	// Devices holds what is known of each PDU and cooling unit, by device
	// ID.
	Devices map[string]Device
	// Agents holds when each agent the controller knows was last heard
	// from.
	Agents map[string]time.Time
	// Since is when this controller began receiving telemetry (became
	// leader). An agent not heard from since counts from Since, so that a
	// new leader does not page for what it has not yet had time to hear.
	Since time.Time
	// Declared holds each rack's declared power; a rack it does not list
	// is not checked against its declarations.
	Declared map[string]Declared
	// Forecasts holds the capacity forecast of racks, rows and halls.
	Forecasts []Forecast
	// Servers holds what the servers' BMCs say, by server ID, for the
	// cross-check of their PSUs against the PDUs; a server it lacks is
	// unknown.
	Servers map[string]crosscheck.Server
}

// Device is what is known of one device's readings. Only a Fresh device's
// values are read; a value it does not report is nil.
type Device struct {
	Fresh  bool
	Reason string    // why it is stale, for the summary: poll-failed: timeout, too-old…
	LastOK time.Time // its newest good poll; zero if never read
	// Watts is a PDU's input power.
	Watts *float64
	// PhaseAmps and PhaseWatts are a PDU's current and active power per
	// phase (index 0 is L1), nil unless every phase is known.
	PhaseAmps  []float64
	PhaseWatts []float64
	// InletCelsius are the device's inlet temperature sensors: a PDU's
	// probes, a cooling unit's rack inlet sensors. Nil when it has none.
	InletCelsius []float64
}

// Declared is a rack's declared power: what its placements declare, plus,
// where the caller knows it, the draw of what no placement accounts for.
type Declared struct {
	Watts float64
	// Placements names the rack's placements, for the summary.
	Placements []string
}

// Forecast is the capacity forecast of a rack, row or hall.
type Forecast struct {
	Kind Kind   // KindRack, KindRow or KindHall
	ID   string // the rack's, row's or hall's ID
	// Known is false when there is not enough history to forecast.
	Known bool
	// Days is the number of days until the object's peak draw reaches its
	// budget at its trend; +Inf when not within the forecaster's horizon.
	Days float64
}

// Telemetry is what ReadDevices reads of the telemetry window;
// *telemetry.Window has it.
type Telemetry interface {
	// Latest returns a series' newest sample if its device is fresh at now.
	Latest(k telemetry.Key, now time.Time) (telemetry.Sample, bool)
	// Fresh says whether a device's readings are usable at now, and why not.
	Fresh(device string, now time.Time) telemetry.Freshness
}

// ReadDevices builds Input.Devices from the telemetry window at now for
// every PDU and cooling unit of the site: input power, phase current and
// power, and temperature sensors (up to maxSensors of them).
func ReadDevices(site *inventory.Site, t Telemetry, now time.Time) map[string]Device {
	out := map[string]Device{}
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		for i := range k.PDUs {
			p := &k.PDUs[i]
			d := readDevice(t, p.ID, now)
			if d.Fresh {
				if s, ok := t.Latest(telemetry.Key{Device: p.ID, Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice}, now); ok {
					v := s.Value
					d.Watts = &v
				}
				d.PhaseAmps = readPhases(t, p.ID, collectors.CurrentAmperes, max(p.Phases, 1), now)
				d.PhaseWatts = readPhases(t, p.ID, collectors.PowerWatts, max(p.Phases, 1), now)
			}
			out[p.ID] = d
		}
		return true
	})
	for _, h := range site.Halls {
		for _, r := range h.Rows {
			for _, c := range r.Cooling {
				out[c.ID] = readDevice(t, c.ID, now)
			}
		}
	}
	return out
}

// maxSensors bounds how many temperature sensors ReadDevices looks for on
// one device.
const maxSensors = 8

// readDevice reads a device's freshness and temperature sensors.
func readDevice(t Telemetry, id string, now time.Time) Device {
	f := t.Fresh(id, now)
	d := Device{Fresh: f.Fresh, Reason: f.Reason, LastOK: f.LastOK}
	if !f.Fresh {
		return d
	}
	for i := 1; i <= maxSensors; i++ {
		s, ok := t.Latest(telemetry.Key{Device: id, Metric: collectors.TemperatureCelsius, Scope: collectors.ScopeSensor, Index: i}, now)
		if ok {
			d.InletCelsius = append(d.InletCelsius, s.Value)
		}
	}
	return d
}

// readPhases reads phases 1 to n of a metric: all of them, or nil.
func readPhases(t Telemetry, id string, m collectors.Metric, n int, now time.Time) []float64 {
	out := make([]float64, n)
	for i := range out {
		s, ok := t.Latest(telemetry.Key{Device: id, Metric: m, Scope: collectors.ScopePhase, Index: i + 1}, now)
		if !ok || math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
			return nil
		}
		out[i] = s.Value
	}
	return out
}

// rackBudget is a rack's budget in watts.
func (in *Input) rackBudget(k *inventory.Rack) float64 {
	if w, ok := in.Budgets[k.ID]; ok {
		return w
	}
	return k.BudgetWatts()
}

// device is what is known of a device: ok false when it is stale or left
// out.
func (in *Input) device(id string) (Device, bool) {
	d, ok := in.Devices[id]
	return d, ok && d.Fresh
}

// pduWatts is a PDU's input power, if known.
func (in *Input) pduWatts(id string) (float64, bool) {
	d, ok := in.device(id)
	if !ok || d.Watts == nil || !finite(*d.Watts) {
		return 0, false
	}
	return *d.Watts, true
}

// rackDraw is a rack's draw, the sum of its PDUs' input power; false when
// any is unknown or the rack has no PDUs.
func (in *Input) rackDraw(k *inventory.Rack) (float64, bool) {
	var sum float64
	for i := range k.PDUs {
		w, ok := in.pduWatts(k.PDUs[i].ID)
		if !ok {
			return 0, false
		}
		sum += w
	}
	return sum, len(k.PDUs) > 0
}

// phaseAmps is the current of each of a PDU's phases: as measured; else
// its phase power over its voltage (which errs low by the power factor);
// else its input power split evenly over its phases, over its voltage.
// False when none is known.
func (in *Input) phaseAmps(p *inventory.PDU) ([]float64, bool) {
	d, ok := in.device(p.ID)
	n := max(p.Phases, 1)
	if !ok {
		return nil, false
	}
	if len(d.PhaseAmps) == n && allFinite(d.PhaseAmps) {
		return d.PhaseAmps, true
	}
	if p.VoltageV <= 0 {
		return nil, false
	}
	out := make([]float64, n)
	switch {
	case len(d.PhaseWatts) == n && allFinite(d.PhaseWatts):
		for i, w := range d.PhaseWatts {
			out[i] = w / p.VoltageV
		}
	case d.Watts != nil && finite(*d.Watts):
		for i := range out {
			out[i] = *d.Watts / float64(n) / p.VoltageV
		}
	default:
		return nil, false
	}
	return out, true
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func allFinite(vs []float64) bool {
	for _, v := range vs {
		if !finite(v) {
			return false
		}
	}
	return true
}
