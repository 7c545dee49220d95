package collectors

import "time"

// Metric names a measured quantity together with its base unit.
type Metric string

// The metrics collectors report. Each carries its base unit in its name, as
// Prometheus metric names do.
const (
	PowerWatts         Metric = "power_watts" // active power
	ApparentPowerVA    Metric = "apparent_power_voltamperes"
	CurrentAmperes     Metric = "current_amperes"
	VoltageVolts       Metric = "voltage_volts"
	EnergyJoules       Metric = "energy_joules" // cumulative active energy
	PowerFactorRatio   Metric = "power_factor_ratio"
	TemperatureCelsius Metric = "temperature_celsius"
	HumidityPercent    Metric = "humidity_percent"
	CoolingOutputWatts Metric = "cooling_output_watts" // heat removed by a cooling unit
	SupplyAirCelsius   Metric = "supply_air_celsius"
	ReturnAirCelsius   Metric = "return_air_celsius"
	FanSpeedPercent    Metric = "fan_speed_percent"

	// VoltageLineToLineVolts is a voltage measured between two phases;
	// VoltageVolts is line-to-neutral (or the only voltage of a
	// single-phase circuit).
	VoltageLineToLineVolts Metric = "voltage_line_to_line_volts"
	// RatedCurrentAmperes is the device's own limit for a circuit (a
	// breaker's or a phase's rating), as the device reports it.
	RatedCurrentAmperes Metric = "rated_current_amperes"
	// NearOverloadAmperes is the device's own near-overload threshold.
	NearOverloadAmperes Metric = "near_overload_amperes"
	// UnitRunning is 1 when a cooling unit or UPS says it is running
	// normally (on, online), 0 when it says it is not.
	UnitRunning Metric = "unit_running"
	// LoadPercent is a UPS output's load, in % of its capacity.
	LoadPercent Metric = "load_percent"
	// BatteryChargePercent is a UPS battery's remaining charge.
	BatteryChargePercent Metric = "battery_charge_percent"
	// BatteryRuntimeSeconds is a UPS's estimated time left on battery.
	BatteryRuntimeSeconds Metric = "battery_runtime_seconds"
)

// Metrics lists every metric above, for profile validation and docs.
func Metrics() []Metric {
	return []Metric{PowerWatts, ApparentPowerVA, CurrentAmperes, VoltageVolts, EnergyJoules,
		PowerFactorRatio, TemperatureCelsius, HumidityPercent, CoolingOutputWatts, SupplyAirCelsius,
		ReturnAirCelsius, FanSpeedPercent, VoltageLineToLineVolts, RatedCurrentAmperes,
		NearOverloadAmperes, UnitRunning, LoadPercent, BatteryChargePercent, BatteryRuntimeSeconds}
}

// Scope says which part of a device a reading belongs to.
type Scope string

// The scopes of a reading. ScopeDevice is the device as a whole (a PDU's
// input, a cooling unit's output); the others are numbered by Reading.Index.
const (
	ScopeDevice Scope = "device"
	ScopePhase  Scope = "phase"
	ScopeBank   Scope = "bank"
	ScopeOutlet Scope = "outlet"
	ScopeSensor Scope = "sensor"
	// ScopeBreaker is a PDU's circuit breaker (or fuse) protecting a group
	// of outlets.
	ScopeBreaker Scope = "breaker"
	// ScopeUnit is one unit of a cooling group or one UPS module.
	ScopeUnit Scope = "unit"
)

// Scopes lists every scope above, for profile validation.
func Scopes() []Scope {
	return []Scope{ScopeDevice, ScopePhase, ScopeBank, ScopeOutlet, ScopeSensor, ScopeBreaker, ScopeUnit}
}

// Reading is one normalised measurement of one device.
//
// The CBOR tags make the agent's batches compact: a reading is encoded as a
// four-element array.
type Reading struct {
	_      struct{} `cbor:",toarray"`
	Metric Metric   `json:"metric"`
	Scope  Scope    `json:"scope"`
	Index  int      `json:"index,omitempty"` // phase, bank, outlet or sensor number (1-based); 0 for ScopeDevice
	Value  float64  `json:"value"`
}

// Status is the outcome of one poll of one device. A poll that fails makes all
// of the device's readings unknown from At on: the controller marks its series
// stale rather than keeping, or zeroing, the last values.
type Status struct {
	_        struct{}  `cbor:",toarray"`
	Device   string    `json:"device"`
	At       time.Time `json:"at"`
	OK       bool      `json:"ok"`
	Reason   string    `json:"reason,omitempty"` // short, low-cardinality cause: timeout, refused, parse, auth…
	Err      string    `json:"error,omitempty"`
	Readings []Reading `json:"readings,omitempty"`
}
