package agent

import (
	"context"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/dcplane/dcplane/api"
)

// reportingPusher answers every push with report, or, while throttle is
// set, 429.
type reportingPusher struct {
	fakePusher
	report   api.IngestReport
	throttle bool
}

func (f *reportingPusher) PushTelemetry(ctx context.Context, b *api.Batch) (*api.IngestReport, error) {
	if f.throttle {
		return nil, &api.Problem{Status: http.StatusTooManyRequests, Title: "Too many requests"}
	}
	if _, err := f.Push(ctx, b); err != nil {
		return nil, err
	}
	r := f.report
	return &r, nil
}

// TestAgentCountsWhatTheControllerRefused: the polls and readings the
// controller refuses from a batch it takes are counted by reason (and
// logged), so that an agent reporting outside its halls or beyond a
// device's rating shows on its own /metrics.
func TestAgentCountsWhatTheControllerRefused(t *testing.T) {
	p := &reportingPusher{report: api.IngestReport{Accepted: 1,
		RefusedPolls:    map[string]int{"unassigned": 2},
		DroppedReadings: map[string]int{"beyond-rating": 1},
		Problems:        []api.IngestProblem{{Device: "P9", Reason: "unassigned", Detail: "device P9 is in hall H2"}}}}
	_, reg := start(t, Config{Name: "a1", Pusher: p, Interval: 10 * time.Millisecond, FlushInterval: 5 * time.Millisecond,
		Targets: []Target{{Device: "d1", Poller: &fakePoller{poll: okPoll}}}})
	waitFor(t, "a refused poll counted", 5*time.Second, func() bool { return gauge(t, reg, "dcplane_agent_refused_polls_total") >= 2 })
	if got := gauge(t, reg, "dcplane_agent_refused_readings_total"); got < 1 {
		t.Errorf("refused readings: got %v, want at least 1", got)
	}
}

// TestAgentKeepsThrottledBatches: a 429 is counted as throttled and the
// batch kept for later, not dropped as rejected.
func TestAgentKeepsThrottledBatches(t *testing.T) {
	p := &reportingPusher{throttle: true}
	a, reg := start(t, Config{Name: "a1", Pusher: p, Interval: 10 * time.Millisecond, FlushInterval: 5 * time.Millisecond,
		Targets: []Target{{Device: "d1", Poller: &fakePoller{poll: okPoll}}}})
	waitFor(t, "a throttled push", 5*time.Second, func() bool { return counter(t, reg, "dcplane_agent_pushes_total", "throttled") >= 1 })
	if got := counter(t, reg, "dcplane_agent_pushes_total", "rejected"); got != 0 {
		t.Errorf("rejected pushes: got %v, want 0", got)
	}
	if a.Buffered() == 0 {
		t.Error("buffered batches: got 0, want the throttled batch kept")
	}
}

// counter is the value of name{result=label} gathered from reg.
func counter(t *testing.T, reg interface {
	Gather() ([]*dto.MetricFamily, error)
}, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
