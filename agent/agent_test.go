package agent

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakePoller answers with poll, counting calls.
type fakePoller struct {
	calls atomic.Int64
	poll  func(ctx context.Context) collectors.Status
}

func (f *fakePoller) Poll(ctx context.Context) collectors.Status {
	f.calls.Add(1)
	return f.poll(ctx)
}

func okPoll(context.Context) collectors.Status {
	return collectors.Status{OK: true, At: time.Now(), Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: 100}}}
}

// fakePusher records batches; while down is set it fails.
type fakePusher struct {
	mu      sync.Mutex
	down    bool
	refuse  func(*api.Batch) bool // answers 400 to these
	batches []*api.Batch
}

func (f *fakePusher) Push(_ context.Context, b *api.Batch) (*api.IngestResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errors.New("connection refused")
	}
	if f.refuse != nil && f.refuse(b) {
		return nil, &api.Problem{Status: 400, Title: "Malformed telemetry batch"}
	}
	f.batches = append(f.batches, b)
	return &api.IngestResult{Accepted: len(b.Polls)}, nil
}

func (f *fakePusher) setDown(d bool) { f.mu.Lock(); f.down = d; f.mu.Unlock() }

// polls returns how many polls of device were delivered, and the batch
// sequence numbers in delivery order.
func (f *fakePusher) polls(device string) (n int, seqs []uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.batches {
		seqs = append(seqs, b.Seq)
		for _, p := range b.Polls {
			if p.Device == device {
				n++
			}
		}
	}
	return n, seqs
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func start(t *testing.T, cfg Config) (*Agent, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("got Run error %v, want context.Canceled", err)
		}
	})
	return a, reg
}

func TestPollsAndPushes(t *testing.T) {
	good := &fakePoller{poll: okPoll}
	bad := &fakePoller{poll: func(ctx context.Context) collectors.Status {
		return collectors.Status{Reason: "timeout", Err: "no answer"}
	}}
	p := &fakePusher{}
	_, reg := start(t, Config{Name: "a1", Pusher: p, Interval: 20 * time.Millisecond, FlushInterval: 10 * time.Millisecond,
		MaxBackoff: 160 * time.Millisecond, Targets: []Target{{Device: "good", Poller: good}, {Device: "bad", Poller: bad}}})
	waitFor(t, "10 polls of the good device delivered", 5*time.Second, func() bool { n, _ := p.polls("good"); return n >= 10 })
	// The failing device backs off: far fewer polls than the good one, but
	// each failure is still delivered.
	if g, b := good.calls.Load(), bad.calls.Load(); b*2 > g {
		t.Errorf("got %d polls of the failing device and %d of the good one, want the failing one backed off", b, g)
	}
	if n, _ := p.polls("bad"); n == 0 {
		t.Error("got no failure delivered for the failing device, want each failure reported")
	}
	if got := gauge(t, reg, "dcplane_agent_poll_errors_total"); got < 1 {
		t.Errorf("got %v timeout errors counted, want at least 1", got)
	}
	if got := gauge(t, reg, "dcplane_agent_devices_in_backoff"); got != 1 {
		t.Errorf("got %v devices in backoff, want 1", got)
	}
}

// gauge sums the values of a metric family gathered from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var v float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.Metric {
				v += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return v
}

func TestBuffersWhileControllerDown(t *testing.T) {
	p := &fakePusher{down: true}
	a, reg := start(t, Config{Name: "a1", Pusher: p, Interval: 10 * time.Millisecond, FlushInterval: 5 * time.Millisecond,
		BufferBatches: 4, Targets: []Target{{Device: "d1", Poller: &fakePoller{poll: okPoll}}}})
	waitFor(t, "the buffer to fill and drop", 5*time.Second, func() bool {
		return gauge(t, reg, "dcplane_agent_buffer_dropped_batches_total") >= 1
	})
	if got := a.Buffered(); got != 4 {
		t.Errorf("got %d batches buffered, want the capacity 4", got)
	}
	if got := gauge(t, reg, "dcplane_agent_controller_reachable"); got != 0 {
		t.Errorf("got controller_reachable %v, want 0", got)
	}
	p.setDown(false)
	waitFor(t, "the buffer to drain", 10*time.Second, func() bool { return a.Buffered() == 0 && gauge(t, reg, "dcplane_agent_controller_reachable") == 1 })
	_, seqs := p.polls("d1")
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("got batches delivered in order %v, want oldest first", seqs)
		}
	}
}

// TestRefusedBatchDoesNotBlock has the controller refuse the first batch
// for good: it is dropped and the batches behind it are delivered.
func TestRefusedBatchDoesNotBlock(t *testing.T) {
	p := &fakePusher{refuse: func(b *api.Batch) bool { return b.Seq == 1 }}
	_, reg := start(t, Config{Name: "a1", Pusher: p, Interval: 10 * time.Millisecond, FlushInterval: 5 * time.Millisecond,
		Targets: []Target{{Device: "d1", Poller: &fakePoller{poll: okPoll}}}})
	waitFor(t, "batches after the refused one delivered", 5*time.Second, func() bool { _, seqs := p.polls("d1"); return len(seqs) >= 3 })
	if got := gauge(t, reg, "dcplane_agent_controller_reachable"); got != 1 {
		t.Errorf("got controller_reachable %v, want 1: the controller answered", got)
	}
	_, seqs := p.polls("d1")
	if seqs[0] != 2 {
		t.Errorf("got first delivered batch %d, want 2 (1 was refused)", seqs[0])
	}
}

func TestOnePollPerDeviceAtATime(t *testing.T) {
	var inFlight, worst atomic.Int64
	slow := &fakePoller{poll: func(ctx context.Context) collectors.Status {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for w := worst.Load(); n > w && !worst.CompareAndSwap(w, n); w = worst.Load() {
		}
		<-ctx.Done() // never answers: the per-poll timeout ends it
		return collectors.Status{Reason: "timeout", Err: ctx.Err().Error()}
	}}
	p := &fakePusher{}
	start(t, Config{Name: "a1", Pusher: p, Interval: time.Millisecond, Timeout: 30 * time.Millisecond, MaxBackoff: time.Millisecond,
		FlushInterval: 5 * time.Millisecond, Targets: []Target{{Device: "slow", Poller: slow}}})
	waitFor(t, "three timed-out polls delivered", 5*time.Second, func() bool { n, _ := p.polls("slow"); return n >= 3 })
	if got := worst.Load(); got != 1 {
		t.Errorf("got %d polls of one device at once, want 1", got)
	}
}

func TestConfigNeedsTargets(t *testing.T) {
	_, err := New(Config{Name: "a1", Pusher: &fakePusher{}})
	if err == nil || !strings.Contains(err.Error(), "Targets") {
		t.Errorf("got %v, want an error naming Targets", err)
	}
}
