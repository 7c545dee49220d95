package controller

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/store"
)

// TestPlacementResult: each answer counts under one result; a refusal is
// a refusal even when the state makes it after the commit began, and any
// other error once the commit began leaves the outcome unknown.
func TestPlacementResult(t *testing.T) {
	inf := &placement.Infeasible{Constraint: "rack-power"}
	tests := []struct {
		name               string
		dryRun, committing bool
		err                error
		want               string
	}{
		{"placed", false, true, nil, resultPlaced},
		{"replayed for its key", false, false, nil, resultPlaced},
		{"dry run", true, false, nil, resultDryRun},
		{"does not fit", false, false, inf, resultRefused},
		{"overbooked at the last attempt", false, true, fmt.Errorf("place: %w: %w", state.ErrOverbooked, inf), resultRefused},
		{"malformed", false, false, &placement.FieldError{Field: "replicas", Msg: "must be positive"}, resultInvalid},
		{"commit failed", false, true, errors.New("raft: leadership lost while committing log"), resultUnknown},
		{"not the leader", false, false, store.ErrNotLeader, resultUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := placementResult(tt.dryRun, tt.committing, tt.err); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPlacementMetrics: every result and reason is exported from the
// start, at 0; a refusal counts under its binding constraint, one without
// a constraint (no server) under no-server; each answer is timed.
func TestPlacementMetrics(t *testing.T) {
	m := newPlacementMetrics()
	c := collectorOf{m.describe, m.collect}
	start := time.Now()
	m.answered(start, false, true, nil)
	m.answered(start, false, false, &placement.Infeasible{Constraint: "feed-failover"})
	m.answered(start, false, true, fmt.Errorf("place: %w: %w", state.ErrOverbooked, &placement.Infeasible{Constraint: "feed-failover"}))
	m.answered(start, false, false, &placement.Infeasible{})
	m.decided(start)
	var want strings.Builder
	want.WriteString("# HELP dcplane_placement_requests_total " + vecHelp(t, m.requests) + "\n# TYPE dcplane_placement_requests_total counter\n")
	for _, r := range placementResults {
		n := map[string]int{resultPlaced: 1, resultRefused: 3}[r]
		fmt.Fprintf(&want, "dcplane_placement_requests_total{result=%q} %d\n", r, n)
	}
	want.WriteString("# HELP dcplane_placement_refusals_total " + vecHelp(t, m.refusals) + "\n# TYPE dcplane_placement_refusals_total counter\n")
	for _, r := range append(placement.Constraints(), noServerReason) {
		n := map[string]int{"feed-failover": 2, noServerReason: 1}[r]
		fmt.Fprintf(&want, "dcplane_placement_refusals_total{reason=%q} %d\n", r, n)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want.String()), "dcplane_placement_requests_total", "dcplane_placement_refusals_total"); err != nil {
		t.Error(err)
	}
	if got := testutil.CollectAndCount(c, "dcplane_placement_request_duration_seconds", "dcplane_placement_decision_seconds"); got != 2 {
		t.Errorf("got %d histograms, want 2", got)
	}
	if n := histogramCount(t, m.duration); n != 4 {
		t.Errorf("got %d answers timed, want 4", n)
	}
	if n := histogramCount(t, m.decision); n != 1 {
		t.Errorf("got %d decisions timed, want 1", n)
	}
}

// vecHelp is the help text of a vector's descriptor.
func vecHelp(t *testing.T, v prometheus.Collector) string {
	t.Helper()
	ch := make(chan *prometheus.Desc, 1)
	v.Describe(ch)
	return help(t, <-ch)
}

// histogramCount is how many observations h has.
func histogramCount(t *testing.T, h prometheus.Histogram) uint64 {
	t.Helper()
	var d dto.Metric
	if err := h.Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetHistogram().GetSampleCount()
}
