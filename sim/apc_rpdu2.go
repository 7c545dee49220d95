package sim

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// OIDs of PowerNet-MIB's rPDU2 branch (1.3.6.1.4.1.318.1.1.26).
var (
	rpdu2             = MustOID("1.3.6.1.4.1.318.1.1.26")
	rpdu2Ident        = rpdu2.Append(2, 1)        // rPDU2IdentEntry
	rpdu2DevProps     = rpdu2.Append(4, 2, 1)     // rPDU2DevicePropertiesEntry
	rpdu2DevStatus    = rpdu2.Append(4, 3, 1)     // rPDU2DeviceStatusEntry
	rpdu2PhaseConfig  = rpdu2.Append(6, 1, 1)     // rPDU2PhaseConfigEntry
	rpdu2PhaseStatus  = rpdu2.Append(6, 3, 1)     // rPDU2PhaseStatusEntry
	rpdu2BankStatus   = rpdu2.Append(8, 3, 1)     // rPDU2BankStatusEntry
	rpdu2OutletMeter  = rpdu2.Append(9, 4, 3, 1)  // rPDU2OutletMeteredStatusEntry
	rpdu2SensorStatus = rpdu2.Append(10, 2, 2, 1) // rPDU2SensorTempHumidityStatusEntry
)

// Load states of rPDU2 devices, phases and banks (lowLoad, 1, is unused).
const (
	loadNormal       = 2
	loadNearOverload = 3
	loadOverload     = 4
)

// Probe is a temperature/humidity probe plugged into a PDU.
type Probe struct {
	Name        string
	TempC       func() float64 // nil reads 24 °C
	HumidityPct func() float64 // nil reads 40 %RH
}

// RackPDUConfig describes an APC rPDU2 metered rack PDU. Zero fields take
// the defaults given.
type RackPDUConfig struct {
	Name            string           // sysName and rPDU2 device name; required
	Location        string           // sysLocation and rPDU2IdentLocation
	Model           string           // rPDU2IdentModelNumber; the one of Phases and BreakerAmps (rpdu2ModelFor)
	Serial          string           // rPDU2IdentSerialNumber; derived from Name
	SysObjectID     string           // "1.3.6.1.4.1.318.1.3.4.6", as the recorded AP8853
	Phases          int              // input phases, 1 or 3; 1
	Voltage         float64          // line-to-neutral volts; 230
	PowerFactor     float64          // of the load; 0.95
	BreakerAmps     int              // rating of each input phase; 32
	Banks           int              // metered banks, a multiple of Phases; 0
	BankBreakerAmps int              // rating of each bank's breaker; 16
	Outlets         int              // metered outlets; 0
	Probe           *Probe           // nil when no probe is plugged in
	Load            func() float64   // input power in watts; required
	EnergyKWh       float64          // energy meter at start
	Now             func() time.Time // clock; time.Now
	Refresh         time.Duration    // how often readings are resampled; 1s
}

func (c *RackPDUConfig) defaults() error {
	setDefault(&c.Serial, fmt.Sprintf("ZA%010d", uint32(spread(c.Name, 0, 0, 1e9))))
	setDefault(&c.SysObjectID, "1.3.6.1.4.1.318.1.3.4.6")
	setDefault(&c.Phases, 1)
	setDefault(&c.Voltage, 230)
	setDefault(&c.PowerFactor, 0.95)
	setDefault(&c.BreakerAmps, 32)
	setDefault(&c.BankBreakerAmps, 16)
	setDefault(&c.Refresh, time.Second)
	setDefault(&c.Model, rpdu2ModelFor(c.Phases, c.BreakerAmps)) // after the rating's defaults
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.Name == "":
		return fmt.Errorf("rack PDU: no name: %w", ErrBadConfig)
	case c.Load == nil:
		return fmt.Errorf("rack PDU %s: no Load: %w", c.Name, ErrBadConfig)
	case c.Phases != 1 && c.Phases != 3:
		return fmt.Errorf("rack PDU %s: %d phases, want 1 or 3: %w", c.Name, c.Phases, ErrBadConfig)
	case c.Banks < 0 || c.Banks%c.Phases != 0:
		return fmt.Errorf("rack PDU %s: %d banks on %d phases: %w", c.Name, c.Banks, c.Phases, ErrBadConfig)
	case c.Outlets < 0 || c.Outlets > 96 || c.Voltage <= 0 || c.PowerFactor <= 0 || c.PowerFactor > 1:
		return fmt.Errorf("rack PDU %s: outlets, voltage or power factor out of range: %w", c.Name, ErrBadConfig)
	}
	return nil
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// RackPDU is a simulated APC rPDU2 metered rack PDU. Its readings are
// resampled from Load at most every Refresh, as a real PDU's management
// card does, so that one poll sees consistent values: phase powers sum to
// the device's, currents are power / (voltage × PF), banks split their
// phase's current, outlets split the power, and the energy meter
// integrates power over time. All rounding is to the MIB's resolution.
type RackPDU struct {
	*Device
	cfg   RackPDUConfig
	start time.Time
	w     pduWeights

	mu       sync.Mutex
	cur      *pduSample
	at       time.Time
	energyWh float64
	peaks    pduPeaks
}

// NewRackPDU builds the PDU's view from the rPDU2 tree.
func NewRackPDU(cfg RackPDUConfig) (*RackPDU, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	p := &RackPDU{cfg: cfg, start: cfg.Now(), energyWh: cfg.EnergyKWh * 1000}
	p.w = newPDUWeights(cfg)
	p.peaks = newPDUPeaks(cfg, p.start)
	v := NewView()
	sys := sysInfo{
		descr:    fmt.Sprintf("APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.8.2 PN:apc_hw05_aos_682.bin AF1:v6.8.0 AN1:apc_hw05_rpdu2g_680.bin MN:%s HR:02 SN: %s MD:01/03/2020) (sim)", cfg.Model, cfg.Serial),
		objectID: cfg.SysObjectID, name: cfg.Name, contact: "dcplane sim", location: cfg.Location,
	}
	if err := addSystem(v, sys, p.start, cfg.Now); err != nil {
		return nil, fmt.Errorf("rack PDU %s: %w", cfg.Name, err)
	}
	p.addIdent(v)
	p.addDevice(v)
	p.addPhases(v)
	p.addBanks(v)
	p.addOutlets(v)
	p.addSensor(v)
	p.Device = NewDevice(v)
	return p, nil
}

// Config returns the configuration with its defaults applied.
func (p *RackPDU) Config() RackPDUConfig { return p.cfg }

func (p *RackPDU) addIdent(v *View) {
	c := p.cfg
	for col, val := range map[uint32]Value{
		1: Integer(1), 2: Integer(1), 3: OctetString(c.Name), 4: OctetString(c.Location),
		5: OctetString("HR:02"), 6: OctetString("v6.8.0"), 7: OctetString("01/03/2020"),
		8: OctetString(c.Model), 9: OctetString(c.Serial),
	} {
		v.Set(rpdu2Ident.Append(col, 1), val)
	}
	for col, val := range map[uint32]Value{
		1: Integer(1), 2: Integer(1), 3: OctetString(c.Name), 4: Integer(c.Outlets),
		7: Integer(c.Phases), 8: Integer(c.Banks), 9: Integer(c.BreakerAmps),
	} {
		v.Set(rpdu2DevProps.Append(col, 1), val)
	}
}

func (p *RackPDU) addDevice(v *View) {
	since := OctetString(p.start.Format(apcTime))
	for col, val := range map[uint32]Value{
		1: Integer(1), 2: Integer(1), 3: OctetString(p.cfg.Name), 8: since, 10: since,
		11: Integer(2), 12: Integer(1), 13: Integer(1), 14: Integer(1), 15: since, 18: Integer(1),
	} {
		v.Set(rpdu2DevStatus.Append(col, 1), val)
	}
	p.liveInt(v, rpdu2DevStatus.Append(4, 1), func(s *pduSample) int { return s.state })
	p.liveInt(v, rpdu2DevStatus.Append(5, 1), func(s *pduSample) int { return s.powerH })
	p.liveInt(v, rpdu2DevStatus.Append(6, 1), func(s *pduSample) int { return s.peakH })
	p.liveString(v, rpdu2DevStatus.Append(7, 1), func(s *pduSample) string { return s.peakAt })
	p.liveInt(v, rpdu2DevStatus.Append(9, 1), func(s *pduSample) int { return s.energyT })
	p.liveInt(v, rpdu2DevStatus.Append(16, 1), func(s *pduSample) int { return s.apparentH })
	p.liveInt(v, rpdu2DevStatus.Append(17, 1), func(s *pduSample) int { return s.pf })
}

func (p *RackPDU) addPhases(v *View) {
	since := OctetString(p.start.Format(apcTime))
	near := round(0.8 * float64(p.cfg.BreakerAmps))
	for i := range p.cfg.Phases {
		n := uint32(i + 1)
		for col, val := range map[uint32]Value{
			1: Integer(i + 1), 2: Integer(1), 3: Integer(i + 1), 4: Integer(4), // overload restriction: notSupported
			5: Integer(0), 6: Integer(near), 7: Integer(p.cfg.BreakerAmps),
		} {
			v.Set(rpdu2PhaseConfig.Append(col, n), val)
		}
		for col, val := range map[uint32]Value{1: Integer(i + 1), 2: Integer(1), 3: Integer(i + 1), 12: since} {
			v.Set(rpdu2PhaseStatus.Append(col, n), val)
		}
		voltage := round(p.cfg.Voltage)
		p.liveInt(v, rpdu2PhaseStatus.Append(4, n), func(s *pduSample) int { return s.phases[i].state })
		p.liveInt(v, rpdu2PhaseStatus.Append(5, n), func(s *pduSample) int { return s.phases[i].currentD })
		v.Set(rpdu2PhaseStatus.Append(6, n), Integer(voltage))
		p.liveInt(v, rpdu2PhaseStatus.Append(7, n), func(s *pduSample) int { return s.phases[i].powerH })
		p.liveInt(v, rpdu2PhaseStatus.Append(8, n), func(s *pduSample) int { return s.phases[i].apparentH })
		p.liveInt(v, rpdu2PhaseStatus.Append(9, n), func(s *pduSample) int { return s.pf })
		p.liveInt(v, rpdu2PhaseStatus.Append(10, n), func(s *pduSample) int { return s.phases[i].peakD })
		p.liveString(v, rpdu2PhaseStatus.Append(11, n), func(s *pduSample) string { return s.phases[i].peakAt })
	}
}

func (p *RackPDU) addBanks(v *View) {
	since := OctetString(p.start.Format(apcTime))
	for i := range p.cfg.Banks {
		n := uint32(i + 1)
		for col, val := range map[uint32]Value{1: Integer(i + 1), 2: Integer(1), 3: Integer(i + 1), 8: since} {
			v.Set(rpdu2BankStatus.Append(col, n), val)
		}
		p.liveInt(v, rpdu2BankStatus.Append(4, n), func(s *pduSample) int { return s.banks[i].state })
		p.liveInt(v, rpdu2BankStatus.Append(5, n), func(s *pduSample) int { return s.banks[i].currentD })
		p.liveInt(v, rpdu2BankStatus.Append(6, n), func(s *pduSample) int { return s.banks[i].peakD })
		p.liveString(v, rpdu2BankStatus.Append(7, n), func(s *pduSample) string { return s.banks[i].peakAt })
	}
}

// addOutlets fills rPDU2OutletMeteredStatusTable. Its fifth column is left
// out: sources disagree on what it holds, and no recording here has one.
func (p *RackPDU) addOutlets(v *View) {
	since := OctetString(p.start.Format(apcTime))
	for i := range p.cfg.Outlets {
		n := uint32(i + 1)
		for col, val := range map[uint32]Value{
			1: Integer(i + 1), 2: Integer(1), 3: OctetString(fmt.Sprintf("Outlet %d", i+1)), 4: Integer(i + 1), 10: since,
		} {
			v.Set(rpdu2OutletMeter.Append(col, n), val)
		}
		p.liveInt(v, rpdu2OutletMeter.Append(6, n), func(s *pduSample) int { return s.outlets[i].currentD })
		p.liveInt(v, rpdu2OutletMeter.Append(7, n), func(s *pduSample) int { return s.outlets[i].watts })
		p.liveInt(v, rpdu2OutletMeter.Append(8, n), func(s *pduSample) int { return s.outlets[i].peakW })
		p.liveString(v, rpdu2OutletMeter.Append(9, n), func(s *pduSample) string { return s.outlets[i].peakAt })
		p.liveInt(v, rpdu2OutletMeter.Append(11, n), func(s *pduSample) int { return s.outlets[i].energyT })
	}
}

// addSensor fills row 1 of rPDU2SensorTempHumidityStatusTable: a probe in
// tenths of degrees, or, with none plugged in, the row a real PDU shows.
func (p *RackPDU) addSensor(v *View) {
	pr := p.cfg.Probe
	row := map[uint32]Value{1: Integer(1), 2: Integer(1), 3: OctetString(""), 4: Integer(1)}
	if pr == nil {
		for col, val := range map[uint32]Value{
			5: Integer(4), 6: Integer(1), 7: Integer(-1), 8: Integer(-1), 9: Integer(1), 10: Integer(-1),
			11: Integer(1), 12: Integer(-1), 13: Integer(-1),
			14: OctetString("noTempSensorInstalled"), 15: OctetString("noTempSensorInstalled"),
		} {
			row[col] = val
		}
	} else {
		row[3], row[5], row[6], row[9], row[11] = OctetString(pr.Name), Integer(2), Integer(2), Integer(4), Integer(4)
		p.liveInt(v, rpdu2SensorStatus.Append(7, 1), func(s *pduSample) int { return tenthsF(s.tempC) })
		p.liveInt(v, rpdu2SensorStatus.Append(8, 1), func(s *pduSample) int { return round(s.tempC * 10) })
		p.liveInt(v, rpdu2SensorStatus.Append(10, 1), func(s *pduSample) int { return round(s.humidity) })
	}
	for col, val := range row {
		v.Set(rpdu2SensorStatus.Append(col, 1), val)
	}
}

func (p *RackPDU) liveInt(v *View, oid OID, f func(*pduSample) int) {
	v.SetLive(oid, func() Value { return Integer(f(p.sample())) })
}

func (p *RackPDU) liveString(v *View, oid OID, f func(*pduSample) string) {
	v.SetLive(oid, func() Value { return OctetString(f(p.sample())) })
}

// sample returns the current readings, resampling Load when they are older
// than Refresh. The energy meter advances by the power held since the last
// sample, so it never goes back.
func (p *RackPDU) sample() *pduSample {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.cfg.Now()
	if p.cur != nil && now.Sub(p.at) < p.cfg.Refresh {
		return p.cur
	}
	if p.cur != nil {
		p.energyWh += p.cur.watts * now.Sub(p.at).Hours()
	}
	watts := max(0, p.cfg.Load())
	if math.IsNaN(watts) || math.IsInf(watts, 0) {
		watts = 0
	}
	p.cur = p.compute(watts, now)
	p.at = now
	return p.cur
}
