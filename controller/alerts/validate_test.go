package alerts

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

// TestValidate checks each rule of Validate at its edges: a value just
// inside is taken, one just outside is refused naming its field, and only
// that field.
func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		set   func(c *Config)
		field string // "" when the config is valid
	}{
		{"hysteresis 0", func(c *Config) { c.Hysteresis = 0 }, ""},
		{"hysteresis 0.5", func(c *Config) { c.Hysteresis = 0.5 }, "hysteresis"},
		{"hysteresis negative", func(c *Config) { c.Hysteresis = -0.01 }, "hysteresis"},
		{"clear_for 0", func(c *Config) { c.ClearFor = 0 }, ""},
		{"clear_for negative", func(c *Config) { c.ClearFor = Duration(-time.Second) }, "clear_for"},
		{"critical 1", func(c *Config) { c.Rack.Critical = 1 }, ""},
		{"critical over 1", func(c *Config) { c.Rack.Critical = 1.01 }, "rack.critical"},
		{"warning 0", func(c *Config) { c.Rack.Warning = 0 }, "rack.warning"},
		{"warning just under critical", func(c *Config) { c.Rack.Warning = 0.94 }, ""},
		{"rack.for 0: at once", func(c *Config) { c.Rack.For = 0 }, ""},
		{"rack.for negative", func(c *Config) { c.Rack.For = Duration(-time.Nanosecond) }, "rack.for"},
		{"failover_derate over 1", func(c *Config) { c.Rack.FailoverDerate = 1.5 }, "rack.failover_derate"},
		{"phase.current 0", func(c *Config) { c.Phase.Current = 0 }, "phase.current"},
		{"phase.for negative", func(c *Config) { c.Phase.For = Duration(-time.Minute) }, "phase.for"},
		{"imbalance 2", func(c *Config) { c.Phase.Imbalance = 2 }, ""},
		{"imbalance over 2", func(c *Config) { c.Phase.Imbalance = 2.01 }, "phase.imbalance"},
		{"imbalance 0", func(c *Config) { c.Phase.Imbalance = 0 }, "phase.imbalance"},
		{"imbalance_min_load over 1", func(c *Config) { c.Phase.ImbalanceMinLoad = 1.1 }, "phase.imbalance_min_load"},
		{"imbalance_for negative", func(c *Config) { c.Phase.ImbalanceFor = Duration(-time.Minute) }, "phase.imbalance_for"},
		{"cooling.for negative", func(c *Config) { c.Cooling.For = Duration(-time.Minute) }, "cooling.for"},
		{"inlet 15", func(c *Config) { c.Inlet.LimitCelsius = 15 }, ""},
		{"inlet 45", func(c *Config) { c.Inlet.LimitCelsius = 45 }, ""},
		{"inlet under 15", func(c *Config) { c.Inlet.LimitCelsius = 14.9 }, "inlet.limit_celsius"},
		{"inlet over 45", func(c *Config) { c.Inlet.LimitCelsius = 45.1 }, "inlet.limit_celsius"},
		{"band 0 and 5", func(c *Config) { c.Inlet.BandCelsius = 5 }, ""},
		{"band over 5", func(c *Config) { c.Inlet.BandCelsius = 5.1 }, "inlet.band_celsius"},
		{"band negative", func(c *Config) { c.Inlet.BandCelsius = -1 }, "inlet.band_celsius"},
		{"inlet.for negative", func(c *Config) { c.Inlet.For = Duration(-time.Minute) }, "inlet.for"},
		{"forecast off", func(c *Config) { c.Forecast.Days = 0 }, ""},
		{"forecast negative", func(c *Config) { c.Forecast.Days = -1 }, "forecast.days"},
		{"forecast infinite", func(c *Config) { c.Forecast.Days = math.Inf(1) }, "forecast.days"},
		{"forecast NaN", func(c *Config) { c.Forecast.Days = math.NaN() }, "forecast.days"},
		{"forecast.for negative", func(c *Config) { c.Forecast.For = Duration(-time.Minute) }, "forecast.for"},
		{"stale_for 0", func(c *Config) { c.Telemetry.StaleFor = 0 }, ""},
		{"stale_for negative", func(c *Config) { c.Telemetry.StaleFor = Duration(-time.Minute) }, "telemetry.stale_for"},
		{"agent_down_after 1ns", func(c *Config) { c.Telemetry.AgentDownAfter = 1 }, ""},
		{"agent_down_after 0", func(c *Config) { c.Telemetry.AgentDownAfter = 0 }, "telemetry.agent_down_after"},
		{"excess 0", func(c *Config) { c.Placement.Excess, c.Placement.ExcessWatts = 0, 0 }, ""},
		{"excess negative", func(c *Config) { c.Placement.Excess = -0.1 }, "placement.excess"},
		{"excess_watts negative", func(c *Config) { c.Placement.ExcessWatts = -1 }, "placement.excess_watts"},
		{"placement.for negative", func(c *Config) { c.Placement.For = Duration(-time.Minute) }, "placement.for"},
		{"tolerance_watts negative", func(c *Config) { c.CrossCheck.ToleranceWatts = -1 }, "cross_check.tolerance_watts"},
		{"tolerance_share negative", func(c *Config) { c.CrossCheck.ToleranceShare = -0.01 }, "cross_check.tolerance_share"},
		{"pdu_resolution_watts negative", func(c *Config) { c.CrossCheck.PDUResolutionWatts = -1 }, "cross_check.pdu_resolution_watts"},
		{"psu_resolution_watts negative", func(c *Config) { c.CrossCheck.PSUResolutionWatts = -1 }, "cross_check.psu_resolution_watts"},
		{"cross_check.for negative", func(c *Config) { c.CrossCheck.For = Duration(-time.Minute) }, "cross_check.for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.set(&c)
			err := c.Validate()
			var es ConfigErrors
			errors.As(err, &es)
			var got []string
			for _, e := range es {
				got = append(got, e.Field)
			}
			var want []string
			if tt.field != "" {
				want = []string{tt.field}
			}
			if !slices.Equal(got, want) {
				t.Errorf("got problems with %v (%v), want %v", got, err, want)
			}
			if tt.field != "" && !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("got %v, want ErrInvalidConfig", err)
			}
		})
	}
}
