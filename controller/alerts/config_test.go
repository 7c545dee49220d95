package alerts

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	for name, c := range map[string]Config{"default": DefaultConfig(), "demo": DemoConfig()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: got %v, want valid", name, err)
		}
	}
	d := DemoConfig()
	for _, v := range []Duration{d.ClearFor, d.Rack.For, d.Phase.For, d.Phase.ImbalanceFor, d.Cooling.For, d.Inlet.For,
		d.Forecast.For, d.Telemetry.StaleFor, d.Telemetry.AgentDownAfter, d.Placement.For} {
		if time.Duration(v) > 30*time.Second {
			t.Errorf("demo: got a wait of %v, want at most 30 s so that alerts show within a minute", time.Duration(v))
		}
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want func(c Config) bool
		errs []string // each problem, as Error() writes it
	}{
		{"empty: the defaults", "", func(c Config) bool { return c.Rack.Warning == 0.8 && c.Inlet.LimitCelsius == 27 }, nil},
		{"fields left out keep their defaults", "rack:\n  for: 90s\ninlet:\n  limit_celsius: 25\n",
			func(c Config) bool {
				return c.Rack.For == Duration(90*time.Second) && c.Rack.Critical == 0.95 && c.Inlet.LimitCelsius == 25 && c.Phase.Current == 0.8
			}, nil},
		{"unknown field", "rack:\n  warn: 0.7\n", nil, []string{"site.yaml:2: rack.warn: unknown field; known here: warning, critical, for, failover_derate"}},
		{"unknown top-level field", "clear_for: 1m\nrack_for: 5m\n", nil, []string{
			"site.yaml:2: rack_for: unknown field; known here: hysteresis, clear_for, rack, phase, cooling, inlet, forecast, telemetry, placement, cross_check"}},
		{"a second document", "rack:\n  for: 1m\n---\nrack:\n  for: 2m\n", nil, []string{"site.yaml:3: a second YAML document: the thresholds are one document"}},
		{"an imbalance that could never fire", "phase:\n  imbalance: 2.5\n", nil, []string{"site.yaml:2: phase.imbalance: want a share in (0, 2], got 2.5"}},
		{"NaN", "rack:\n  warning: .nan\n", nil, []string{"site.yaml:2: rack.warning: want a share in (0, 1], got NaN"}},
		{"warning at critical", "rack:\n  warning: 0.95\n", nil, []string{"site.yaml:2: rack.critical: want more than rack.warning (0.95), got 0.95"}},
		{"a duration as a bare number", "clear_for: 60\n", nil, []string{`site.yaml:1: want a duration (90s, 5m, 1h), got "60"`}},
		{"a bad duration", "hysteresis: 0.1\nclear_for: soon\n", nil, []string{`site.yaml:2: want a duration (90s, 5m, 1h), got "soon"`}},
		{"rules broken, each at its line", "rack:\n  warning: 0.9\n  critical: 0.85\ninlet:\n  limit_celsius: 80\n", nil, []string{
			"site.yaml:3: rack.critical: want more than rack.warning (0.9), got 0.85",
			"site.yaml:5: inlet.limit_celsius: want 15 to 45 °C, got 80",
		}},
		{"problems in the file's order", "inlet:\n  limit_celsius: 80\nrack:\n  critical: 1.5\n", nil, []string{
			"site.yaml:2: inlet.limit_celsius: want 15 to 45 °C, got 80",
			"site.yaml:4: rack.critical: want a share in (0, 1], got 1.5",
		}},
		{"a negative wait", "telemetry:\n  stale_for: -1s\n", nil, []string{"site.yaml:2: telemetry.stale_for: want a duration ≥ 0, got -1s"}},
		{"not YAML", "rack: [", nil, []string{"site.yaml:1: did not find expected node content"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig("site.yaml", []byte(tt.yaml))
			if tt.errs == nil {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				if !tt.want(c) {
					t.Errorf("got %+v", c)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("got %v, want ErrInvalidConfig", err)
			}
			var es ConfigErrors
			errors.As(err, &es)
			var got []string
			for _, e := range es {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tt.errs) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.errs, "\n\t"))
			}
		})
	}
}

func TestConfigJSON(t *testing.T) {
	b, err := json.Marshal(DemoConfig())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"for":"10s"`) {
		t.Errorf("got %s, want durations written as 10s", b)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != DemoConfig() {
		t.Errorf("got %+v, want the demo config back", back)
	}
}
