package sim

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/dcplane/dcplane/collectors"
)

// RecordedPDUConfig describes a PDU served from a recording of a real one
// with the live load overlaid.
type RecordedPDUConfig struct {
	Name    string           // for errors; required
	Plan    *RecordingPlan   // the recording and its live objects; required
	Load    func() float64   // input power in watts; required
	Now     func() time.Time // clock; time.Now
	Refresh time.Duration    // how often readings are resampled; 1s
}

// RecordedPDU is a real PDU's recorded walk served over SNMP, its power,
// apparent power, current and energy objects following Load in the
// device's own units and scales (see PlanRecording), everything else as
// recorded. Device power is Load, each phase, bank and outlet its share of
// it as the recording split it; apparent power is power over the recorded
// power factor, current apparent power over the recorded voltage (divided
// among the phases for the device's own current), and the energy meters
// count on from their recorded values.
type RecordedPDU struct {
	*Device
	cfg RecordedPDUConfig

	mu     sync.Mutex
	at     time.Time
	watts  float64
	joules float64 // counted since the start
	primed bool
}

// NewRecordedPDU builds the PDU's view: the recording, with its live
// objects replaced by functions of the load.
func NewRecordedPDU(cfg RecordedPDUConfig) (*RecordedPDU, error) {
	switch {
	case cfg.Name == "":
		return nil, fmt.Errorf("recorded PDU: no name: %w", ErrBadConfig)
	case cfg.Plan == nil || cfg.Load == nil:
		return nil, fmt.Errorf("recorded PDU %s: no plan or no Load: %w", cfg.Name, ErrBadConfig)
	}
	setDefault(&cfg.Refresh, time.Second)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &RecordedPDU{cfg: cfg}
	v := NewRecordedView(cfg.Plan.records)
	for _, o := range cfg.Plan.live {
		rec, _ := v.Get(o.OID)
		v.SetLive(o.OID, func() Value {
			w, j := p.sample()
			out, _ := withRaw(rec, cfg.Plan.value(o, w, j)/o.PerRaw, o.decimals)
			return out
		})
	}
	p.Device = NewDevice(v)
	return p, nil
}

// sample returns the power held since the last resample and the energy
// counted since the start, resampling Load when Refresh has passed.
func (p *RecordedPDU) sample() (watts, joules float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.cfg.Now()
	if p.primed && now.Sub(p.at) < p.cfg.Refresh {
		return p.watts, p.joules
	}
	if p.primed {
		p.joules += p.watts * now.Sub(p.at).Seconds()
	}
	w := p.cfg.Load()
	if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
		w = 0
	}
	p.watts, p.at, p.primed = w, now, true
	return p.watts, p.joules
}

// value is what object o reads, in base units, at watts drawn and joules
// counted since the start.
func (p *RecordingPlan) value(o LiveObject, watts, joules float64) float64 {
	switch o.Reading.Metric {
	case collectors.PowerWatts:
		return o.Share * watts
	case collectors.ApparentPowerVA:
		return o.Share * watts / p.pf
	case collectors.CurrentAmperes:
		amps := o.Share * watts / p.pf / p.volts
		if o.Reading.Scope == collectors.ScopeDevice {
			amps /= float64(p.phases) // a line's current, as the phases carry it
		}
		return amps
	case collectors.EnergyJoules:
		return o.Reading.Value + o.Share*joules
	}
	return o.Reading.Value
}
