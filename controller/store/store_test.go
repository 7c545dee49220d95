package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/internal/inventory"
)

const rackA = "H1-R01-K01" // a rack of inventory.Reference(4)

func invalidSite() *inventory.Site {
	s := inventory.Reference(4)
	s.Halls[0].Rows[0].Racks[0].PDUs = nil
	return s
}

// putSite applies the reference site and a budget override on s.
func putSite(t *testing.T, s *Store) *state.View {
	t.Helper()
	ctx := testContext(t)
	if _, err := s.Apply(ctx, state.PutSite{Site: inventory.Reference(4), At: at}); err != nil {
		t.Fatalf("PutSite: got %v, want nil", err)
	}
	v, err := s.Apply(ctx, state.SetRackBudget{Rack: rackA, Watts: 12000, At: at})
	if err != nil {
		t.Fatalf("SetRackBudget: got %v, want nil", err)
	}
	return v
}

// checkSite fails unless v holds what putSite applied.
func checkSite(t *testing.T, v *state.View) {
	t.Helper()
	if v.Site() == nil {
		t.Fatalf("site: got nil, want the reference site")
	}
	if got := v.Site().Count().Racks; got != 4 {
		t.Errorf("racks: got %d, want 4", got)
	}
	if got, err := v.RackBudgetWatts(rackA); err != nil || got != 12000 {
		t.Errorf("RackBudgetWatts(%s): got %v, %v, want 12000, nil", rackA, got, err)
	}
}

func TestSingleNode(t *testing.T) {
	s := openLeader(t, testConfig("n1", t.TempDir(), true))
	ctx := testContext(t)
	if err := s.WaitForLeader(ctx); err != nil {
		t.Fatalf("WaitForLeader: got %v, want nil", err)
	}
	if id, addr := s.Leader(); id != "n1" || addr != s.Addr() {
		t.Errorf("Leader: got %s %s, want n1 %s", id, addr, s.Addr())
	}
	if strings.HasSuffix(s.Addr(), ":0") {
		t.Errorf("Addr: got %s, want the port picked", s.Addr())
	}
	v := putSite(t, s)
	if s.State() != v {
		t.Errorf("State: got index %d, want the view Apply returned (index %d)", s.State().Index(), v.Index())
	}
	checkSite(t, s.State())

	stats := s.Stats()
	for k, want := range map[string]string{"state": "Leader", "node_id": "n1", "leader_id": "n1"} {
		if stats[k] != want {
			t.Errorf("Stats[%s]: got %q, want %q", k, stats[k], want)
		}
	}
	if err := s.Barrier(ctx); err != nil {
		t.Errorf("Barrier: got %v, want nil", err)
	}
}

func TestApplyRejected(t *testing.T) {
	s := openLeader(t, testConfig("n1", t.TempDir(), true))
	putSite(t, s)
	tests := []struct {
		name string
		cmd  state.Command
		want error
	}{
		{"invalid site", state.PutSite{Site: invalidSite(), At: at}, inventory.ErrInvalid},
		{"unknown rack", state.SetRackBudget{Rack: "nope", Watts: 1, At: at}, state.ErrUnknownRack},
		{"zero budget", state.SetRackBudget{Rack: rackA, Watts: 0, At: at}, state.ErrInvalidBudget},
		{"nil", nil, state.ErrMalformedCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.State().Index()
			v, err := s.Apply(testContext(t), tt.cmd)
			if !errors.Is(err, tt.want) || v != nil {
				t.Fatalf("got %v, %v, want nil, %v", v, err, tt.want)
			}
			checkSite(t, s.State())
			if tt.cmd != nil && s.State().Index() <= before {
				t.Errorf("index: got %d, want past %d (a rejected entry is still applied)", s.State().Index(), before)
			}
		})
	}
}

func TestInvalidSiteErrorReachesCaller(t *testing.T) {
	s := openLeader(t, testConfig("n1", t.TempDir(), true))
	_, err := s.Apply(testContext(t), state.PutSite{Site: invalidSite(), At: at})
	var ve *inventory.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "a rack needs at least one PDU") {
		t.Errorf("got %v, want the inventory's *ValidationError", err)
	}
}

func TestRestart(t *testing.T) {
	for _, bootstrap := range []bool{false, true} {
		t.Run(map[bool]string{false: "without bootstrap", true: "with bootstrap"}[bootstrap], func(t *testing.T) {
			dir := t.TempDir()
			s := openLeader(t, testConfig("n1", dir, true))
			want := putSite(t, s).Index()
			if err := s.Close(); err != nil {
				t.Fatalf("Close: got %v, want nil", err)
			}

			logs := &syncBuffer{}
			cfg := testConfig("n1", dir, bootstrap)
			cfg.Logger = testLogger(logs)
			s = open(t, cfg)
			if err := s.WaitForLeader(testContext(t)); err != nil {
				t.Fatalf("WaitForLeader: got %v, want nil", err)
			}
			waitFor(t, "the log to be replayed", func() bool { return s.State().Index() >= want })
			checkSite(t, s.State())
			if bootstrap && !strings.Contains(logs.String(), "not bootstrapping") {
				t.Errorf("logs: got\n%s\nwant a line saying it did not bootstrap again", logs)
			}
			if got := s.raft.GetConfiguration().Configuration().Servers; len(got) != 1 {
				t.Errorf("servers: got %v, want one", got)
			}
		})
	}
}

func TestSnapshotRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig("n1", dir, true)
	cfg.tune = func(c *raft.Config) {
		fastRaft(c)
		c.TrailingLogs = 0 // compact the whole log: only the snapshot remains
	}
	s := openLeader(t, cfg)
	want := putSite(t, s).Index()
	if err := s.raft.Snapshot().Error(); err != nil {
		t.Fatalf("Snapshot: got %v, want nil", err)
	}
	// FirstIndex is 0 when the log is empty.
	if first, err := s.logs.FirstIndex(); err != nil || first != 0 && first <= want {
		t.Fatalf("first log index after the snapshot: got %d, %v, want 0 or past %d", first, err, want)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}

	cfg.Bootstrap = false
	s = open(t, cfg)
	// Open restores the latest snapshot before it returns.
	if got := s.State().Index(); got != want {
		t.Errorf("index right after Open: got %d, want %d", got, want)
	}
	checkSite(t, s.State())
	waitFor(t, "node to lead", s.IsLeader)
	v, err := s.Apply(testContext(t), state.SetRackBudget{Rack: rackA, Watts: 11000, At: at})
	if err != nil || v.Index() <= want {
		t.Fatalf("apply after restore: got index %v, %v, want past %d, nil", v, err, want)
	}
}

func TestLeaderCh(t *testing.T) {
	s := open(t, testConfig("n1", t.TempDir(), true))
	ctx, cancel := context.WithCancel(testContext(t))
	ch := s.LeaderCh(ctx)
	select {
	case got := <-ch:
		if !got {
			t.Errorf("got %v, want true", got)
		}
	case <-time.After(testTimeout):
		t.Fatalf("got no leadership after %v, want true", testTimeout)
	}
	// A subscriber that comes later learns it at once.
	late := s.LeaderCh(testContext(t))
	if got, ok := <-late; !got || !ok {
		t.Errorf("late subscriber: got %v, %v, want true, true", got, ok)
	}
	cancel()
	waitClosed(t, "after cancel", ch)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "after Close", late)
	waitClosed(t, "subscribing after Close", s.LeaderCh(context.Background()))
}

// waitClosed reads ch until it is closed, failing the test after testTimeout.
// A value read on the way (the loss of leadership at Close) is fine.
func waitClosed(t *testing.T, what string, ch <-chan bool) {
	t.Helper()
	timeout := time.After(testTimeout)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatalf("%s: got an open channel after %v, want it closed", what, testTimeout)
		}
	}
}

func TestClosed(t *testing.T) {
	s := openLeader(t, testConfig("n1", t.TempDir(), true))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	ctx := testContext(t)
	if _, err := s.Apply(ctx, state.SetRackBudget{Rack: rackA, Watts: 1, At: at}); !errors.Is(err, ErrClosed) {
		t.Errorf("Apply: got %v, want %v", err, ErrClosed)
	}
	if err := s.WaitForLeader(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitForLeader: got %v, want %v", err, ErrClosed)
	}
}

func TestWaitForLeaderDeadline(t *testing.T) {
	// A node that is not bootstrapped and joined to nothing never sees a
	// leader.
	s := open(t, testConfig("n1", t.TempDir(), false))
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if err := s.WaitForLeader(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want %v", err, context.DeadlineExceeded)
	}
	if _, err := s.Apply(t.Context(), state.SetRackBudget{Rack: rackA, Watts: 1, At: at}); !errors.Is(err, ErrNotLeader) {
		t.Errorf("Apply: got %v, want %v", err, ErrNotLeader)
	}
	// Its empty state is not the cluster's: it has heard from no leader.
	if err := s.Ready(); !errors.Is(err, ErrCatchingUp) || !strings.Contains(err.Error(), "has not heard from a leader") {
		t.Errorf("Ready: got %v, want %v saying it has not heard from a leader", err, ErrCatchingUp)
	}
}

func TestOpenErrors(t *testing.T) {
	busy := t.TempDir()
	open(t, testConfig("n1", busy, true))
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no node ID", testConfig("", t.TempDir(), true), "NodeID is required"},
		{"no data dir", testConfig("n1", "", true), "DataDir is required"},
		{"no address", Config{NodeID: "n1", DataDir: t.TempDir()}, "RaftAddr is required"},
		{"unadvertisable address", Config{NodeID: "n1", DataDir: t.TempDir(), RaftAddr: "0.0.0.0:0"}, "not advertisable"},
		{"data dir in use", testConfig("n2", busy, false), "in use"},
		{"negative timeout", Config{NodeID: "n1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0", CommitTimeout: -1}, "CommitTimeout must not be negative"},
		{"lease past heartbeat", Config{NodeID: "n1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
			HeartbeatTimeout: time.Second, LeaderLeaseTimeout: 2 * time.Second}, "must not exceed HeartbeatTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.Context(), tt.cfg)
			if err == nil {
				s.Close()
				t.Fatalf("got nil, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
