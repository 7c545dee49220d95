package store

import "errors"

// Errors returned by the Store. Each may be wrapped with context; test for
// them with errors.Is.
var (
	// ErrNotLeader is returned by Apply, Join and Barrier on a node that is
	// not the leader. Leader tells which node is.
	ErrNotLeader = errors.New("store: not the leader")

	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("store: closed")

	// ErrCatchingUp is returned by Ready while the node has not yet applied
	// the log it must replay (its own log on a restart, and what the leader
	// has committed): its state is older than the cluster's and must not be
	// served as current. It passes on its own.
	ErrCatchingUp = errors.New("store: catching up")

	// ErrHalted is returned by Ready, and by Apply, once the node met a
	// committed entry it cannot apply (a type or body version from a newer
	// release, or a corrupt body). The node stops applying rather than let
	// its state diverge; the wrapped error names the entry. Upgrade the node
	// and restart it.
	ErrHalted = errors.New("store: stopped applying the log")

	// ErrOutcomeUnknown is returned by Apply (and Barrier, Join, Restore…)
	// when the request reached Raft but the node cannot tell whether it
	// committed: leadership was lost before it did, or the context ended
	// first. The command may still commit. A write sent again with the same
	// idempotency key learns its outcome.
	ErrOutcomeUnknown = errors.New("store: outcome unknown")

	// ErrUnknownNode is returned by Remove for a node that is not a member.
	ErrUnknownNode = errors.New("store: no such node in the cluster")
)
