package bench

import (
	"strings"
	"testing"
	"time"
)

// TestEtcdMemberExits: a member that ends before the cluster has a leader
// (as one whose port another program took does) is reported at once, with
// what it said, and a new cluster is started on new ports, etcdTries times
// in all; not a minute's wait for a leader that cannot come.
func TestEtcdMemberExits(t *testing.T) {
	start := time.Now()
	_, err := startEtcd(t.Context(), "/bin/false", t.TempDir())
	if err == nil {
		t.Fatal("startEtcd with a member that exits: got nil, want an error")
	}
	for _, want := range []string{"try 1: etcd member exited: e1", "exit status 1", "try 3:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "try 4") {
		t.Errorf("got %q, want %d tries", err, etcdTries)
	}
	if d := time.Since(start); d > raftSettle/2 {
		t.Errorf("took %v, want the exits noticed long before the leader wait of %v", d, raftSettle)
	}
}
