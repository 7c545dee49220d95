package agent

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
)

// silentBMC is a BMC that never answers: each poll waits for its deadline.
// Close counts the sessions closed.
type silentBMC struct {
	fakePoller
	closed *atomic.Int64
}

func (s *silentBMC) Close() error { s.closed.Add(1); return nil }

func newSilentBMC(closed *atomic.Int64) *silentBMC {
	return &silentBMC{fakePoller: fakePoller{poll: func(ctx context.Context) collectors.Status {
		<-ctx.Done()
		return collectors.Status{Reason: "timeout", Err: "no answer"}
	}}, closed: closed}
}

// TestBMCsHaveTheirOwnWorkers checks that BMCs that never answer, more of
// them than there are workers of any kind, neither hold up the PDUs' polls
// nor take more than BMCWorkers polls at once, back off, and have their
// sessions closed when the agent stops.
func TestBMCsHaveTheirOwnWorkers(t *testing.T) {
	var closed, inFlight, peak atomic.Int64
	var targets []Target
	for i := range 6 {
		b := newSilentBMC(&closed)
		poll := b.poll
		b.poll = func(ctx context.Context) collectors.Status {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			return poll(ctx)
		}
		targets = append(targets, Target{Device: fmt.Sprintf("bmc%d", i), Poller: b, Protocol: ProtocolIPMI})
	}
	pdu := &fakePoller{poll: okPoll}
	targets = append(targets, Target{Device: "pdu", Poller: pdu})
	p := &fakePusher{}
	const interval = 20 * time.Millisecond
	a, err := New(Config{Name: "a1", Pusher: p, Interval: interval, FlushInterval: 10 * time.Millisecond, Workers: 2,
		BMCWorkers: 2, BMCTimeout: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()

	// 30 polls of the PDU take 30 intervals (0.6 s): the BMCs' polls, 2 at
	// a time for 100 ms each, would need 0.3 s a round for 6 BMCs if they
	// took the PDU's workers too.
	start := time.Now()
	waitFor(t, "30 polls of the PDU", 5*time.Second, func() bool { n, _ := p.polls("pdu"); return n >= 30 })
	if d := time.Since(start); d > 60*interval {
		t.Errorf("30 PDU polls took %v, want about %v: the BMCs held them up", d, 30*interval)
	}
	waitFor(t, "a failed poll of every BMC delivered", 5*time.Second, func() bool {
		for i := range 6 {
			if n, _ := p.polls(fmt.Sprintf("bmc%d", i)); n == 0 {
				return false
			}
		}
		return true
	})
	if got := peak.Load(); got != 2 {
		t.Errorf("got %d BMC polls at once at most, want 2 (BMCWorkers)", got)
	}
	// Each silent BMC backs off: far fewer polls than the PDU's.
	bmc0 := targets[0].Poller.(*silentBMC)
	if b, g := bmc0.calls.Load(), pdu.calls.Load(); b*4 > g {
		t.Errorf("got %d polls of a silent BMC and %d of the PDU, want the BMC backed off", b, g)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("got Run error %v, want context.Canceled", err)
	}
	if got := closed.Load(); got != 6 {
		t.Errorf("got %d BMC sessions closed on shutdown, want 6", got)
	}
}
