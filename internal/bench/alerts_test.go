package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/internal/peer"
)

// TestAlertsSummarise checks each stage's spread is of its own field of
// each run, and the goal is judged on the alert's arrival at Alertmanager.
func TestAlertsSummarise(t *testing.T) {
	r := AlertsResult{GoalSeconds: 2, PerRun: []AlertRun{
		{FireRead: 0.5, FireLeader: 1.0, FireAlertmanager: 1.1, ResolveRead: 0.2, ResolveLeader: 6, ResolveAlertmanager: 6.1},
		{FireRead: 0.9, FireLeader: 1.5, FireAlertmanager: 1.9, ResolveRead: 0.4, ResolveLeader: 7, ResolveAlertmanager: 7.2},
		{FireRead: 0.1, FireLeader: 0.2, FireAlertmanager: 0.3, ResolveRead: 0.3, ResolveLeader: 5, ResolveAlertmanager: 5.5},
	}}
	r.summarise()
	want := []AlertStage{
		{Min: 0.1, Median: 0.5, P99: 0.9, Max: 0.9},
		{Min: 0.2, Median: 1.0, P99: 1.5, Max: 1.5},
		{Min: 0.3, Median: 1.1, P99: 1.9, Max: 1.9},
		{Min: 0.2, Median: 0.3, P99: 0.4, Max: 0.4},
		{Min: 5, Median: 6, P99: 7, Max: 7},
		{Min: 5.5, Median: 6.1, P99: 7.2, Max: 7.2},
	}
	if len(r.Stages) != len(want) {
		t.Fatalf("got %d stages, want %d", len(r.Stages), len(want))
	}
	for i, w := range want {
		w.Name = r.Stages[i].Name
		if got := r.Stages[i]; got != w {
			t.Errorf("stage %d: got %+v, want %+v", i, got, w)
		}
	}
	if !r.GoalMet {
		t.Errorf("got goal not met at a max of 1.9 s, want met (goal 2 s)")
	}
	r.PerRun[1].FireAlertmanager = 2.01
	r.summarise()
	if r.GoalMet {
		t.Errorf("got goal met at a max of 2.01 s, want not met (goal 2 s)")
	}
	for _, row := range r.Rows() {
		if len(row) != len(r.Header()) {
			t.Errorf("got %d cells under %d columns, want as many", len(row), len(r.Header()))
		}
	}
	if s := r.Summary(); !strings.Contains(s, "NOT met (max 2.01 s)") {
		t.Errorf("summary: got %q, want the goal said missed with its max", s)
	}
}

// TestAlerts runs the bench on two racks with Debian's Alertmanager: each
// run's steps come in order (read, fired on the leader, in Alertmanager),
// the alert arrives within a few poll intervals and resolves after the
// demo's clear time.
func TestAlerts(t *testing.T) {
	bin := peer.Require(t, "prometheus-alertmanager", "prometheus-alertmanager")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const interval = 500 * time.Millisecond
	r, err := Alerts(ctx, AlertsConfig{Racks: 2, Interval: interval, Runs: 2, Alertmanager: bin})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.PerRun) != 2 || r.PerRun[0].Rack == r.PerRun[1].Rack {
		t.Fatalf("got runs %+v, want 2 on distinct racks", r.PerRun)
	}
	for _, run := range r.PerRun {
		if !(0 < run.FireRead && run.FireRead <= run.FireLeader && run.FireLeader <= run.FireAlertmanager) {
			t.Errorf("%s: got read %.2f s, fired %.2f s, in Alertmanager %.2f s: want them in that order", run.Rack,
				run.FireRead, run.FireLeader, run.FireAlertmanager)
		}
		if limit := (4*interval + 2*time.Second).Seconds(); run.FireAlertmanager > limit {
			t.Errorf("%s: got the alert in Alertmanager after %.2f s, want within %.2f s", run.Rack, run.FireAlertmanager, limit)
		}
		// The demo resolves once the rack has been under its clear level for 5 s.
		if run.ResolveAlertmanager < 5 || run.ResolveAlertmanager < run.ResolveLeader {
			t.Errorf("%s: got resolved on the leader %.2f s, in Alertmanager %.2f s, want both after the 5 s clear time, Alertmanager last",
				run.Rack, run.ResolveLeader, run.ResolveAlertmanager)
		}
	}
	if !strings.HasPrefix(r.Alertmanager, "alertmanager, version") {
		t.Errorf("got version %q, want alertmanager's --version", r.Alertmanager)
	}
}
