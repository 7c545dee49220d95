package agent

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dcplane/dcplane/collectors/snmp"
	"github.com/dcplane/dcplane/internal/inventory"
)

// countingCloser counts its Close calls.
type countingCloser struct{ n atomic.Int64 }

func (c *countingCloser) Close() error { c.n.Add(1); return nil }

// sharingPoller polls through a closer it shares with other targets.
type sharingPoller struct {
	fakePoller
	shared *countingCloser
}

func (s *sharingPoller) Shared() io.Closer { return s.shared }

// TestRunClosesSharedOnce: what pollers share (the SNMP Collector and its
// kept sessions) is closed when Run ends, once however many targets share
// it.
func TestRunClosesSharedOnce(t *testing.T) {
	var one, two countingCloser
	var targets []Target
	for i, c := range []*countingCloser{&one, &one, &one, &two} {
		targets = append(targets, Target{Device: string(rune('a' + i)), Poller: &sharingPoller{fakePoller{poll: okPoll}, c}})
	}
	a, err := New(Config{Name: "a1", Pusher: &fakePusher{}, Interval: 10 * time.Millisecond, FlushInterval: 5 * time.Millisecond, Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := a.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run: got %v, want the deadline", err)
	}
	if one.n.Load() != 1 || two.n.Load() != 1 {
		t.Errorf("got closes %d and %d, want each shared closer closed once", one.n.Load(), two.n.Load())
	}
}

// TestSNMPTargetsShareTheCollector: the SNMP targets Targets builds share
// the Collector they were given, so that Run closes its sessions.
func TestSNMPTargetsShareTheCollector(t *testing.T) {
	site := inventory.Reference(1)
	col := snmp.NewCollector(nil)
	targets, _ := Targets(site, Selection{}, map[string]snmp.Credentials{"snmp-ro": {Community: snmp.NewSecret("c")}}, col)
	if len(targets) == 0 {
		t.Fatal("no SNMP target")
	}
	for _, tg := range targets {
		sp, ok := tg.Poller.(SharedPoller)
		if !ok || sp.Shared() != io.Closer(col) {
			t.Errorf("%s: got a poller that does not share the Collector", tg.Device)
		}
	}
}
