package controller

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/controller/wire"
)

// Timing of the node's own cluster chores.
const (
	// advertiseTimeout bounds a new leader's recording of its API URL.
	advertiseTimeout = 10 * time.Second
	// joinRetry is how long a node waits between two attempts to join.
	joinRetry = time.Second
	// joinTimeout bounds one request of an attempt to join.
	joinTimeout = 30 * time.Second
	// leaderCommitTimeout bounds the question of the leader's commit index.
	leaderCommitTimeout = 5 * time.Second
)

// Peer is a client of other controllers' HTTP API, as a node uses it to
// join their cluster and to learn how far the leader's log is committed.
// *api.Client is one; Config.Peers makes them.
type Peer interface {
	// Join asks the controllers to add the node req describes to their
	// cluster, trying each in turn; joining again is harmless.
	Join(ctx context.Context, req wire.JoinRequest) error
	// Cluster returns what the controller in use knows of its cluster.
	Cluster(ctx context.Context) (*wire.ClusterStatus, error)
	// URL is the base URL of the controller in use, any password in it
	// redacted.
	URL() string
	// CloseIdleConnections closes the connections the client keeps.
	CloseIdleConnections()
	// UseToken makes the client send secret as its bearer token.
	UseToken(secret string)
}

// Where each node's API is: nodes share their API URL through the Raft log
// (state.SetNodeAPI), so that every node, even one that has just restarted,
// learns the leader's from the log it replays. The leader records its own
// when it takes over; a node that joins gives its URL in the join request
// and the leader records it with the membership change. Raft's server
// configuration has no room for such metadata, and a side channel (gossip,
// a second port) would be one more thing to keep consistent.

// NodeID names this node.
func (n *Node) NodeID() string { return n.cfg.NodeID }

// Leader says whether this node leads and, if not, the leader's API URL, or
// "" while no leader is known or its URL not yet recorded.
func (n *Node) Leader() (self bool, apiURL string) {
	if n.store.IsLeader() {
		return true, n.cfg.APIURL
	}
	id, _ := n.store.Leader()
	if id == "" {
		return false, ""
	}
	u, _ := n.store.State().NodeAPI(id)
	return false, u
}

// Ready is nil once the node may serve its state: the store's own check
// (store.Store.Ready), and, on a follower, once it has applied everything
// the leader had committed when the node first asked it. The store alone
// cannot tell: Raft's heartbeats carry neither entries nor the leader's
// commit index, so a restarted follower hears from its leader (and would
// look caught up with the log it had) before it learns of the entries
// committed while it was down.
func (n *Node) Ready() error {
	if err := n.store.Ready(); err != nil {
		return err
	}
	if n.caughtUp.Load() {
		return nil
	}
	if n.store.IsLeader() {
		n.caughtUp.Store(true)
		return nil
	}
	target := n.catchUpTo.Load()
	if target == 0 {
		return fmt.Errorf("%w: asking the leader how far its log is committed", store.ErrCatchingUp)
	}
	if applied := n.store.Status().AppliedIndex; applied < target {
		return fmt.Errorf("%w: applied index %d, the leader had committed %d", store.ErrCatchingUp, applied, target)
	}
	n.caughtUp.Store(true)
	return nil
}

// askLeaderCommit learns the leader's commit index once, for Ready: it
// asks the leader's API every catchUpPoll until it answers, this node
// leads, or ctx is done.
func (n *Node) askLeaderCommit(ctx context.Context) {
	t := time.NewTicker(catchUpPoll)
	defer t.Stop()
	for !n.caughtUp.Load() && n.catchUpTo.Load() == 0 {
		if self, u := n.Leader(); self {
			return
		} else if u != "" {
			if ci, err := n.leaderCommit(ctx, u); err == nil && ci > 0 {
				n.catchUpTo.Store(ci)
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// catchUpPoll is how often a starting follower asks for the leader's
// commit index until it answers.
const catchUpPoll = 200 * time.Millisecond

// leaderCommit asks the leader's API for its commit index.
func (n *Node) leaderCommit(ctx context.Context, leaderAPI string) (uint64, error) {
	c, err := n.peers(leaderAPI, leaderCommitTimeout)
	if err != nil {
		return 0, err
	}
	defer c.CloseIdleConnections()
	st, err := c.Cluster(ctx)
	if err != nil {
		return 0, err
	}
	if st.State != "Leader" {
		return 0, fmt.Errorf("%s is not the leader (%s)", leaderAPI, st.State)
	}
	return st.CommitIndex, nil
}

// Freshness is the index of the state served and when the node last heard
// from the leader.
func (n *Node) Freshness() (uint64, time.Time) {
	return n.store.State().Index(), n.store.LastContact()
}

// Consistent returns once the leader's state holds every write committed
// before the call: a barrier through the log, which also proves that this
// node still leads.
func (n *Node) Consistent(ctx context.Context) error {
	if err := n.store.Barrier(ctx); err != nil {
		return n.leaderError(err)
	}
	return nil
}

// ClusterStatus describes this node and the members it knows. It answers
// even while the node catches up or is halted: it is how one learns why.
func (n *Node) ClusterStatus(ctx context.Context) (*wire.ClusterStatus, error) {
	st := n.store.Status()
	v := n.store.State()
	hash, err := v.Hash()
	if err != nil {
		return nil, err
	}
	leader, _ := n.store.Leader()
	_, leaderAPI := n.Leader()
	out := &wire.ClusterStatus{Node: n.cfg.NodeID, State: st.State, Leader: leader, LeaderAPI: leaderAPI, Term: st.Term,
		CommitIndex: st.CommitIndex, AppliedIndex: st.AppliedIndex, StateIndex: st.StateIndex, StateHash: hash, Ready: "ok",
		Members: []wire.ClusterMember{}}
	if err := n.Ready(); err != nil {
		out.Ready = err.Error()
	}
	if !st.LastContact.IsZero() {
		s := max(time.Since(st.LastContact).Seconds(), 0)
		out.StaleSeconds = &s
	}
	ms, err := n.store.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster status: %w", err)
	}
	for _, m := range ms {
		u, _ := v.NodeAPI(m.ID)
		out.Members = append(out.Members, wire.ClusterMember{ID: m.ID, RaftAddr: m.Addr, API: u, Voter: m.Voter, Leader: m.Leader})
	}
	return out, nil
}

// JoinNode adds a node to the cluster as a voter and records its API URL.
// Joining again is harmless, and updates the URL.
func (n *Node) JoinNode(ctx context.Context, req wire.JoinRequest) error {
	if err := n.store.Join(ctx, req.ID, req.RaftAddr); err != nil {
		return n.leaderError(err)
	}
	if req.API == "" && req.Reads == 0 {
		return nil
	}
	return n.recordAPI(ctx, req.ID, req.API, state.Codec(req.Reads))
}

// RemoveNode takes a node out of the cluster and forgets its API URL.
func (n *Node) RemoveNode(ctx context.Context, id string) error {
	if err := n.store.Remove(ctx, id); err != nil {
		return n.leaderError(err)
	}
	return n.recordAPI(ctx, id, "", 0)
}

// TransferLeadership hands leadership to another voter.
func (n *Node) TransferLeadership(ctx context.Context) error {
	return n.leaderError(n.store.TransferLeadership(ctx))
}

// Backup writes the state as of every committed write and returns its index
// and hash.
func (n *Node) Backup(ctx context.Context, w io.Writer) (uint64, string, error) {
	v, err := n.store.Backup(ctx, w)
	if err != nil {
		return 0, "", n.leaderError(err)
	}
	h, err := v.Hash()
	return v.Index(), h, err
}

// Restore replaces the state on every node with a backup's. The leader's
// working copy of the cluster and its telemetry-derived peaks stay: they
// are rebuilt from the restored state at the next decision.
//
// The audit trail is not rewound: the backup is restored with the trail as
// it stands, after a barrier, and the call's record appended
// (state.KeepAudit), in the state every node installs. Records committed
// between the barrier and the restore itself (calls made while the
// restore runs) are lost with their changes; the restore's record, which
// rides in the restored state, is not.
func (n *Node) Restore(ctx context.Context, r io.Reader) error {
	b, err := io.ReadAll(r) // bounded by the caller (the API's limit of a snapshot)
	if err != nil {
		return fmt.Errorf("restore: read snapshot: %w", err)
	}
	if err := n.store.Barrier(ctx); err != nil {
		return n.leaderError(err)
	}
	ca := wire.CallAuditOf(ctx)
	rec, carried := wire.AuditRecord{}, false
	if ca != nil {
		rec, carried = ca.Record()
	}
	if !carried {
		rec = wire.AuditRecord{At: n.cfg.Now(), Who: "(not an API call)", Method: http.MethodPut, Path: "/v1/cluster/snapshot", Status: http.StatusNoContent}
	}
	if rec.Node == "" {
		rec.Node = n.cfg.NodeID
	}
	if b, err = state.KeepAudit(bytes.NewReader(b), n.store.State(), rec); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := n.store.Restore(ctx, bytes.NewReader(b)); err != nil {
		return n.leaderError(err)
	}
	if carried {
		ca.Carry()
	}
	n.log.Warn("state restored from a backup; the audit trail kept, with a record of the restore", "index", n.store.State().Index())
	return nil
}

// recordAPI commits a node's API URL ("" forgets it) and the codec it
// reads (0 forgets it) unless the state holds them already. A join's or a
// removal's audit record rides in its entry (propose); when nothing is
// committed, the API records the call apart.
func (n *Node) recordAPI(ctx context.Context, id, url string, reads state.Codec) error {
	v := n.store.State()
	if cur, ok := v.NodeAPI(id); cur == url && (ok || url == "") && v.NodeReads(id) == max(reads, state.CodecJSON) {
		return nil
	}
	if _, err := n.propose(ctx, state.SetNodeAPI{Node: id, URL: url, Reads: reads, At: n.cfg.Now()}); err != nil {
		return n.leaderError(err)
	}
	n.log.Info("node API recorded", "node", id, "api", url, "reads", reads)
	return nil
}

// advertise records this node's API URL and the codec it reads once it
// leads, after a barrier so that it compares with the state every earlier
// leader left.
func (n *Node) advertise(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, advertiseTimeout)
	defer cancel()
	if err := n.store.Barrier(ctx); err != nil {
		n.log.Warn("recording this node's API URL", "err", err)
		return
	}
	if err := n.recordAPI(ctx, n.cfg.NodeID, n.cfg.APIURL, state.CodecNewest); err != nil {
		n.log.Warn("recording this node's API URL", "err", err)
	}
}

// joinLoop asks the controllers of cfg.Join, in turn, to add this node to
// their cluster, until one has or ctx is done. It runs at every start:
// joining again is harmless, and records a changed API URL.
func (n *Node) joinLoop(ctx context.Context) {
	c, err := n.peers(n.cfg.Join, joinTimeout)
	if err != nil {
		n.log.Error("cannot join", "err", err)
		return
	}
	defer c.CloseIdleConnections()
	req := wire.JoinRequest{ID: n.cfg.NodeID, RaftAddr: n.store.Addr(), API: n.cfg.APIURL, Reads: uint8(state.CodecNewest)}
	for {
		err := join(ctx, c, req)
		if err == nil {
			n.log.Info("joined the cluster", "via", c.URL())
			return
		}
		n.log.Warn("joining the cluster", "via", n.cfg.Join, "retry_in", joinRetry, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(joinRetry):
		}
	}
}

// join asks c to add req's node to its cluster. A leader of a release
// before JoinRequest.Reads refuses the field as unknown; join then asks
// again without it, so that a node of this build still joins a cluster in
// the middle of an upgrade: unannounced, it is written the JSON bodies
// every release reads (see state.MessageType's Upgrades), and announces
// itself when it next joins or leads.
func join(ctx context.Context, c Peer, req wire.JoinRequest) error {
	err := c.Join(ctx, req)
	if req.Reads != 0 && refusesReads(err) {
		req.Reads = 0
		return c.Join(ctx, req)
	}
	return err
}

// refusesReads reports whether err is how releases before
// JoinRequest.Reads answer it: a 422 naming reads as no field of the
// request (their text is fixed: they are released).
func refusesReads(err error) bool {
	return err != nil && strings.Contains(err.Error(), "(HTTP 422)") && strings.Contains(err.Error(), "reads: is not a field")
}

// peers is Config.Peers. Without TLS its clients carry Config.Token as
// their bearer token, or else the admin token this node wrote when it
// bootstrapped the cluster
// (a bootstrap node restarted without TLS must still ask the leader how far
// the log is committed before it serves).
func (n *Node) peers(urls string, timeout time.Duration) (Peer, error) {
	c, err := n.cfg.Peers(urls, timeout)
	if err != nil {
		return nil, err
	}
	if n.cfg.TLS != nil {
		// The node's controller certificate speaks for it: a token sent
		// along would decide instead (a revoked bootstrap token, a
		// viewer's in the environment) and shut it out.
		return c, nil
	}
	tok := n.cfg.Token
	if tok == "" {
		if b, err := os.ReadFile(filepath.Join(n.cfg.DataDir, AdminTokenFile)); err == nil {
			tok = strings.TrimSpace(string(b))
		}
	}
	if tok != "" {
		c.UseToken(tok)
	}
	return c, nil
}

// errNotLeader builds the not-leader error the API answers with, naming the
// leader's API URL when the node knows it.
func (n *Node) errNotLeader() error {
	id, addr := n.store.Leader()
	if id == "" {
		return fmt.Errorf("%w, and no leader is known yet: retry shortly", wire.ErrNotLeader)
	}
	if u, ok := n.store.State().NodeAPI(id); ok {
		return &wire.NotLeaderError{LeaderAPI: u}
	}
	return fmt.Errorf("%w: the leader is node %s (Raft address %s), whose API URL is not known yet", wire.ErrNotLeader, id, addr)
}
