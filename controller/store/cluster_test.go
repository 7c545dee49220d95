package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/internal/inventory"
)

// openCluster starts a bootstrapped leader and joins n-1 followers to it.
func openCluster(t *testing.T, n int) (*Store, []*Store) {
	t.Helper()
	leader := openLeader(t, testConfig("n1", t.TempDir(), true))
	ctx := testContext(t)
	var followers []*Store
	for i := 2; i <= n; i++ {
		f := open(t, testConfig(fmt.Sprintf("n%d", i), t.TempDir(), false))
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
