package whatif

import (
	"fmt"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/internal/inventory"
)

// Readings is the measured load of the PDUs, as it is now. Each method
// answers false when the value is not known (the PDU is stale, or does not
// report it): a what-if never reads an unknown load as 0 W.
type Readings interface {
	// PDUWatts returns a PDU's total input power in watts.
	PDUWatts(pdu string) (float64, bool)
	// PhaseWatts returns the active power of each of a PDU's phases
	// (index 0 is L1), only when all of them are known.
	PhaseWatts(pdu string, phases int) ([]float64, bool)
	// PhaseAmps returns the current of each of a PDU's phases (index 0 is
	// L1), only when all of them are known.
	PhaseAmps(pdu string, phases int) ([]float64, bool)
	// Fresh says whether a device's telemetry is fresh now. A cooling
	// unit that is not may have failed: its capacity is not counted on
	// the measured basis.
	Fresh(device string) bool
}

// Telemetry is what WindowReadings reads of the telemetry window;
// *telemetry.Window has it.
type Telemetry interface {
	// Latest returns a series' newest sample if its device is fresh at now.
	Latest(k telemetry.Key, now time.Time) (telemetry.Sample, bool)
	// Fresh says whether a device's readings are usable at now.
	Fresh(device string, now time.Time) telemetry.Freshness
}

// WindowReadings is the Readings of a telemetry window at a time: a
// PDU's total is its device-scope power, its phases are its phase-scope
// power or current, and nothing of a stale PDU is known.
type WindowReadings struct {
	Window Telemetry
	At     time.Time
}

// PDUWatts returns the PDU's device-scope input power.
func (w WindowReadings) PDUWatts(pdu string) (float64, bool) {
	v, ok := w.series(pdu, collectors.PowerWatts, collectors.ScopeDevice, 1)
	if !ok {
		return 0, false
	}
	return v[0], true
}

// PhaseWatts returns the PDU's phase-scope power, phases 1 to phases.
func (w WindowReadings) PhaseWatts(pdu string, phases int) ([]float64, bool) {
	return w.series(pdu, collectors.PowerWatts, collectors.ScopePhase, phases)
}

// PhaseAmps returns the PDU's phase-scope current, phases 1 to phases.
func (w WindowReadings) PhaseAmps(pdu string, phases int) ([]float64, bool) {
	return w.series(pdu, collectors.CurrentAmperes, collectors.ScopePhase, phases)
}

// Fresh says whether the device's readings are usable at At.
func (w WindowReadings) Fresh(device string) bool { return w.Window.Fresh(device, w.At).Fresh }

// series reads n series of a metric: index 1 to n, or index 0 for the
// device scope. All of them or nothing.
func (w WindowReadings) series(pdu string, m collectors.Metric, s collectors.Scope, n int) ([]float64, bool) {
	if n < 1 || !w.Window.Fresh(pdu, w.At).Fresh {
		return nil, false
	}
	out := make([]float64, n)
	for i := range out {
		k := telemetry.Key{Device: pdu, Metric: m, Scope: s, Index: i + 1}
		if s == collectors.ScopeDevice {
			k.Index = 0
		}
		v, ok := w.Window.Latest(k, w.At)
		if !ok {
			return nil, false
		}
		out[i] = v.Value
	}
	return out, true
}

// load is what is known of one PDU's load.
type load struct {
	known  bool
	phases []float64 // watts per phase, index 0 is L1
	// amps is the measured current per phase, nil when the PDU does not
	// report it.
	amps  []float64
	total float64 // watts
	note  string  // how the per-phase load was estimated, "" when measured
	// totalNote is how the total was estimated, "" when measured.
	totalNote string
}

// phaseCount is a PDU's number of phases (1 when the inventory left it 0).
func phaseCount(p *inventory.PDU) int { return max(p.Phases, 1) }

// measure finds a PDU's load per phase: its phases' power if it reports
// them; else their current × the PDU's voltage; else its total input power
// split evenly over its phases. Its total is its input power, or else the
// sum of its phases.
func measure(r Readings, p *inventory.PDU) load {
	n := phaseCount(p)
	var l load
	a, aok := r.PhaseAmps(p.ID, n)
	if aok = aok && plausible(a, n); aok {
		l.amps = a
	}
	if w, ok := r.PhaseWatts(p.ID, n); ok && plausible(w, n) {
		l.phases = w
	} else if aok {
		l.phases = make([]float64, n)
		for i := range a {
			l.phases[i] = a[i] * p.VoltageV
		}
		l.note = fmt.Sprintf("%s reports current per phase, not power: W = A × %s V", p.ID, num(p.VoltageV))
	}
	total, ok := r.PDUWatts(p.ID)
	ok = ok && finite(total)
	switch {
	case l.phases == nil && ok:
		l.phases = make([]float64, n)
		for i := range l.phases {
			l.phases[i] = total / float64(n)
		}
		if n > 1 {
			l.note = fmt.Sprintf("%s reports only its total power (%s): split evenly over its %d phases", p.ID, kW(total), n)
		}
	case l.phases != nil && !ok:
		total = 0
		for _, v := range l.phases {
			total += v
		}
		l.totalNote = l.note
	}
	l.known, l.total = l.phases != nil, total
	return l
}

// plausible says whether vs is one load per phase of a PDU of n phases.
func plausible(vs []float64, n int) bool {
	if len(vs) != n {
		return false
	}
	for _, v := range vs {
		if !finite(v) {
			return false
		}
	}
	return true
}
