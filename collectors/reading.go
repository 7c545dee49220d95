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
)

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
)

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
