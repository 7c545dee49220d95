//go:build faults

package faults

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// acksBetween is how many placements must be acknowledged between two
// faults: enough to show the cluster serves writes again.
const acksBetween = 100

// TestKillDuringWriteStorm kills -9 the leader, then a follower, then the
// new leader, each restarted on its data directory, during a write storm.
func TestKillDuringWriteStorm(t *testing.T) {
	c := newCluster(t, 3, nil)
	s := startStorm(t, c)
	s.waitAcks(acksBetween)
	for _, victim := range []string{"leader", "follower", "leader", "follower", "leader"} {
		l := c.leader()
		i := l
		if victim == "follower" {
			i = c.others(l)[0]
		}
		c.kill(i)
		if victim == "leader" {
			c.leader(c.others(i)...)
		}
		s.waitAcks(acksBetween)
		c.start(i)
		c.waitReady(c.nodes[i])
		s.waitAcks(acksBetween)
	}
	s.finish()
}

// TestKillTwoOfFive kills -9 the leader and a follower of a 5-node cluster
// at once: the other three go on.
func TestKillTwoOfFive(t *testing.T) {
	c := newCluster(t, 5, nil)
	s := startStorm(t, c)
	s.waitAcks(acksBetween)
	l := c.leader()
	f := c.others(l)[0]
	c.kill(l)
	c.kill(f)
	c.leader(c.others(l, f)...)
	s.waitAcks(acksBetween)
	c.start(l)
	c.start(f)
	c.waitReady(c.nodes[l])
	c.waitReady(c.nodes[f])
	s.waitAcks(acksBetween)
	s.finish()
}

// pauseHold is how long the leader stays stopped: well past its lease and
// an election, so that the others have elected a new leader and taken
// writes by the time it wakes up believing it still leads.
const pauseHold = 4 * time.Second

// TestPauseLeader stops the leader (SIGSTOP) past its lease, lets the
// others elect a new one and take writes, then wakes it (SIGCONT) and at
// once sends it consistent reads: none may be stale, and no write it held
// may be committed twice. Then it does the same to the new leader.
func TestPauseLeader(t *testing.T) {
	c := newCluster(t, 3, nil)
	s := startStorm(t, c)
	s.waitAcks(acksBetween)
	pauseLeader(t, c, s)
	pauseLeader(t, c, s)
	s.finish()
}

func pauseLeader(t *testing.T, c *cluster, s *storm) {
	l := c.leader()
	c.signal(l, syscall.SIGSTOP)
	stopped := time.Now()
	c.leader(c.others(l)...)
	s.waitAcks(acksBetween)
	if wait := pauseHold - time.Since(stopped); wait > 0 {
		time.Sleep(wait) // the hold itself: the point is to be away past the lease
	}
	c.signal(l, syscall.SIGCONT)
	t.Logf("consistent reads sent to the woken leader alone: %d of 20 served", s.probe(l, 20))
	s.waitAcks(acksBetween)
	c.waitReady(c.nodes[l])
	t.Logf("consistent reads sent to the former leader, a follower again: %d of 20 served", s.probe(l, 20))
}

// TestPartitionLeader isolates the leader's Raft traffic from the other
// nodes with network namespaces, while clients and forwarding followers
// still reach its API; then heals the partition.
func TestPartitionLeader(t *testing.T) {
	lab := newNetLab(t, 3)
	t.Log("partition method: network namespaces (a veth link per node and network, its Raft link taken down)")
	c := newCluster(t, 3, lab)
	s := startStorm(t, c)
	s.waitAcks(acksBetween)
	l := c.leader()
	lab.cutRaft(l)
	c.leader(c.others(l)...)
	t.Logf("consistent reads sent to the isolated former leader: %d of 20 served", s.probe(l, 20))
	s.waitAcks(acksBetween)
	lab.healRaft(l)
	c.waitFor("the former leader to follow the new one", func() error {
		st, err := statusOf(t.Context(), c.nodes[l])
		if err != nil {
			return err
		}
		if st.State != "Follower" || st.Leader == c.nodes[l].id || st.Leader == "" {
			return fmt.Errorf("%s, leader %q", st.State, st.Leader)
		}
		return nil
	})
	s.waitAcks(acksBetween)
	s.finish()
}

// Snapshot settings of TestLaggingFollower's nodes: snapshot often and keep
// a short log, so that a follower down for a few hundred writes must be
// sent a snapshot.
const (
	snapThreshold = 64
	trailingLogs  = 32
	walSegment    = 16 << 10
)

// TestLaggingFollower kills a follower, writes until the leader has taken a
// snapshot past everything the follower holds (and compacted its log),
// then restarts the follower: it must catch up from the snapshot.
func TestLaggingFollower(t *testing.T) {
	c := newCluster(t, 3, nil, fmt.Sprintf("DCPLANE_RAFT_SNAPSHOT_THRESHOLD=%d", snapThreshold),
		"DCPLANE_RAFT_SNAPSHOT_INTERVAL=300ms", fmt.Sprintf("DCPLANE_RAFT_TRAILING_LOGS=%d", trailingLogs),
		// raft-wal serves entries a snapshot compacted while they are in
		// its open segment: small segments put them in sealed ones, which
		// it deletes.
		fmt.Sprintf("DCPLANE_RAFT_WAL_SEGMENT_SIZE=%d", walSegment))
	s := startStorm(t, c)
	s.waitAcks(acksBetween)
	l := c.leader()
	f := c.others(l)[0]
	c.kill(f)
	// The follower holds at most what was committed when it died, and the
	// entries of the batches then in flight.
	past := c.commitIndex() + 100 + trailingLogs
	c.waitFor(fmt.Sprintf("a snapshot on the leader past index %d", past), func() error {
		l = c.leader(c.others(f)...)
		if got := c.snapshotIndex(l); got < past {
			return fmt.Errorf("latest snapshot at %d", got)
		}
		return nil
	})
	c.start(f)
	c.waitReady(c.nodes[f])
	s.waitAcks(acksBetween)
	s.finish()
	if !c.logHas(c.nodes[f], "Installed remote snapshot") {
		t.Errorf("the follower's log does not say it installed the leader's snapshot: it did not lag past one")
	}
}

// TestRestartAllFromDisk kills -9 every node during the storm and restarts
// them all on their data directories: the cluster comes back with every
// acknowledged write.
func TestRestartAllFromDisk(t *testing.T) {
	c := newCluster(t, 3, nil)
	s := startStorm(t, c)
	s.waitAcks(acksBetween)
	for range 2 {
		for i := range c.nodes {
			c.kill(i)
		}
		for i := range c.nodes {
			c.start(i)
		}
		for _, n := range c.nodes {
			c.waitReady(n)
		}
		c.leader()
		s.waitAcks(acksBetween)
	}
	s.finish()
}

// TestRestartBootstrapNodeWithSameFlags restarts the node that bootstrapped
// the cluster, with its --bootstrap --inventory flags, after another node
// has taken over: the README says a node may always restart with the same
// flags, and deploy/systemd's controller.env gives the first node these.
//
// It used to exit with "not the leader" (SiteOrPut's barrier, which only a
// leader passes), and so crash-loop under systemd for as long as another
// node led; a follower now keeps the cluster's inventory.
func TestRestartBootstrapNodeWithSameFlags(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.sameFlags = true
	s := startStorm(t, c)
	s.waitAcks(acksBetween)
	c.kill(0)
	c.leader(c.others(0)...)
	s.waitAcks(acksBetween)
	c.start(0)
	c.waitReady(c.nodes[0])
	s.waitAcks(acksBetween)
	s.finish()
}
