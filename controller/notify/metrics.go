package notify

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Notifier's metrics, by target: the Alertmanager's URL.
type metrics struct {
	sent    *prometheus.CounterVec
	errors  *prometheus.CounterVec
	dropped *prometheus.CounterVec
	queue   *prometheus.GaugeVec
	latency *prometheus.HistogramVec
}

// targetMetrics are one target's.
type targetMetrics struct {
	sent    prometheus.Counter
	errors  *prometheus.CounterVec // by reason
	latency prometheus.Observer
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	target := []string{"target"}
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_notify_alerts_sent_total", Help: "Alerts (firing or resolved) an Alertmanager accepted.",
		}, target),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_notify_errors_total",
			Help: "Failed posts to an Alertmanager, by reason: timeout, unreachable, server (5xx: retried), refused (4xx: dropped), other.",
		}, []string{"target", "reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_notify_alerts_dropped_total", Help: "Alert updates dropped, oldest first, because an Alertmanager's queue was full.",
		}, target),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dcplane_notify_queue_length", Help: "Alert updates waiting to be posted to an Alertmanager.",
		}, target),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dcplane_notify_latency_seconds", Help: "Time one post of alerts to an Alertmanager took, failed or not.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, target),
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.sent, m.errors, m.dropped, m.queue, m.latency} {
		errs = append(errs, reg.Register(c))
	}
	return m, errors.Join(errs...)
}

// target returns the metrics of target name, each series at 0 so that a
// rate of it is 0 rather than absent.
func (m *metrics) target(name string) targetMetrics {
	for _, r := range reasons {
		m.errors.WithLabelValues(name, r)
	}
	m.dropped.WithLabelValues(name)
	m.queue.WithLabelValues(name)
	return targetMetrics{
		sent:    m.sent.WithLabelValues(name),
		errors:  m.errors.MustCurryWith(prometheus.Labels{"target": name}),
		latency: m.latency.WithLabelValues(name),
	}
}
