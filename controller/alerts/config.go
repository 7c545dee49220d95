package alerts

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dcplane/dcplane/controller/crosscheck"
	"github.com/dcplane/dcplane/internal/inventory"
)

// Duration is a time.Duration written as Go writes one ("90s", "5m",
// "1h30m") in YAML and JSON, where a bare time.Duration would be a count
// of nanoseconds.
type Duration time.Duration

// MarshalText writes the duration as "5m0s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a duration such as "90s" or "5m".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration (write 90s, 5m or 1h): %q", b)
	}
	*d = Duration(v)
	return nil
}

// Config holds one site's thresholds. Ratios are shares of a limit (0.8 is
// 80 %); durations are how long a condition must hold before its alert
// fires. DefaultConfig is what a production site starts from; DemoConfig
// makes alerts show within a minute.
type Config struct {
	// Hysteresis is the band, as a share of its limit, that a threshold
	// alert's value must fall below the limit by before the alert may
	// resolve: a rack power alert at 12 kW resolves under 12 kW × (1 − 0.05).
	Hysteresis float64 `yaml:"hysteresis" json:"hysteresis"`
	// ClearFor is how long a firing alert's value must stay past its clear
	// level before the alert resolves.
	ClearFor Duration `yaml:"clear_for" json:"clear_for"`

	Rack      RackConfig      `yaml:"rack" json:"rack"`
	Phase     PhaseConfig     `yaml:"phase" json:"phase"`
	Cooling   CoolingConfig   `yaml:"cooling" json:"cooling"`
	Inlet     InletConfig     `yaml:"inlet" json:"inlet"`
	Forecast  ForecastConfig  `yaml:"forecast" json:"forecast"`
	Telemetry TelemetryConfig `yaml:"telemetry" json:"telemetry"`
	Placement PlacementConfig `yaml:"placement" json:"placement"`
	// CrossCheck holds the tolerance of the servers' PSUs against the PDUs.
	CrossCheck CrossCheckConfig `yaml:"cross_check" json:"cross_check"`
}

// CrossCheckConfig holds the thresholds of the cross-check of a rack's
// servers' PSU input power against its PDUs, feed by feed (package
// controller/crosscheck).
type CrossCheckConfig struct {
	// ToleranceWatts plus ToleranceShare of what a feed's PDUs measure is
	// how far the two sums may disagree: meter accuracy, and what draws
	// from the feed with no BMC to say so (switches, patch panels).
	ToleranceWatts float64 `yaml:"tolerance_watts" json:"tolerance_watts"`
	ToleranceShare float64 `yaml:"tolerance_share" json:"tolerance_share"`
	// PDUResolutionWatts is the step of a PDU's power reading (10 W for
	// one that reports hundredths of a kW, as APC's rPDU2 does);
	// PSUResolutionWatts that of a PSU's input power whose BMC does not
	// state its own (this version's agents report each sensor's). Half of
	// every step summed widens a feed's tolerance: sums of rounded
	// readings cannot agree more finely than that.
	PDUResolutionWatts float64 `yaml:"pdu_resolution_watts" json:"pdu_resolution_watts"`
	PSUResolutionWatts float64 `yaml:"psu_resolution_watts" json:"psu_resolution_watts"`
	// For is how long a finding must hold before it alerts: the PDUs and
	// the BMCs are polled at different moments of a changing load.
	For Duration `yaml:"for" json:"for"`
}

// Tolerance is the cross-check's tolerance.
func (c CrossCheckConfig) Tolerance() crosscheck.Tolerance {
	return crosscheck.Tolerance{Watts: c.ToleranceWatts, Share: c.ToleranceShare,
		PDUResolution: c.PDUResolutionWatts, PSUResolution: c.PSUResolutionWatts}
}

// RackConfig holds the thresholds of a rack's draw against its budget and
// of A/B redundancy.
type RackConfig struct {
	// Warning and Critical are the shares of its budget at or above which a
	// rack's draw alerts, once sustained For. Over budget alerts at once.
	Warning  float64  `yaml:"warning" json:"warning"`
	Critical float64  `yaml:"critical" json:"critical"`
	For      Duration `yaml:"for" json:"for"`
	// FailoverDerate is the share of a surviving PDU's breaker rating that
	// each of its phases may carry when the other feed is lost
	// (inventory.DerateFactor, 0.8). Redundancy lost alerts at once.
	FailoverDerate float64 `yaml:"failover_derate" json:"failover_derate"`
}

// PhaseConfig holds the thresholds of a PDU's phases.
type PhaseConfig struct {
	// Current is the share of its breaker rating at or above which a
	// phase's current alerts, once sustained For.
	Current float64  `yaml:"current" json:"current"`
	For     Duration `yaml:"for" json:"for"`
	// Imbalance is the largest deviation of a phase's current from the
	// mean of the PDU's phases, as a share of that mean, at or above which
	// the PDU alerts once sustained ImbalanceFor. It is judged only while
	// the mean is at least ImbalanceMinLoad of the breaker rating: at light
	// load a few amperes are a large share and harm nothing.
	Imbalance        float64  `yaml:"imbalance" json:"imbalance"`
	ImbalanceMinLoad float64  `yaml:"imbalance_min_load" json:"imbalance_min_load"`
	ImbalanceFor     Duration `yaml:"imbalance_for" json:"imbalance_for"`
}

// CoolingConfig holds the threshold of a row's IT load against its N+1
// cooling capacity.
type CoolingConfig struct {
	For Duration `yaml:"for" json:"for"`
}

// InletConfig holds the threshold of inlet temperatures.
type InletConfig struct {
	// LimitCelsius is the inlet temperature above which a rack (or the
	// rack sensors of a cooling unit) alerts: ASHRAE's recommended upper
	// limit, 27 °C.
	LimitCelsius float64 `yaml:"limit_celsius" json:"limit_celsius"`
	// BandCelsius is the hysteresis of inlet temperature, in kelvin: a
	// firing alert resolves below LimitCelsius − BandCelsius.
	BandCelsius float64  `yaml:"band_celsius" json:"band_celsius"`
	For         Duration `yaml:"for" json:"for"`
}

// ForecastConfig holds the threshold of capacity forecasts.
type ForecastConfig struct {
	// Days: a rack, row or hall forecast to reach its budget within this
	// many days alerts. 0 turns the rule off.
	Days float64  `yaml:"days" json:"days"`
	For  Duration `yaml:"for" json:"for"`
}

// TelemetryConfig holds the thresholds of stale telemetry and absent agents.
type TelemetryConfig struct {
	// StaleFor is how long a device must stay stale before TelemetryStale
	// fires.
	StaleFor Duration `yaml:"stale_for" json:"stale_for"`
	// AgentDownAfter is how long an agent may go unheard before AgentDown
	// fires.
	AgentDownAfter Duration `yaml:"agent_down_after" json:"agent_down_after"`
}

// PlacementConfig holds the threshold of measured draw against declared
// power.
type PlacementConfig struct {
	// Excess and ExcessWatts: a rack whose measured draw is at least its
	// declared power × (1 + Excess) and at least ExcessWatts above it,
	// sustained For, alerts: its declarations understate what it draws.
	Excess      float64  `yaml:"excess" json:"excess"`
	ExcessWatts float64  `yaml:"excess_watts" json:"excess_watts"`
	For         Duration `yaml:"for" json:"for"`
}

// DefaultConfig returns the thresholds of a production site.
func DefaultConfig() Config {
	return Config{
		Hysteresis: 0.05,
		ClearFor:   Duration(time.Minute),
		Rack: RackConfig{Warning: 0.8, Critical: 0.95, For: Duration(5 * time.Minute),
			FailoverDerate: inventory.DerateFactor},
		Phase: PhaseConfig{Current: inventory.DerateFactor, For: Duration(5 * time.Minute),
			Imbalance: 0.2, ImbalanceMinLoad: 0.2, ImbalanceFor: Duration(15 * time.Minute)},
		Cooling:   CoolingConfig{For: Duration(5 * time.Minute)},
		Inlet:     InletConfig{LimitCelsius: 27, BandCelsius: 1, For: Duration(5 * time.Minute)},
		Forecast:  ForecastConfig{Days: 30, For: Duration(time.Hour)},
		Telemetry: TelemetryConfig{StaleFor: Duration(time.Minute), AgentDownAfter: Duration(2 * time.Minute)},
		Placement: PlacementConfig{Excess: 0.25, ExcessWatts: 1000, For: Duration(30 * time.Minute)},
		CrossCheck: CrossCheckConfig{ToleranceWatts: 50, ToleranceShare: 0.03, PDUResolutionWatts: 10, PSUResolutionWatts: 4,
			For: Duration(10 * time.Minute)},
	}
}

// DemoConfig returns DefaultConfig with durations short enough for the demo
// to show alerts firing and resolving within a minute.
func DemoConfig() Config {
	c := DefaultConfig()
	c.ClearFor = Duration(5 * time.Second)
	c.Rack.For = Duration(10 * time.Second)
	c.Phase.For = Duration(10 * time.Second)
	c.Phase.ImbalanceFor = Duration(20 * time.Second)
	c.Cooling.For = Duration(10 * time.Second)
	c.Inlet.For = Duration(10 * time.Second)
	c.Forecast.For = Duration(10 * time.Second)
	c.Telemetry.StaleFor = Duration(10 * time.Second)
	c.Telemetry.AgentDownAfter = Duration(20 * time.Second)
	c.Placement.For = Duration(30 * time.Second)
	c.CrossCheck.For = Duration(10 * time.Second)
	// The simulated PSUs lose nothing and every device is metered: a
	// production tolerance (50 W + 3 % of a feed, about 150 W) would hide
	// the ~90 W one miswired server moves between the feeds.
	c.CrossCheck.ToleranceWatts, c.CrossCheck.ToleranceShare = 20, 0.005
	return c
}

// ErrInvalidConfig is wrapped by every error Validate and ParseConfig
// return for thresholds that break the rules.
var ErrInvalidConfig = errors.New("alerts: invalid config")

// ConfigError is one problem of a config, located by field (its YAML path,
// e.g. rack.warning) and, when it was read from a file, by file and line.
type ConfigError struct {
	File  string
	Line  int
	Field string
	Msg   string
	// also is another field the problem is about (rack.warning of a
	// rack.critical not above it), whose line serves when Field is not in
	// the file.
	also string
}

// Error writes the problem as file:line: field: message.
func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File + ":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ConfigErrors lists every problem of one config.
type ConfigErrors []*ConfigError

// Error writes every problem, a line each.
func (es ConfigErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets errors.Is find ErrInvalidConfig and errors.As each
// ConfigError.
func (es ConfigErrors) Unwrap() []error {
	out := []error{ErrInvalidConfig}
	for _, e := range es {
		out = append(out, e)
	}
	return out
}

// Validate checks the thresholds; the error, if any, is a ConfigErrors.
func (c Config) Validate() error {
	var es ConfigErrors
	bad := func(field, format string, args ...any) {
		es = append(es, &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	share := func(field string, v float64) {
		if !(v > 0 && v <= 1) {
			bad(field, "want a share in (0, 1], got %v", v)
		}
	}
	atLeast := func(field string, v, lo float64) {
		if !(v >= lo) || math.IsInf(v, 0) {
			bad(field, "want a number ≥ %v, got %v", lo, v)
		}
	}
	duration := func(field string, d Duration) {
		if d < 0 {
			bad(field, "want a duration ≥ 0, got %v", time.Duration(d))
		}
	}
	if !(c.Hysteresis >= 0 && c.Hysteresis < 0.5) {
		bad("hysteresis", "want a share in [0, 0.5), got %v", c.Hysteresis)
	}
	duration("clear_for", c.ClearFor)
	share("rack.warning", c.Rack.Warning)
	share("rack.critical", c.Rack.Critical)
	if c.Rack.Warning >= c.Rack.Critical {
		bad("rack.critical", "want more than rack.warning (%v), got %v", c.Rack.Warning, c.Rack.Critical)
		es[len(es)-1].also = "rack.warning"
	}
	duration("rack.for", c.Rack.For)
	share("rack.failover_derate", c.Rack.FailoverDerate)
	share("phase.current", c.Phase.Current)
	duration("phase.for", c.Phase.For)
	// One phase of three carrying all is 2 off their mean: a larger limit
	// could never fire.
	if !(c.Phase.Imbalance > 0 && c.Phase.Imbalance <= 2) {
		bad("phase.imbalance", "want a share in (0, 2], got %v", c.Phase.Imbalance)
	}
	share("phase.imbalance_min_load", c.Phase.ImbalanceMinLoad)
	duration("phase.imbalance_for", c.Phase.ImbalanceFor)
	duration("cooling.for", c.Cooling.For)
	if !(c.Inlet.LimitCelsius >= 15 && c.Inlet.LimitCelsius <= 45) {
		bad("inlet.limit_celsius", "want 15 to 45 °C, got %v", c.Inlet.LimitCelsius)
	}
	if !(c.Inlet.BandCelsius >= 0 && c.Inlet.BandCelsius <= 5) {
		bad("inlet.band_celsius", "want 0 to 5 K, got %v", c.Inlet.BandCelsius)
	}
	duration("inlet.for", c.Inlet.For)
	atLeast("forecast.days", c.Forecast.Days, 0)
	duration("forecast.for", c.Forecast.For)
	duration("telemetry.stale_for", c.Telemetry.StaleFor)
	if c.Telemetry.AgentDownAfter <= 0 {
		bad("telemetry.agent_down_after", "want a duration > 0, got %v", time.Duration(c.Telemetry.AgentDownAfter))
	}
	atLeast("placement.excess", c.Placement.Excess, 0)
	atLeast("placement.excess_watts", c.Placement.ExcessWatts, 0)
	duration("placement.for", c.Placement.For)
	atLeast("cross_check.tolerance_watts", c.CrossCheck.ToleranceWatts, 0)
	atLeast("cross_check.tolerance_share", c.CrossCheck.ToleranceShare, 0)
	atLeast("cross_check.pdu_resolution_watts", c.CrossCheck.PDUResolutionWatts, 0)
	atLeast("cross_check.psu_resolution_watts", c.CrossCheck.PSUResolutionWatts, 0)
	duration("cross_check.for", c.CrossCheck.For)
	if len(es) > 0 {
		return es
	}
	return nil
}
