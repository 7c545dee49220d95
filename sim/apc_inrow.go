package sim

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// The APC InRow recorded here (apc_inrow-dx.snmprec) reports through
// PowerNet-MIB's generic coolingUnit branch (1.3.6.1.4.1.318.1.1.27), not
// the older airIRRC/airIRRD/airIRSC groups: a self-describing table of
// analog readings (description, value, units, scale) and one of discrete
// states, both indexed by unit then entry. The model keeps the recorded
// entry numbers, so a collector written against the recording reads it.
var (
	coolingUnit          = MustOID("1.3.6.1.4.1.318.1.1.27")
	coolingUnitTableSize = coolingUnit.Append(1, 1, 0)
	coolingAnalog        = coolingUnit.Append(1, 4, 1, 2, 1) // coolingUnitStatusAnalogEntry
	coolingDiscrete      = coolingUnit.Append(1, 4, 2, 2, 1) // coolingUnitStatusDiscreteEntry
)

// Entry numbers of the analog table, as the recorded InRow DX has them.
// FanSpeed is not in the recording; it is appended after its last entry.
const (
	inrowMinRackC, inrowMinRackF = 1, 2
	inrowMaxRackC, inrowMaxRackF = 3, 4
	inrowTotalAirLps             = 5
	inrowTotalAirCFM             = 6
	inrowTotalDemand             = 7
	inrowTotalCooling            = 8
	inrowSupplyC, inrowSupplyF   = 9, 10
	inrowInletC, inrowInletF     = 11, 12
	inrowReturnC, inrowReturnF   = 13, 14
	inrowAirLps, inrowAirCFM     = 20, 21
	inrowCoolDemand              = 24
	inrowCoolOutput              = 25
	inrowFan1                    = 56 // Fan 1 … Fan 8: 56 … 63
	inrowFanSpeed                = 84
)

// Discrete states of the unit (entry 2, "Mode").
const (
	inrowModeIdle   = 4
	inrowModeActive = 6
)

// Air at the inlet of an in-row unit, for the airflow the unit needs.
const (
	airDensity     = 1.2    // kg/m³
	airHeatJPerKgK = 1005.0 // J/(kg·K)
	lpsToCFM       = 2.11888
)

// InRowConfig describes an APC InRow cooling unit. Zero fields take the
// defaults given.
type InRowConfig struct {
	Name            string           // sysName; required
	Location        string           // sysLocation
	SysObjectID     string           // "1.3.6.1.4.1.318.1.3.14.23", as the recorded InRow DX
	CapacityWatts   float64          // rated sensible cooling; required
	HeatLoad        func() float64   // watts of IT load the unit cools; required
	SupplySetpointC float64          // supply air setpoint; 20
	RatedDeltaC     float64          // return − supply at full load and fan; 12
	MinFanPct       float64          // fan speed at no load; 30
	Fans            int              // 1 to 8; 8
	MaxFanRPM       float64          // 3600
	Now             func() time.Time // clock; time.Now
	Refresh         time.Duration    // how often readings are resampled; 1s
}

func (c *InRowConfig) defaults() error {
	setDefault(&c.SysObjectID, "1.3.6.1.4.1.318.1.3.14.23")
	setDefault(&c.SupplySetpointC, 20)
	setDefault(&c.RatedDeltaC, 12)
	setDefault(&c.MinFanPct, 30)
	setDefault(&c.Fans, 8)
	setDefault(&c.MaxFanRPM, 3600)
	setDefault(&c.Refresh, time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.Name == "":
		return fmt.Errorf("in-row unit: no name: %w", ErrBadConfig)
	case c.HeatLoad == nil || c.CapacityWatts <= 0:
		return fmt.Errorf("in-row unit %s: need HeatLoad and a positive CapacityWatts: %w", c.Name, ErrBadConfig)
	case c.Fans < 1 || c.Fans > 8 || c.MinFanPct < 0 || c.MinFanPct > 100 || c.RatedDeltaC <= 0:
		return fmt.Errorf("in-row unit %s: fans, fan speed or ΔT out of range: %w", c.Name, ErrBadConfig)
	}
	return nil
}

// InRow is a simulated APC InRow cooling unit. Its cooling output follows
// the heat load up to capacity; the fans speed up with load, the supply air
// holds its setpoint until the unit is overloaded, and the return air is
// as much warmer as the heat removed by the airflow makes it (so it rises
// with load/capacity), all at the MIB's tenths.
type InRow struct {
	*Device
	cfg InRowConfig

	mu  sync.Mutex
	cur *inrowSample
	at  time.Time
}

// inrowSample is one set of readings of an InRow, in SI units.
type inrowSample struct {
	loadW, outputW, supplyC, returnC, inletC, fanPct, airflowLps float64
	mode                                                         int
}

// NewInRow builds the unit's view: the system group and the coolingUnit
// analog and discrete tables.
func NewInRow(cfg InRowConfig) (*InRow, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	u := &InRow{cfg: cfg}
	v := NewView()
	sys := sysInfo{
		descr:    "APC InRow DX 300mm (MB:v4.1.0 PF:v6.8.8 PN:apc_hw06_aos_688.bin AF1:v6.6.9.b AN1:apc_hw06_rd3xx_669b.bin MN:0N-9580AC HR:06) (sim)",
		objectID: cfg.SysObjectID, name: cfg.Name, contact: "dcplane sim", location: cfg.Location,
	}
	if err := addSystem(v, sys, cfg.Now(), cfg.Now); err != nil {
		return nil, fmt.Errorf("in-row unit %s: %w", cfg.Name, err)
	}
	v.Set(coolingUnitTableSize, Integer(1))
	u.addAnalog(v)
	u.addDiscrete(v)
	u.Device = NewDevice(v)
	return u, nil
}

// Config returns the configuration with its defaults applied.
func (u *InRow) Config() InRowConfig { return u.cfg }

// analogRow is one entry of the analog table: its reading in the unit's
// units, times scale, is what the MIB carries.
type analogRow struct {
	entry        int
	descr, units string
	scale        int
	read         func(*inrowSample) float64
}

func (u *InRow) analogRows() []analogRow {
	inlet := func(s *inrowSample) float64 { return s.inletC }
	rows := []analogRow{
		{inrowMinRackC, "Group Minimum Rack Temperature", "C", 10, inlet},
		{inrowMaxRackC, "Group Maximum Rack Temperature", "C", 10, inlet},
		{inrowTotalAirLps, "Total Airflow", "L/s", 1, func(s *inrowSample) float64 { return s.airflowLps }},
		{inrowTotalAirCFM, "Total Airflow", "CFM", 1, func(s *inrowSample) float64 { return s.airflowLps * lpsToCFM }},
		{inrowTotalDemand, "Total Air Side Cooling Demand", "kW", 10, func(s *inrowSample) float64 { return s.loadW / 1000 }},
		{inrowTotalCooling, "Total Sensible Cooling Power", "kW", 10, func(s *inrowSample) float64 { return s.outputW / 1000 }},
		{inrowSupplyC, "Supply Temperature", "C", 10, func(s *inrowSample) float64 { return s.supplyC }},
		{inrowInletC, "Maximum Rack Inlet Temperature", "C", 10, inlet},
		{inrowReturnC, "Return Temperature", "C", 10, func(s *inrowSample) float64 { return s.returnC }},
		{inrowAirLps, "Airflow", "L/s", 1, func(s *inrowSample) float64 { return s.airflowLps }},
		{inrowAirCFM, "Airflow", "CFM", 1, func(s *inrowSample) float64 { return s.airflowLps * lpsToCFM }},
		{inrowCoolDemand, "Cool Demand", "kW", 10, func(s *inrowSample) float64 { return s.loadW / 1000 }},
		{inrowCoolOutput, "Cool Output", "kW", 10, func(s *inrowSample) float64 { return s.outputW / 1000 }},
		{inrowFanSpeed, "Fan Speed", "%", 10, func(s *inrowSample) float64 { return s.fanPct }},
	}
	celsius := rows
	for _, r := range celsius {
		if r.units == "C" { // each Celsius row has a Fahrenheit twin after it
			rows = append(rows, analogRow{r.entry + 1, r.descr, "F", 10, func(s *inrowSample) float64 { return r.read(s)*9/5 + 32 }})
		}
	}
	for i := range u.cfg.Fans {
		rows = append(rows, analogRow{inrowFan1 + i, fmt.Sprintf("Fan %d", i+1), "rpm", 1,
			func(s *inrowSample) float64 { return u.cfg.MaxFanRPM * s.fanPct / 100 }})
	}
	return rows
}

func (u *InRow) addAnalog(v *View) {
	for _, r := range u.analogRows() {
		e := uint32(r.entry)
		v.Set(coolingAnalog.Append(1, 1, e), Integer(r.entry))
		v.Set(coolingAnalog.Append(2, 1, e), OctetString(r.descr))
		v.SetLive(coolingAnalog.Append(3, 1, e), func() Value {
			return Integer(round(r.read(u.sample()) * float64(r.scale)))
		})
		v.Set(coolingAnalog.Append(4, 1, e), OctetString(r.units))
		v.Set(coolingAnalog.Append(5, 1, e), Integer(r.scale))
	}
}

func (u *InRow) addDiscrete(v *View) {
	row := func(e uint32, descr, defs string) {
		v.Set(coolingDiscrete.Append(1, 1, e), Integer(int(e)))
		v.Set(coolingDiscrete.Append(2, 1, e), OctetString(descr))
		v.Set(coolingDiscrete.Append(5, 1, e), OctetString(defs))
	}
	row(1, "Active Flow Control Status", "Under(0),Okay(1),Over(2),NA(3),NA(4)")
	v.Set(coolingDiscrete.Append(3, 1, 1), OctetString("NA"))
	v.Set(coolingDiscrete.Append(4, 1, 1), Integer(4))
	row(2, "Mode", "Unknown(0),Initializing(1),Off(2),Standby(3),Idle(4),Startup Delay(5),Active(6),Maintenance(7)")
	v.SetLive(coolingDiscrete.Append(3, 1, 2), func() Value {
		if u.sample().mode == inrowModeActive {
			return OctetString("Active")
		}
		return OctetString("Idle")
	})
	v.SetLive(coolingDiscrete.Append(4, 1, 2), func() Value { return Integer(u.sample().mode) })
}

// sample returns the current readings, resampled at most every Refresh.
func (u *InRow) sample() *inrowSample {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.cfg.Now()
	if u.cur != nil && now.Sub(u.at) < u.cfg.Refresh {
		return u.cur
	}
	load := u.cfg.HeatLoad()
	if math.IsNaN(load) || math.IsInf(load, 0) || load < 0 {
		load = 0
	}
	u.cur, u.at = coolFor(u.cfg, load), now
	return u.cur
}

// coolFor is the unit's steady state for a heat load. The airflow at full
// fan speed carries the rated capacity at the rated ΔT; heat beyond the
// capacity is not removed and warms the supply air.
func coolFor(c InRowConfig, loadW float64) *inrowSample {
	x := loadW / c.CapacityWatts
	s := &inrowSample{loadW: loadW, outputW: min(loadW, c.CapacityWatts), mode: inrowModeActive}
	if loadW == 0 {
		s.mode = inrowModeIdle
	}
	s.fanPct = min(100, c.MinFanPct+(100-c.MinFanPct)*x)
	maxAirM3s := c.CapacityWatts / (airDensity * airHeatJPerKgK * c.RatedDeltaC)
	s.airflowLps = maxAirM3s * 1000 * s.fanPct / 100
	s.supplyC = c.SupplySetpointC + c.RatedDeltaC*max(0, x-1)
	if s.airflowLps > 0 {
		s.returnC = s.supplyC + s.outputW/(airDensity*airHeatJPerKgK*s.airflowLps/1000)
	} else {
		s.returnC = s.supplyC
	}
	s.inletC = s.supplyC + 1.5 // a little recirculation between unit and rack
	return s
}
