package controller

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/telemetry"
)

// TestTelemetryRefusalsAreCountedByReason: what the window refuses shows on
// /metrics by reason, every reason present from the start.
func TestTelemetryRefusalsAreCountedByReason(t *testing.T) {
	w := telemetry.New(4, time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w.Ingest([]collectors.Status{
		{Device: "P1", At: now.Add(time.Hour), OK: true},
		{Device: "P2", At: now, OK: true, Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: -1}}},
	}, now)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(newTelemetryDrops(w))
	want := `
# HELP dcplane_controller_telemetry_dropped_readings_total Readings the telemetry window dropped, by reason: implausible (not finite, beyond 1e18, or negative), series-limit (past the series one device may have), beyond-rating (more than the device can physically carry).
# TYPE dcplane_controller_telemetry_dropped_readings_total counter
dcplane_controller_telemetry_dropped_readings_total{reason="beyond-rating"} 0
dcplane_controller_telemetry_dropped_readings_total{reason="implausible"} 1
dcplane_controller_telemetry_dropped_readings_total{reason="series-limit"} 0
# HELP dcplane_controller_telemetry_refused_polls_total Polls the telemetry window refused, by reason: future (stamped beyond the allowed clock skew), push-limit (past the polls one push may carry), unassigned (a device outside the halls its agent may report for).
# TYPE dcplane_controller_telemetry_refused_polls_total counter
dcplane_controller_telemetry_refused_polls_total{reason="future"} 1
dcplane_controller_telemetry_refused_polls_total{reason="push-limit"} 0
dcplane_controller_telemetry_refused_polls_total{reason="unassigned"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
