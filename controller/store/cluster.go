package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hashicorp/raft"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/state"
)

// leaderPollInterval is how often WaitForLeader looks for a leader.
const leaderPollInterval = 10 * time.Millisecond

// ID is the node's ID.
func (s *Store) ID() string { return s.id }

// Addr is the Raft address the node advertises to the others.
func (s *Store) Addr() string { return s.addr }

// State returns the latest state this node has applied. It never blocks and
// takes no lock; the view it returns never changes.
func (s *Store) State() *state.View { return s.machine.View() }

// IsLeader reports whether this node is the leader.
func (s *Store) IsLeader() bool { return s.raft.State() == raft.Leader }

// Leader returns the ID and address of the leader this node knows of, or
// empty strings when it knows of none.
func (s *Store) Leader() (id, addr string) {
	a, i := s.raft.LeaderWithID()
	return string(i), string(a)
}

// LeaderCh returns a channel that receives true when this node becomes the
// leader and false when it stops being it; it receives true at once if the
// node leads already. Only the latest value is kept for a slow reader. The
// channel is closed when ctx is done or the store is closed: a loop that
// reads it stops then.
func (s *Store) LeaderCh(ctx context.Context) <-chan bool {
	return s.leaders.subscribe(ctx)
}

// WaitForLeader waits until this node knows of a leader (itself or another),
// the context is done, or the store is closed.
func (s *Store) WaitForLeader(ctx context.Context) error {
	t := time.NewTicker(leaderPollInterval)
	defer t.Stop()
	for {
		if id, _ := s.Leader(); id != "" {
			return nil
		}
		if s.raft.State() == raft.Shutdown {
			return fmt.Errorf("wait for leader: %w", ErrClosed)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for leader: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Apply commits cmd to the log and returns the state right after it was
// applied. On a follower it fails with ErrNotLeader. A command the state
// rejects comes back with the state's error (e.g. one wrapping
// inventory.ErrInvalid). See the package doc for what a nil error promises.
func (s *Store) Apply(ctx context.Context, cmd state.Command) (*state.View, error) {
	if err := s.leading("apply"); err != nil {
		return nil, err
	}
	b, err := state.EncodeFor(cmd, s.Codec())
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	f := s.raft.Apply(b, s.enqueueTimeout(ctx))
	if err := s.await(ctx, f); err != nil {
		return nil, fmt.Errorf("apply %v: %w", cmd.Type(), err)
	}
	res, ok := f.Response().(applyResult)
	if !ok {
		return nil, fmt.Errorf("apply %v: unexpected response %T", cmd.Type(), f.Response())
	}
	if res.err != nil {
		return nil, fmt.Errorf("apply %v at index %d: %w", cmd.Type(), f.Index(), res.err)
	}
	return res.view, nil
}

// Barrier waits until every entry committed before it has been applied to
// this node's state. Only the leader can; a new leader calls it before
// trusting its state.
func (s *Store) Barrier(ctx context.Context) error {
	if err := s.leading("barrier"); err != nil {
		return err
	}
	if err := s.await(ctx, s.raft.Barrier(s.enqueueTimeout(ctx))); err != nil {
		return fmt.Errorf("barrier: %w", err)
	}
	return nil
}

// leading returns nil on the leader, else ErrClosed or ErrNotLeader, which
// names the leader when one is known.
func (s *Store) leading(op string) error {
	switch s.raft.State() {
	case raft.Leader:
		return nil
	case raft.Shutdown:
		return fmt.Errorf("%s: %w", op, ErrClosed)
	}
	id, addr := s.Leader()
	if id == "" {
		return fmt.Errorf("%s: %w, and no leader is known", op, ErrNotLeader)
	}
	return fmt.Errorf("%s: %w: the leader is %s at %s", op, ErrNotLeader, id, addr)
}

// enqueueTimeout is how long Raft may take to accept a request: the
// configured timeout, or less if the context's deadline is nearer.
func (s *Store) enqueueTimeout(ctx context.Context) time.Duration {
	d := s.timeout
	if dl, ok := ctx.Deadline(); ok {
		d = min(d, max(time.Until(dl), time.Millisecond))
	}
	return d
}

// await waits for a Raft future or the context, whichever ends first, and
// maps Raft's errors to the store's. Raft resolves every future (at the
// latest when it shuts down), so the goroutine that waits on it returns then.
func (s *Store) await(ctx context.Context, f raft.Future) error {
	// The waiter ends when f is answered, which hashicorp/raft does for
	// every future but one queued as the node shuts down: that waiter
	// ends with the process (the controller's tests tell goleak so).
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrOutcomeUnknown, ctx.Err())
	}
	switch {
	case errors.Is(err, raft.ErrNotLeader):
		return fmt.Errorf("%w: %w", ErrNotLeader, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%w: %w", ErrClosed, err)
	case errors.Is(err, raft.ErrLeadershipLost):
		return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return err
}

// Join adds the node id at addr to the cluster as a voter. Only the leader
// can. Joining a node already in the cluster at that address does nothing; a
// known ID at a new address has its address updated; another node that held
// addr is removed first.
func (s *Store) Join(ctx context.Context, id, addr string) error {
	if err := s.leading("join"); err != nil {
		return err
	}
	cf := s.raft.GetConfiguration()
	if err := s.await(ctx, cf); err != nil {
		return fmt.Errorf("join %s at %s: read configuration: %w", id, addr, err)
	}
	for _, srv := range cf.Configuration().Servers {
		switch {
		case srv.ID == raft.ServerID(id) && srv.Address == raft.ServerAddress(addr):
			s.logger.Info("node already a member, join ignored", "id", id, "addr", addr)
			return nil
		case srv.Address == raft.ServerAddress(addr):
			if err := s.remove(ctx, srv); err != nil {
				return fmt.Errorf("join %s at %s: %w", id, addr, err)
			}
		}
	}
	f := s.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, s.enqueueTimeout(ctx))
	// A new member reads JSON until it announces more: the leader writes
	// for it from the entry after its own.
	defer s.codecs.invalidate()
	if err := s.await(ctx, f); err != nil {
		return fmt.Errorf("join %s at %s: %w", id, addr, err)
	}
	s.logger.Info("node joined", "id", id, "addr", addr)
	return nil
}

// remove takes out of the cluster a node whose address a joining node now
// has. It refuses to remove this node.
func (s *Store) remove(ctx context.Context, srv raft.Server) error {
	if srv.ID == raft.ServerID(s.id) {
		return fmt.Errorf("address %s is the leader's own", srv.Address)
	}
	defer s.codecs.invalidate() // one member fewer may read more
	f := s.raft.RemoveServer(srv.ID, 0, s.enqueueTimeout(ctx))
	if err := s.await(ctx, f); err != nil {
		return fmt.Errorf("remove %s, which held the address: %w", srv.ID, err)
	}
	s.logger.Info("node removed: its address was taken", "id", srv.ID, "addr", srv.Address)
	return nil
}

// Stats returns Raft's statistics (state, term, last_log_index,
// applied_index…) with the node's ID and address, the leader's, and the index
// of the state it serves (state_index).
func (s *Store) Stats() map[string]string {
	m := s.raft.Stats()
	m["node_id"], m["addr"] = s.id, s.addr
	m["leader_id"], m["leader_addr"] = s.Leader()
	m["state_index"] = strconv.FormatUint(s.State().Index(), 10)
	return m
}

// Cluster returns the latest state and a copy of the placement engine's
// picture of it (nil before the first inventory), for the caller to modify.
func (s *Store) Cluster() (*state.View, *placement.Cluster) { return s.machine.Cluster() }

// Member is one server of the cluster's configuration.
type Member struct {
	ID     string `json:"id"`
	Addr   string `json:"raft_addr"`
	Voter  bool   `json:"voter"`
	Leader bool   `json:"leader"`
}

// Members returns the servers of the latest configuration this node knows,
// in the configuration's order.
func (s *Store) Members(ctx context.Context) ([]Member, error) {
	cf := s.raft.GetConfiguration()
	if err := s.await(ctx, cf); err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	leader, _ := s.Leader()
	var out []Member
	for _, srv := range cf.Configuration().Servers {
		out = append(out, Member{ID: string(srv.ID), Addr: string(srv.Address), Voter: srv.Suffrage == raft.Voter,
			Leader: string(srv.ID) == leader})
	}
	return out, nil
}

// Remove takes node id out of the cluster. Only the leader can, and not
// itself: transfer leadership first, then ask the new leader. The others
// keep a quorum of the smaller cluster.
func (s *Store) Remove(ctx context.Context, id string) error {
	if err := s.leading("remove " + id); err != nil {
		return err
	}
	if id == s.id {
		return fmt.Errorf("remove %s: it is the leader: transfer leadership first", id)
	}
	cf := s.raft.GetConfiguration()
	if err := s.await(ctx, cf); err != nil {
		return fmt.Errorf("remove %s: read configuration: %w", id, err)
	}
	if !slices.ContainsFunc(cf.Configuration().Servers, func(srv raft.Server) bool { return srv.ID == raft.ServerID(id) }) {
		return fmt.Errorf("remove %s: %w", id, ErrUnknownNode)
	}
	defer s.codecs.invalidate() // one member fewer may read more
	if err := s.await(ctx, s.raft.RemoveServer(raft.ServerID(id), 0, s.enqueueTimeout(ctx))); err != nil {
		return fmt.Errorf("remove %s: %w", id, err)
	}
	s.logger.Info("node removed", "id", id)
	return nil
}

// TransferLeadership asks another voter to take over as leader and waits
// until it has (or the transfer failed). Only the leader can.
func (s *Store) TransferLeadership(ctx context.Context) error {
	if err := s.leading("transfer leadership"); err != nil {
		return err
	}
	if err := s.await(ctx, s.raft.LeadershipTransfer()); err != nil {
		return fmt.Errorf("transfer leadership: %w", err)
	}
	s.logger.Info("leadership transferred")
	return nil
}

// Status is what a node knows of its place in the cluster, for the API and
// metrics.
type Status struct {
	State        string    // Leader, Follower, Candidate, Shutdown
	Term         uint64    // current term
	LastIndex    uint64    // last index in the log
	CommitIndex  uint64    // highest index known committed
	AppliedIndex uint64    // highest index Raft handed to the state machine
	StateIndex   uint64    // index of the state served (last command applied)
	FSMPending   uint64    // batches queued for the state machine
	LastContact  time.Time // with the leader; now on the leader, zero if never
}

// Status returns the node's Raft status.
func (s *Store) Status() Status {
	pending, _ := strconv.ParseUint(s.raft.Stats()["fsm_pending"], 10, 64)
	return Status{State: s.raft.State().String(), Term: s.raft.CurrentTerm(), LastIndex: s.raft.LastIndex(),
		CommitIndex: s.raft.CommitIndex(), AppliedIndex: s.raft.AppliedIndex(), StateIndex: s.State().Index(),
		FSMPending: pending, LastContact: s.LastContact()}
}
