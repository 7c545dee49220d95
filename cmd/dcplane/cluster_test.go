package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/api"
)

// fakeCluster is a controller that also answers the cluster endpoints.
type fakeCluster struct {
	fakeController
	status  api.ClusterStatus
	removed []string
}

func (f *fakeCluster) ClusterStatus(context.Context) (*api.ClusterStatus, error) {
	return &f.status, nil
}
func (f *fakeCluster) JoinNode(context.Context, api.JoinRequest) error { return nil }
func (f *fakeCluster) RemoveNode(_ context.Context, id string) error {
	f.removed = append(f.removed, id)
	return nil
}
func (f *fakeCluster) TransferLeadership(context.Context) error { return nil }

// runCluster runs the CLI against a fake cluster controller and returns
// what it printed.
func runCluster(t *testing.T, f *fakeCluster, args ...string) string {
	t.Helper()
	ts := httptest.NewServer(api.NewServer(f, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	defer ts.Close()
	root, _ := newRootCmd()
	var out bytes.Buffer
	root.SetArgs(append(args, "--controller", ts.URL))
	root.SetOut(&out)
	root.SetErr(io.Discard)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("dcplane %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func TestClusterMembers(t *testing.T) {
	f := &fakeCluster{status: api.ClusterStatus{Node: "n2", State: "Follower", Leader: "n1", Term: 4, StateIndex: 118,
		StateHash: "9a9d75695490f1a4267eb6d5427e63f3dc9963bd50cec102b52f02cd4fe5e85b", Ready: "ok",
		Members: []api.ClusterMember{
			{ID: "n1", RaftAddr: "10.0.0.1:8300", API: "http://10.0.0.1:8080", Voter: true, Leader: true},
			{ID: "n2", RaftAddr: "10.0.0.2:8300", API: "http://10.0.0.2:8080", Voter: true},
			{ID: "n3", RaftAddr: "10.0.0.3:8300", Voter: true},
		}}}
	want := `
NODE  RAFT ADDRESS   API                   ROLE
n1    10.0.0.1:8300  http://10.0.0.1:8080  leader
n2    10.0.0.2:8300  http://10.0.0.2:8080  follower
n3    10.0.0.3:8300  -                     follower

answered by n2 (Follower), term 4, state index 118, hash 9a9d75695490, ready: ok
`
	if got := runCluster(t, f, "cluster", "members"); got != want[1:] {
		t.Errorf("got\n%s\nwant\n%s", got, want[1:])
	}
	if got := runCluster(t, f, "cluster", "members", "-o", "json"); !strings.Contains(got, `"state_hash": "9a9d7569`) {
		t.Errorf("-o json: got\n%s\nwant the whole status", got)
	}
	if got := runCluster(t, f, "cluster", "remove", "n3"); got != "removed n3\n" || len(f.removed) != 1 || f.removed[0] != "n3" {
		t.Errorf("remove: got %q (removed %v), want n3 removed", got, f.removed)
	}
}
