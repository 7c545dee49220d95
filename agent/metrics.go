package agent

import "github.com/prometheus/client_golang/prometheus"

// metrics are the agent's own Prometheus metrics.
type metrics struct {
	pollDuration    *prometheus.HistogramVec // by protocol
	polls           *prometheus.CounterVec   // by result
	pollErrors      *prometheus.CounterVec   // by reason
	startLag        *prometheus.GaugeVec     // by protocol
	overdue         *prometheus.CounterVec   // by protocol
	backoff         prometheus.Gauge
	targets         prometheus.Gauge
	bufferDepth     prometheus.Gauge
	bufferCapacity  prometheus.Gauge
	dropped         prometheus.Counter
	pushes          *prometheus.CounterVec // by result
	refusedPolls    *prometheus.CounterVec // by reason
	refusedReadings *prometheus.CounterVec // by reason
	reachable       prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		pollDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dcplane_agent_poll_duration_seconds", Help: "Time one poll of one device took, by protocol (snmp, ipmi).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20},
		}, []string{"protocol"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_agent_polls_total", Help: "Polls of devices, by result (ok, error).",
		}, []string{"result"}),
		pollErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_agent_poll_errors_total", Help: "Failed polls, by reason (timeout, refused, auth, decode, …).",
		}, []string{"reason"}),
		startLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dcplane_agent_poll_start_lag_seconds", Help: "How long after its time the last poll started, by protocol: above 0 while every worker is busy.",
		}, []string{"protocol"}),
		overdue: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_agent_polls_overdue_total", Help: "Polls that started more than one interval after their time, by protocol: the agent falling behind (too few workers for its devices), not the devices failing.",
		}, []string{"protocol"}),
		backoff: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dcplane_agent_devices_in_backoff", Help: "Devices polled less often because their last polls failed.",
		}),
		targets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dcplane_agent_targets", Help: "Devices this agent polls.",
		}),
		bufferDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dcplane_agent_buffer_batches", Help: "Batches waiting to be pushed to the controller.",
		}),
		bufferCapacity: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dcplane_agent_buffer_capacity_batches", Help: "How many batches the buffer holds before it drops the oldest.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dcplane_agent_buffer_dropped_batches_total", Help: "Batches dropped, oldest first, because the buffer was full.",
		}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_agent_pushes_total", Help: "Pushes of batches to the controller, by result: ok, error (retried), rejected (refused for good, dropped), throttled (over this agent's limits, retried).",
		}, []string{"result"}),
		refusedPolls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_agent_refused_polls_total", Help: "Polls the controller refused from batches it took, by its reason: unassigned (a device outside this agent's halls), future, push-limit.",
		}, []string{"reason"}),
		refusedReadings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_agent_refused_readings_total", Help: "Readings the controller dropped from polls it took, by its reason: implausible, beyond-rating, series-limit.",
		}, []string{"reason"}),
		reachable: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dcplane_agent_controller_reachable", Help: "1 if the last push to the controller succeeded, else 0.",
		}),
	}
	reg.MustRegister(m.pollDuration, m.polls, m.pollErrors, m.startLag, m.overdue, m.backoff, m.targets,
		m.bufferDepth, m.bufferCapacity, m.dropped, m.pushes, m.refusedPolls, m.refusedReadings, m.reachable)
	return m
}
