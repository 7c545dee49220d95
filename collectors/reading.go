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

	// PowerMinWatts, PowerMaxWatts and PowerAverageWatts are the lowest,
	// highest and mean active power a device measured over its own
	// statistics window (a BMC's DCMI power reading), whose length is
	// PowerWindowSeconds.
	PowerMinWatts      Metric = "power_min_watts"
	PowerMaxWatts      Metric = "power_max_watts"
	PowerAverageWatts  Metric = "power_average_watts"
	PowerWindowSeconds Metric = "power_window_seconds"
	// PSUPresent is 1 when a server's power supply says it is present, 0
	// when it says it is not.
	PSUPresent Metric = "psu_present"
	// PSUInputOK is 1 when a power supply says its input is present and in
	// range, 0 when it says its input is lost or out of range (its feed is
	// down, or it is unplugged).
	PSUInputOK Metric = "psu_input_ok"
	// PSUHealthy is 1 when a power supply reports no failure, predictive
	// failure or configuration error, 0 when it reports one.
	PSUHealthy Metric = "psu_healthy"
	// PowerResolutionWatts is the step of the PowerWatts reading at the
	// same scope and index (a BMC sensor's watts per count, 1 W for DCMI):
	// that reading may be off by half of it. A metric of its own, not a
	// field of Reading, so that agents and controllers of older versions
	// still read each other's batches.
	PowerResolutionWatts Metric = "power_resolution_watts"
)

// Metrics lists every metric above, for profile validation and docs.
func Metrics() []Metric {
	return []Metric{PowerWatts, ApparentPowerVA, CurrentAmperes, VoltageVolts, EnergyJoules,
		PowerFactorRatio, TemperatureCelsius, HumidityPercent, CoolingOutputWatts, SupplyAirCelsius,
		ReturnAirCelsius, FanSpeedPercent, VoltageLineToLineVolts, RatedCurrentAmperes,
		NearOverloadAmperes, UnitRunning, LoadPercent, BatteryChargePercent, BatteryRuntimeSeconds,
		PowerMinWatts, PowerMaxWatts, PowerAverageWatts, PowerWindowSeconds, PSUPresent, PSUInputOK, PSUHealthy,
		PowerResolutionWatts}
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
	// ScopePSU is one power supply of a server, numbered from 1 in the
	// order of the BMC's entity instances.
	ScopePSU Scope = "psu"
)

// Scopes lists every scope above, for profile validation.
func Scopes() []Scope {
	return []Scope{ScopeDevice, ScopePhase, ScopeBank, ScopeOutlet, ScopeSensor, ScopeBreaker, ScopeUnit, ScopePSU}
}

// Reading is one normalised measurement of one device.
//
// The CBOR tags make the agent's batches compact: a reading is encoded as a
// four-element array.
type Reading struct {
	_      struct{} `cbor:",toarray"`
	Metric Metric   `json:"metric"`
	Scope  Scope    `json:"scope"`
	Index  int      `json:"index,omitempty"` // phase, bank, outlet, sensor or PSU number (1-based); 0 for ScopeDevice
	Value  float64  `json:"value"`
}

// ReasonLocal is the Status.Reason of a poll that failed because this
// host could not open a socket to the device (its ephemeral ports, file
// descriptors or buffers ran out): nothing was sent, and the device is not
// to blame. Every protocol's collector uses this word for it.
const ReasonLocal = "local"

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
