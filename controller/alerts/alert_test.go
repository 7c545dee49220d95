package alerts

import (
	"maps"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/telemetry"
)

func TestIDAndLabels(t *testing.T) {
	e := evaluator(t, instant())
	in := quiet()
	amps(map[string][]float64{"K1-A": {13, 1, 1}, "K1-B": {13, 1, 1}})(&in)
	in.Agents = map[string]time.Time{"ag1": t0.Add(-time.Hour)}
	res := e.Evaluate(in, t0)
	tests := []struct {
		rule   Rule
		obj    string
		id     string
		labels map[string]string
	}{
		{RedundancyLost, "PDU K1-B L1 if feed A fails", "RedundancyLost{site=dc,hall=H1,row=R1,rack=K1,pdu=K1-B,phase=L1,feed=A}",
			map[string]string{"alertname": "RedundancyLost", "severity": "critical", "site": "dc", "hall": "H1", "row": "R1", "rack": "K1", "pdu": "K1-B", "phase": "L1", "feed": "A"}},
		{AgentDown, "agent ag1", "AgentDown{site=dc,agent=ag1}",
			map[string]string{"alertname": "AgentDown", "severity": "critical", "site": "dc", "agent": "ag1"}},
	}
	for _, tt := range tests {
		a, ok := find(res.Active, tt.rule, tt.obj)
		if !ok {
			t.Errorf("%s %s: not active", tt.rule, tt.obj)
			continue
		}
		if a.ID != tt.id {
			t.Errorf("got ID %s, want %s", a.ID, tt.id)
		}
		if got := a.Labels(); !maps.Equal(got, tt.labels) {
			t.Errorf("got labels %v, want %v", got, tt.labels)
		}
		if ann := a.Annotations(); ann["summary"] == "" || ann["runbook"] == "" {
			t.Errorf("got annotations %v, want a summary and a runbook", ann)
		}
	}
	a, _ := find(res.Active, RedundancyLost, "PDU K1-B L1 if feed A fails")
	const want = "if feed A fails, K1-B L1 would carry 26.0 A > 25.6 A (80 % of its 32.0 A breaker): rack K1 no longer fits on one feed"
	if a.Summary != want {
		t.Errorf("got summary %q, want %q", a.Summary, want)
	}
	if got := a.Annotations()["value"]; got != "26 A" {
		t.Errorf("got value annotation %q, want 26 A", got)
	}
}

func TestRulesListed(t *testing.T) {
	rs := Rules()
	if len(rs) != 16 {
		t.Errorf("got %d rules, want 16", len(rs))
	}
	for _, r := range rs {
		if r.Severity == "" || r.Runbook == "" {
			t.Errorf("%s: got severity %q runbook %q, want both", r.Rule, r.Severity, r.Runbook)
		}
	}
}

// TestReadDevices reads a real telemetry window: a fresh PDU with its
// power, phases and a probe; a PDU whose poll failed; one never polled.
func TestReadDevices(t *testing.T) {
	site := testSite()
	w := telemetry.New(4, 30*time.Second)
	r := func(m collectors.Metric, s collectors.Scope, i int, v float64) collectors.Reading {
		return collectors.Reading{Metric: m, Scope: s, Index: i, Value: v}
	}
	w.Ingest([]collectors.Status{
		{Device: "K1-A", At: t0, OK: true, Readings: []collectors.Reading{
			r(collectors.PowerWatts, collectors.ScopeDevice, 0, 3000),
			r(collectors.CurrentAmperes, collectors.ScopePhase, 1, 4), r(collectors.CurrentAmperes, collectors.ScopePhase, 2, 5),
			r(collectors.CurrentAmperes, collectors.ScopePhase, 3, 6),
			r(collectors.PowerWatts, collectors.ScopePhase, 1, 900), r(collectors.PowerWatts, collectors.ScopePhase, 2, 1000),
			r(collectors.TemperatureCelsius, collectors.ScopeSensor, 1, 24.5),
		}},
		{Device: "K1-B", At: t0, Reason: "timeout"},
	}, t0)
	got := ReadDevices(site, w, t0.Add(time.Second))
	a := got["K1-A"]
	if !a.Fresh || a.Watts == nil || *a.Watts != 3000 || len(a.PhaseAmps) != 3 || a.PhaseAmps[2] != 6 ||
		a.PhaseWatts != nil || len(a.InletCelsius) != 1 || a.InletCelsius[0] != 24.5 {
		t.Errorf("K1-A: got %+v, want fresh, 3000 W, 4/5/6 A, phase power unknown (L3 missing), one probe at 24.5", a)
	}
	if b := got["K1-B"]; b.Fresh || b.Reason != "poll-failed: timeout" || b.Watts != nil {
		t.Errorf("K1-B: got %+v, want stale, poll-failed: timeout, nothing known", b)
	}
	if c, ok := got["C1"]; !ok || c.Fresh || c.Reason != "never-seen" {
		t.Errorf("C1: got %+v (listed %v), want listed, never-seen", c, ok)
	}
}
