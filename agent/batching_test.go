package agent

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller/telemetry"
)

// timedPusher records when each batch arrived; while hold is not nil, the
// first push waits for it to close.
type timedPusher struct {
	mu      sync.Mutex
	hold    chan struct{}
	batches []*api.Batch
	at      []time.Time
}

func (p *timedPusher) Push(ctx context.Context, b *api.Batch) (*api.IngestResult, error) {
	p.mu.Lock()
	hold := p.hold
	p.hold = nil
	p.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.batches = append(p.batches, b)
	p.at = append(p.at, time.Now())
	return &api.IngestResult{Accepted: len(b.Polls)}, nil
}

// pushes returns copies of the batches so far and their arrival times.
func (p *timedPusher) pushes() ([]*api.Batch, []time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*api.Batch(nil), p.batches...), append([]time.Time(nil), p.at...)
}

// TestPushesAsSoonAsPolled: a poll's result is pushed as soon as it is in
// while the controller keeps up, not on a timer (FlushInterval here is an
// hour), so that an alert is the poll plus one push away.
func TestPushesAsSoonAsPolled(t *testing.T) {
	p := &timedPusher{}
	start(t, Config{Name: "a1", Pusher: p, Interval: 300 * time.Millisecond, PushGap: 50 * time.Millisecond, FlushInterval: time.Hour,
		Targets: []Target{{Device: "d1", Poller: &fakePoller{poll: okPoll}}}})
	waitFor(t, "two polls pushed", 5*time.Second, func() bool { b, _ := p.pushes(); return len(b) >= 2 })
	bs, at := p.pushes()
	for i, b := range bs {
		for _, st := range b.Polls {
			if wait := at[i].Sub(st.At); wait > 500*time.Millisecond {
				t.Errorf("batch %d: got a poll pushed %v after it was made, want at once", b.Seq, wait)
			}
		}
	}
}

// TestPushGap: results that come in faster than PushGap are pushed
// together, PushGap apart, so that an agent keeps within the controller's
// rate of pushes however many devices it polls.
func TestPushGap(t *testing.T) {
	const gap = 100 * time.Millisecond
	p := &timedPusher{}
	var targets []Target
	for _, d := range []string{"d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8"} {
		targets = append(targets, Target{Device: d, Poller: &fakePoller{poll: okPoll}})
	}
	start(t, Config{Name: "a1", Pusher: p, Interval: 10 * time.Millisecond, PushGap: gap, FlushInterval: time.Hour, Targets: targets})
	waitFor(t, "five batches", 5*time.Second, func() bool { b, _ := p.pushes(); return len(b) >= 5 })
	bs, at := p.pushes()
	// n batches are made at least (n-1) gaps apart; the pusher stamps each
	// a little after it was made, by up to a gap on a loaded machine.
	if span, want := at[len(at)-1].Sub(at[0]), time.Duration(len(at)-2)*gap; span < want {
		t.Errorf("got %d batches within %v, want them at least %v apart (%v in all)", len(at), span, gap, want)
	}
	if n := len(bs[len(bs)-1].Polls); n < 5 {
		t.Errorf("got %d polls in a batch after %v of polls every 10 ms of 8 devices, want them together", n, gap)
	}
}

// TestResultsWaitForThePushInFlight: while a push is in flight, results
// wait and go together in the next batch when it ends, rather than each
// queueing a batch of its own behind it.
func TestResultsWaitForThePushInFlight(t *testing.T) {
	hold := make(chan struct{})
	p := &timedPusher{hold: hold}
	a, _ := start(t, Config{Name: "a1", Pusher: p, Interval: 5 * time.Millisecond, PushGap: time.Millisecond, FlushInterval: time.Hour,
		Targets: []Target{{Device: "d1", Poller: &fakePoller{poll: okPoll}}}})
	waitFor(t, "20 polls while the first push hangs", 5*time.Second, func() bool {
		return testutil.ToFloat64(a.m.polls.WithLabelValues("ok")) >= 20
	})
	if got := a.Buffered(); got != 1 {
		t.Errorf("got %d batches buffered behind a push in flight, want 1 (the one in flight)", got)
	}
	close(hold)
	waitFor(t, "two batches", 5*time.Second, func() bool { b, _ := p.pushes(); return len(b) >= 2 })
	bs, _ := p.pushes()
	if n := len(bs[1].Polls); n < 19 {
		t.Errorf("got %d polls in the batch after the push in flight, want the 19 or more made meanwhile", n)
	}
}

// TestMaxBatchWithinThePushLimit: a batch never holds more polls than the
// controller takes in one push, whatever MaxBatch says.
func TestMaxBatchWithinThePushLimit(t *testing.T) {
	a, err := New(Config{Name: "a1", Pusher: &timedPusher{}, MaxBatch: 10 * telemetry.MaxPollsPerPush,
		Targets: []Target{{Device: "d1", Poller: &fakePoller{poll: func(context.Context) collectors.Status { return collectors.Status{} }}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.cfg.MaxBatch, telemetry.MaxPollsPerPush; got != want {
		t.Errorf("got MaxBatch %d, want the controller's limit %d", got, want)
	}
}

// TestDefaultPushGap: unless told, an agent that keeps up pushes at most
// half as often as the controller's default rate allows, and its results
// wait at most a quarter of a second for the gap (the latency goal of an
// alert is one poll interval plus 1 s).
func TestDefaultPushGap(t *testing.T) {
	a, err := New(Config{Name: "a1", Pusher: &timedPusher{},
		Targets: []Target{{Device: "d1", Poller: &fakePoller{poll: okPoll}}}})
	if err != nil {
		t.Fatal(err)
	}
	rate := api.DefaultLimits().Ingest.Rate
	if got := a.cfg.PushGap; got.Seconds()*rate < 2 || got > 250*time.Millisecond {
		t.Errorf("got a push gap of %v, want at least 2 / %v per second and at most 250 ms", got, rate)
	}
}

// TestPushEndWakesTheBatching: a result that came in while a push was in
// flight is pushed when that push ends, even if nothing comes in after it
// (the third poll here never ends) and FlushInterval is an hour away.
func TestPushEndWakesTheBatching(t *testing.T) {
	hold := make(chan struct{})
	p := &timedPusher{hold: hold}
	var calls atomic.Int64
	poller := &fakePoller{poll: func(ctx context.Context) collectors.Status {
		if calls.Add(1) > 2 {
			<-ctx.Done()
			return collectors.Status{Reason: "timeout"}
		}
		return okPoll(ctx)
	}}
	start(t, Config{Name: "a1", Pusher: p, Interval: 5 * time.Millisecond, Timeout: time.Hour, PushGap: time.Millisecond,
		FlushInterval: time.Hour, Targets: []Target{{Device: "d1", Poller: poller}}})
	waitFor(t, "the second poll's result in, the third poll begun", 5*time.Second, func() bool { return calls.Load() >= 3 })
	close(hold)
	waitFor(t, "the second poll pushed once the first push ended", 5*time.Second, func() bool { b, _ := p.pushes(); return len(b) >= 2 })
}
