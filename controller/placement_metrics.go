package controller

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dcplane/dcplane/controller/placement"
)

// Results of a placement request, the result label of
// dcplane_placement_requests_total.
const (
	resultPlaced      = "placed"      // committed, or the placement its key made replayed
	resultDryRun      = "dry_run"     // a dry run decided; nothing committed
	resultRefused     = "refused"     // does not fit
	resultInvalid     = "invalid"     // malformed, or a key used for another request
	resultUnknown     = "unknown"     // the commit failed: whether it took effect is not known
	resultUnavailable = "unavailable" // not decided: not the leader, no inventory
)

var placementResults = []string{resultPlaced, resultDryRun, resultRefused, resultInvalid, resultUnknown, resultUnavailable}

// noServerReason is the refusal reason of a cluster without servers, whose
// refusal names no constraint.
const noServerReason = "no-server"

// placementBuckets span a decision on an idle leader (~100 µs) to a commit
// on a loaded disk (seconds).
var placementBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// placementMetrics counts the leader's placement requests. Every counter is
// resolved once, here, so that counting a request on the placement path
// is an atomic add: no label is looked up or allocated per request.
type placementMetrics struct {
	requests *prometheus.CounterVec
	refusals *prometheus.CounterVec
	result   map[string]prometheus.Counter // by result
	reason   map[string]prometheus.Counter // by binding constraint
	decision prometheus.Histogram
	duration prometheus.Histogram
}

func newPlacementMetrics() *placementMetrics {
	m := &placementMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_placement_requests_total",
			Help: "Placement and reservation requests this controller answered, by result: placed (committed, or replayed for its idempotency key), dry_run, refused (does not fit), invalid (malformed, or a key reused for another request), unknown (the commit failed: whether it took effect is not known), unavailable (not decided: not the leader, no inventory).",
		}, []string{"result"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dcplane_placement_refusals_total",
			Help: "Placement requests refused as not fitting, by the binding constraint (the one that ruled out the most promising candidate): rack-power, feed-failover, cooling, hall-budget, site-budget, cpu, memory, gpus, labels, pin, spread, both-feeds, watts; no-server for a cluster without servers.",
		}, []string{"reason"}),
		result: map[string]prometheus.Counter{},
		reason: map[string]prometheus.Counter{},
		decision: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dcplane_placement_decision_seconds",
			Help:    "Time the leader took to decide where a request's replicas go, waiting for the decision lock included, the commit not.",
			Buckets: placementBuckets,
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dcplane_placement_request_duration_seconds",
			Help:    "Time the leader took to answer a placement or reservation request: validation, decision and the Raft commit.",
			Buckets: placementBuckets,
		}),
	}
	for _, r := range placementResults {
		m.result[r] = m.requests.WithLabelValues(r)
	}
	for _, c := range append(placement.Constraints(), noServerReason) {
		m.reason[c] = m.refusals.WithLabelValues(c)
	}
	return m
}

func (m *placementMetrics) describe(ch chan<- *prometheus.Desc) {
	m.requests.Describe(ch)
	m.refusals.Describe(ch)
	m.decision.Describe(ch)
	m.duration.Describe(ch)
}

func (m *placementMetrics) collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.refusals.Collect(ch)
	m.decision.Collect(ch)
	m.duration.Collect(ch)
}

// decided records the time one decision took.
func (m *placementMetrics) decided(start time.Time) {
	m.decision.Observe(time.Since(start).Seconds())
}

// answered records a request answered with err, started at start;
// committing says whether it reached the commit.
func (m *placementMetrics) answered(start time.Time, dryRun, committing bool, err error) {
	m.duration.Observe(time.Since(start).Seconds())
	m.result[placementResult(dryRun, committing, err)].Inc()
	var inf *placement.Infeasible
	if errors.As(err, &inf) {
		reason := inf.Constraint
		if reason == "" {
			reason = noServerReason
		}
		if c, ok := m.reason[reason]; ok {
			c.Inc()
		}
	}
}

// placementResult classifies a request's answer. A refusal is a refusal
// whenever it comes (the state's too, after the last attempt); any other
// error once the commit began leaves the outcome unknown.
func placementResult(dryRun, committing bool, err error) string {
	var inf *placement.Infeasible
	var field *placement.FieldError
	switch {
	case err == nil && dryRun:
		return resultDryRun
	case err == nil:
		return resultPlaced
	case errors.As(err, &inf):
		return resultRefused
	case errors.As(err, &field):
		return resultInvalid
	case committing:
		return resultUnknown
	}
	return resultUnavailable
}
