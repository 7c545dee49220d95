package controller

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/controller/telemetry"
)

// telemetryDrops exports what the telemetry window refused, by reason: the
// polls (from the future, past the per-push limit, outside the agent's
// halls) and the readings (implausible, past the per-device series limit,
// beyond the device's rating). Every reason is
// exported, at zero until it happens, so that alerts can rate() it.
type telemetryDrops struct {
	w        *telemetry.Window
	polls    *prometheus.Desc
	readings *prometheus.Desc
}

// newTelemetryDrops returns the collector of w's refusals.
func newTelemetryDrops(w *telemetry.Window) *telemetryDrops {
	return &telemetryDrops{w: w,
		polls: prometheus.NewDesc("dcplane_controller_telemetry_refused_polls_total",
			"Polls the telemetry window refused, by reason: future (stamped beyond the allowed clock skew), push-limit (past the polls one push may carry), unassigned (a device outside the halls its agent may report for).",
			[]string{"reason"}, nil),
		readings: prometheus.NewDesc("dcplane_controller_telemetry_dropped_readings_total",
			"Readings the telemetry window dropped, by reason: implausible (not finite, beyond 1e18, or negative), series-limit (past the series one device may have), beyond-rating (more than the device can physically carry).",
			[]string{"reason"}, nil),
	}
}

// Describe sends the descriptors of both counters.
func (t *telemetryDrops) Describe(ch chan<- *prometheus.Desc) {
	ch <- t.polls
	ch <- t.readings
}

// Collect sends the window's counts.
func (t *telemetryDrops) Collect(ch chan<- prometheus.Metric) {
	d := t.w.Dropped()
	for _, r := range telemetry.PollReasons {
		ch <- prometheus.MustNewConstMetric(t.polls, prometheus.CounterValue, float64(d[r]), string(r))
	}
	for _, r := range telemetry.ReadingReasons {
		ch <- prometheus.MustNewConstMetric(t.readings, prometheus.CounterValue, float64(d[r]), string(r))
	}
}
