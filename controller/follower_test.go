package controller_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
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
