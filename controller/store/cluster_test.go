package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/internal/inventory"
)

// clusterRaft is fastRaft with more slack: on a loaded machine (the race
// detector, two cores shared), a follower that misses 150 ms of heartbeats
// would depose the leader in the middle of a test.
func clusterRaft(c *raft.Config) {
	fastRaft(c)
	c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = 600*time.Millisecond, 600*time.Millisecond, 300*time.Millisecond
}

// clusterConfig is testConfig with clusterRaft.
func clusterConfig(id, dir string, bootstrap bool) Config {
	c := testConfig(id, dir, bootstrap)
	c.tune = clusterRaft
	return c
}

// openCluster starts a bootstrapped leader and joins n-1 followers to it.
func openCluster(t *testing.T, n int) (*Store, []*Store) {
	t.Helper()
	leader := openLeader(t, clusterConfig("n1", t.TempDir(), true))
	ctx := testContext(t)
	var followers []*Store
	for i := 2; i <= n; i++ {
		f := open(t, clusterConfig(fmt.Sprintf("n%d", i), t.TempDir(), false))
		if err := leader.Join(ctx, f.ID(), f.Addr()); err != nil {
			t.Fatalf("Join %s: got %v, want nil", f.ID(), err)
		}
		followers = append(followers, f)
	}
	return leader, followers
}

func TestCluster(t *testing.T) {
	leader, followers := openCluster(t, 3)
	ctx := testContext(t)

	want := putSite(t, leader).Index()
	for _, f := range followers {
		waitFor(t, f.ID()+" to apply the site", func() bool { return f.State().Index() >= want })
		checkSite(t, f.State())
		if f.IsLeader() {
			t.Errorf("%s IsLeader: got true, want false", f.ID())
		}
		waitFor(t, f.ID()+" to know the leader", func() bool { id, _ := f.Leader(); return id != "" })
		if id, addr := f.Leader(); id != leader.ID() || addr != leader.Addr() {
			t.Errorf("%s Leader: got %s %s, want %s %s", f.ID(), id, addr, leader.ID(), leader.Addr())
		}
		_, err := f.Apply(ctx, state.PutSite{Site: inventory.Reference(4), At: at})
		if !errors.Is(err, ErrNotLeader) || !strings.Contains(err.Error(), leader.Addr()) {
			t.Errorf("%s Apply: got %v, want %v naming %s", f.ID(), err, ErrNotLeader, leader.Addr())
		}
		if err := f.Join(ctx, "n9", "127.0.0.1:1"); !errors.Is(err, ErrNotLeader) {
			t.Errorf("%s Join: got %v, want %v", f.ID(), err, ErrNotLeader)
		}
		if err := f.Barrier(ctx); !errors.Is(err, ErrNotLeader) {
			t.Errorf("%s Barrier: got %v, want %v", f.ID(), err, ErrNotLeader)
		}
	}
}

func TestJoinIsIdempotent(t *testing.T) {
	leader, followers := openCluster(t, 2)
	f := followers[0]
	ctx := testContext(t)
	for range 2 {
		if err := leader.Join(ctx, f.ID(), f.Addr()); err != nil {
			t.Fatalf("Join again: got %v, want nil", err)
		}
	}
	if got := leader.raft.GetConfiguration().Configuration().Servers; len(got) != 2 {
		t.Errorf("servers: got %v, want 2", got)
	}
	if err := leader.Join(ctx, "intruder", leader.Addr()); err == nil {
		t.Errorf("joining another ID at the leader's address: got nil, want an error")
	}
}

// waitReady waits until s has caught up.
func waitReady(t *testing.T, s *Store) {
	t.Helper()
	var err error
	waitFor(t, s.ID()+" to catch up", func() bool { err = s.Ready(); return err == nil })
}

// hash is the hash of s's state.
func hash(t *testing.T, s *Store) string {
	t.Helper()
	h, err := s.State().Hash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// waitSameState waits until every node holds the leader's state.
func waitSameState(t *testing.T, leader *Store, others ...*Store) {
	t.Helper()
	for _, f := range others {
		waitFor(t, f.ID()+" to hold the leader's state", func() bool {
			return f.State().Index() == leader.State().Index() && hash(t, f) == hash(t, leader)
		})
	}
}

func TestMembersAndRemove(t *testing.T) {
	leader, followers := openCluster(t, 3)
	ctx := testContext(t)
	for _, s := range append([]*Store{leader}, followers...) {
		waitReady(t, s)
	}
	ms, err := followers[0].Members(ctx)
	if err != nil || len(ms) != 3 || ms[0].ID != "n1" || !ms[0].Leader || ms[1].Leader || !ms[2].Voter {
		t.Fatalf("Members on a follower: got %+v, %v, want n1 (leader), n2, n3, all voters", ms, err)
	}
	if err := leader.Remove(ctx, "n9"); !errors.Is(err, ErrUnknownNode) {
		t.Errorf("Remove n9: got %v, want %v", err, ErrUnknownNode)
	}
	if err := leader.Remove(ctx, leader.ID()); err == nil || !strings.Contains(err.Error(), "transfer leadership first") {
		t.Errorf("Remove the leader: got %v, want an error saying to transfer leadership first", err)
	}
	if err := followers[0].Remove(ctx, "n3"); !errors.Is(err, ErrNotLeader) {
		t.Errorf("Remove on a follower: got %v, want %v", err, ErrNotLeader)
	}
	if err := leader.Remove(ctx, "n3"); err != nil {
		t.Fatalf("Remove n3: got %v, want nil", err)
	}
	if ms, _ := leader.Members(ctx); len(ms) != 2 {
		t.Errorf("members after the removal: got %+v, want n1 and n2", ms)
	}
	// The two left still make a quorum: the leader commits.
	putSite(t, leader)
	waitSameState(t, leader, followers[0])
}

func TestTransferLeadership(t *testing.T) {
	leader, followers := openCluster(t, 3)
	ctx := testContext(t)
	putSite(t, leader)
	if err := followers[0].TransferLeadership(ctx); !errors.Is(err, ErrNotLeader) {
		t.Errorf("on a follower: got %v, want %v", err, ErrNotLeader)
	}
	if err := leader.TransferLeadership(ctx); err != nil {
		t.Fatalf("TransferLeadership: got %v, want nil", err)
	}
	waitFor(t, "a follower to lead", func() bool { return followers[0].IsLeader() || followers[1].IsLeader() })
	if leader.IsLeader() {
		t.Errorf("old leader: got IsLeader true, want false")
	}
}

func TestRestartedFollowerCatchesUp(t *testing.T) {
	leader, followers := openCluster(t, 3)
	f := followers[0]
	putSite(t, leader)
	waitSameState(t, leader, f)
	cfg := clusterConfig(f.ID(), "", false)
	cfg.DataDir, cfg.RaftAddr = f.dataDir, f.Addr()
	had := f.State().Index()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	for w := 9000.0; w < 9010; w++ {
		if _, err := leader.Apply(ctx, state.SetRackBudget{Rack: rackA, Watts: w, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	f = open(t, cfg)
	// Right after Open the node has restored its snapshot, if any, and
	// applied none of its log: it must not pass for current.
	if err := f.Ready(); !errors.Is(err, ErrCatchingUp) {
		t.Errorf("Ready right after Open: got %v, want %v", err, ErrCatchingUp)
	}
	waitReady(t, f)
	// The store vouches for the log it had: the entries committed while it
	// was down reach it with the leader's first real append, which a
	// heartbeat may precede (Node.Ready asks the leader's commit index for
	// that; see controller's TestRestartedNodeCatchesUp).
	if got := f.State().Index(); got < had {
		t.Errorf("index once caught up: got %d, want at least %d, what it had before", got, had)
	}
	waitSameState(t, leader, f)
}

func TestUnknownCommandHaltsEveryNode(t *testing.T) {
	leader, followers := openCluster(t, 3)
	putSite(t, leader)
	// A command from a newer release, without the ignore bit.
	fut := leader.raft.Apply([]byte{0x70, 3, '{', '}'}, testTimeout)
	if err := fut.Error(); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("entry %d (term ", fut.Index())
	if res := fut.Response().(applyResult); !errors.Is(res.err, ErrHalted) {
		t.Errorf("leader's apply: got %v, want %v", res.err, ErrHalted)
	}
	nodes := append([]*Store{leader}, followers...)
	for _, s := range nodes {
		var err error
		waitFor(t, s.ID()+" to halt", func() bool { err = s.Ready(); return errors.Is(err, ErrHalted) })
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "type 112, body version 3") {
			t.Errorf("%s Ready: got %v, want it to name %q and type 112, body version 3", s.ID(), err, want)
		}
	}
	if _, err := leader.Apply(testContext(t), state.SetRackBudget{Rack: rackA, Watts: 1000, At: at}); !errors.Is(err, ErrHalted) {
		t.Errorf("Apply after the halt: got %v, want %v", err, ErrHalted)
	}
	// A restart meets the entry again and halts again: no crash loop.
	f := followers[0]
	cfg := clusterConfig(f.ID(), "", false)
	cfg.DataDir, cfg.RaftAddr = f.dataDir, f.Addr()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f = open(t, cfg)
	waitFor(t, "the restarted node to halt", func() bool { return errors.Is(f.Ready(), ErrHalted) })
}

func TestBackupRestore(t *testing.T) {
	leader, followers := openCluster(t, 3)
	ctx := testContext(t)
	putSite(t, leader)
	var backup bytes.Buffer
	saved, err := leader.Backup(ctx, &backup)
	if err != nil {
		t.Fatalf("Backup: got %v, want nil", err)
	}
	if _, err := followers[0].Backup(ctx, io.Discard); !errors.Is(err, ErrNotLeader) {
		t.Errorf("Backup on a follower: got %v, want %v", err, ErrNotLeader)
	}
	if _, err := leader.Apply(ctx, state.SetRackBudget{Rack: rackA, Watts: 9000, At: at}); err != nil {
		t.Fatal(err)
	}
	if err := leader.Restore(ctx, bytes.NewReader([]byte(`{"format":99}`))); !errors.Is(err, state.ErrSnapshotFormat) {
		t.Errorf("Restore of a bad snapshot: got %v, want %v", err, state.ErrSnapshotFormat)
	}
	if err := leader.Restore(ctx, bytes.NewReader(backup.Bytes())); err != nil {
		t.Fatalf("Restore: got %v, want nil", err)
	}
	checkSite(t, leader.State()) // the budget is the backup's again
	waitSameState(t, leader, followers...)
	// The restored state is the backup's, at a later index.
	want, _ := state.Reindex(bytes.NewReader(backup.Bytes()), leader.State().Index())
	r := state.New()
	if err := r.Restore(bytes.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	if h, _ := r.View().Hash(); h != hash(t, leader) || leader.State().Index() <= saved.Index() {
		t.Errorf("restored state: got hash %s at %d, want the backup's %s past %d", hash(t, leader), leader.State().Index(), h, saved.Index())
	}
	// And the cluster goes on from it.
	v, err := leader.Apply(ctx, state.SetRackBudget{Rack: rackA, Watts: 10000, At: at})
	if err != nil {
		t.Fatalf("Apply after the restore: got %v, want nil", err)
	}
	waitFor(t, "followers to apply", func() bool { return followers[1].State().Index() >= v.Index() })
	waitSameState(t, leader, followers...)
}

// TestApplyWithoutQuorumIsUnknown checks that a leader that loses its
// followers while it commits says the outcome is unknown: the command is in
// its log and could still commit.
func TestApplyWithoutQuorumIsUnknown(t *testing.T) {
	leader, followers := openCluster(t, 3)
	putSite(t, leader)
	for _, f := range followers {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(testContext(t), 2*time.Second)
	defer cancel()
	_, err := leader.Apply(ctx, state.SetRackBudget{Rack: rackA, Watts: 9000, At: at})
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("Apply without a quorum: got %v, want %v", err, ErrOutcomeUnknown)
	}
}
