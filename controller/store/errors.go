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
)
