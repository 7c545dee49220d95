package agent

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/collectors/ipmi"
)

// logBuffer is a log destination safe for the agent's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestOverduePolls: an agent asked for more BMC polls than its workers
// can start in time counts the polls it starts more than an interval late
// as overdue, and logs that it is falling behind, while every poll it
// makes succeeds: no poll fails, none is a timeout, no device backs off.
// The PDU, on its own workers, is polled on time.
func TestOverduePolls(t *testing.T) {
	slow := func(ctx context.Context) collectors.Status {
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
		}
		return okPoll(ctx)
	}
	var targets []Target
	for i := range 8 { // 8 × 50 ms a round on one worker: 400 ms, for a 100 ms interval
		targets = append(targets, Target{Device: fmt.Sprintf("bmc%d", i), Poller: &fakePoller{poll: slow}, Protocol: ProtocolIPMI})
	}
	targets = append(targets, Target{Device: "pdu", Poller: &fakePoller{poll: okPoll}})
	logs := &logBuffer{}
	p := &fakePusher{}
	_, reg := start(t, Config{Name: "a1", Pusher: p, Interval: 100 * time.Millisecond, FlushInterval: 10 * time.Millisecond,
		BMCWorkers: 1, BMCTimeout: time.Second, Targets: targets, Reasons: ipmi.Reasons(),
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	waitFor(t, "5 overdue BMC polls", 5*time.Second, func() bool {
		return counter(t, reg, "dcplane_agent_polls_overdue_total", "ipmi") >= 5
	})
	// A stall of the whole test process (a loaded machine) can make a PDU
	// poll late too, but not as often as the BMCs' queue does.
	if pdu, bmcs := counter(t, reg, "dcplane_agent_polls_overdue_total", "snmp"), counter(t, reg, "dcplane_agent_polls_overdue_total", "ipmi"); pdu*4 > bmcs {
		t.Errorf("got %v overdue PDU polls against %v of the BMCs', want far fewer: the PDU has its own workers", pdu, bmcs)
	}
	if got, want := counter(t, reg, "dcplane_agent_polls_total", "error"), 0.0; got != want {
		t.Errorf("got %v failed polls, want %v: overdue is not failed", got, want)
	}
	if got := counter(t, reg, "dcplane_agent_poll_errors_total", ipmi.ReasonTimeout); got != 0 {
		t.Errorf("got %v timeouts, want 0", got)
	}
	if got := gauge(t, reg, "dcplane_agent_devices_in_backoff"); got != 0 {
		t.Errorf("got %v devices in backoff, want 0", got)
	}
	if got := gauge(t, reg, "dcplane_agent_poll_start_lag_seconds"); got <= 0 {
		t.Errorf("got start lag %v s, want above 0 while the BMC worker is busy", got)
	}
	waitFor(t, "the falling-behind warning", 5*time.Second, func() bool {
		return strings.Contains(logs.String(), "agent falling behind") && strings.Contains(logs.String(), "protocol=ipmi")
	})
	if strings.Contains(logs.String(), "device not answering") {
		t.Errorf("got a device logged as not answering, want none:\n%s", logs.String())
	}
}

// TestOnTimePollsNotOverdue: an agent whose workers keep up counts no
// poll overdue and logs no falling behind.
func TestOnTimePollsNotOverdue(t *testing.T) {
	var targets []Target
	for i := range 4 {
		targets = append(targets, Target{Device: fmt.Sprintf("bmc%d", i), Poller: &fakePoller{poll: okPoll}, Protocol: ProtocolIPMI})
	}
	logs := &logBuffer{}
	p := &fakePusher{}
	_, reg := start(t, Config{Name: "a1", Pusher: p, Interval: 250 * time.Millisecond, FlushInterval: 10 * time.Millisecond,
		BMCWorkers: 4, Targets: targets, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	waitFor(t, "3 rounds of polls", 5*time.Second, func() bool { return counter(t, reg, "dcplane_agent_polls_total", "ok") >= 12 })
	if got := counter(t, reg, "dcplane_agent_polls_overdue_total", "ipmi"); got != 0 {
		t.Errorf("got %v overdue polls, want 0", got)
	}
	if strings.Contains(logs.String(), "falling behind") {
		t.Errorf("got a falling-behind log, want none:\n%s", logs.String())
	}
}

// TestLocalFailureLogged: a poll that failed because this host could not
// open a socket (ipmi.ReasonLocal) is counted under its reason and logged
// as the host's limit, not as a device that does not answer.
func TestLocalFailureLogged(t *testing.T) {
	local := &fakePoller{poll: func(context.Context) collectors.Status {
		return collectors.Status{Reason: ipmi.ReasonLocal, Err: "dial: connect: resource temporarily unavailable"}
	}}
	logs := &logBuffer{}
	_, reg := start(t, Config{Name: "a1", Pusher: &fakePusher{}, Interval: 20 * time.Millisecond, FlushInterval: 10 * time.Millisecond,
		Targets: []Target{{Device: "bmc0", Poller: local, Protocol: ProtocolIPMI}}, Reasons: ipmi.Reasons(),
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	waitFor(t, "a local failure counted", 5*time.Second, func() bool {
		return counter(t, reg, "dcplane_agent_poll_errors_total", ipmi.ReasonLocal) >= 1
	})
	if got := counter(t, reg, "dcplane_agent_poll_errors_total", ipmi.ReasonTimeout); got != 0 {
		t.Errorf("got %v timeouts, want 0", got)
	}
	waitFor(t, "the local failure's log", 5*time.Second, func() bool { return strings.Contains(logs.String(), "no socket to the device") })
	if strings.Contains(logs.String(), "device not answering") {
		t.Errorf("got 'device not answering', want the host's limit named:\n%s", logs.String())
	}
}

// TestBMCIntervalBeyondSessions: an agent whose BMC polls (interval and
// jitter) come less often than a session is kept warns that each poll will
// open a session; one within it, or without BMCs, does not.
func TestBMCIntervalBeyondSessions(t *testing.T) {
	bmc := Target{Device: "bmc0", Poller: &fakePoller{poll: okPoll}, Protocol: ProtocolIPMI}
	pdu := Target{Device: "pdu", Poller: &fakePoller{poll: okPoll}}
	tests := []struct {
		interval time.Duration
		targets  []Target
		want     bool
	}{
		{30 * time.Second, []Target{bmc}, false},
		{46 * time.Second, []Target{bmc}, true}, // up to 50.6 s with its jitter
		{time.Minute, []Target{pdu}, false},
	}
	for _, tt := range tests {
		logs := &logBuffer{}
		if _, err := New(Config{Name: "a1", Pusher: &fakePusher{}, Interval: tt.interval, Targets: tt.targets,
			Logger: slog.New(slog.NewTextHandler(logs, nil))}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(logs.String(), "each poll opens a new session"); got != tt.want {
			t.Errorf("interval %v, %s: got warning %v, want %v", tt.interval, tt.targets[0].Device, got, tt.want)
		}
	}
}
