package controller_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestFollowerRefusesLeaderWork asks a follower's node directly — below
// the API, which would forward — for what only the leader may do: its
// accounting (a follower has no telemetry: every rack would look stale, or
// old values current) and telemetry ingest. Both must be the API's
// not-leader error, not an answer.
func TestFollowerRefusesLeaderWork(t *testing.T) {
	ms := startCluster(t)
	var f *member
	for _, m := range ms {
		if st := status(t, m); st.State == "Follower" {
			f = m
			break
		}
	}
	if f == nil {
		t.Fatal("no follower")
	}
	ctx := context.Background()
	if rep, err := f.n.Report(ctx); !errors.Is(err, api.ErrNotLeader) {
		t.Errorf("Report on follower %s: got %v, %v, want %v", f.id, rep, err, api.ErrNotLeader)
	}
	b := &api.Batch{Agent: "a1", Seq: 1, Polls: []collectors.Status{{Device: "H1-R01-K01-PA"}}}
	if n, err := f.n.Ingest(ctx, b); !errors.Is(err, api.ErrNotLeader) {
		t.Errorf("Ingest on follower %s: got %d, %v, want %v", f.id, n, err, api.ErrNotLeader)
	}
}

// TestSiteOrPutOnAFollower: a node restarted with the --inventory flag it
// was first started with, after another took over, keeps the cluster's
// inventory and goes on serving, instead of failing (and exiting).
func TestSiteOrPutOnAFollower(t *testing.T) {
	ms := startCluster(t)
	var leader, f *member
	for _, m := range ms {
		switch status(t, m).State {
		case "Leader":
			leader = m
		case "Follower":
			f = m
		}
	}
	if leader == nil || f == nil {
		t.Fatal("no leader or no follower")
	}
	ctx := context.Background()
	if _, err := leader.n.SiteOrPut(ctx, inventory.Reference(2)); err != nil {
		t.Fatalf("leader: got %v, want nil", err)
	}
	waitUntil(t, "the follower to have the site", func() bool {
		s, err := f.n.Site(ctx)
		return err == nil && s != nil
	})
	got, err := f.n.SiteOrPut(ctx, inventory.Reference(4))
	if err != nil {
		t.Fatalf("follower: got %v, want nil", err)
	}
	if got == nil || got.Count().Racks != 2 {
		t.Errorf("follower: got %v, want the cluster's 2-rack site kept", got)
	}
}
