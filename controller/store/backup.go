package store

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/hashicorp/raft"

	"github.com/dcplane/dcplane/controller/state"
)

// maxSnapshotBytes bounds a snapshot given to Restore.
const maxSnapshotBytes = 1 << 30

// Backup writes the cluster's state, as of every entry committed before the
// call, to w in the snapshot format (state.View.WriteTo), and returns that
// state. Only the leader can: it passes a barrier first, so what it writes is
// never older than a write acknowledged before.
func (s *Store) Backup(ctx context.Context, w io.Writer) (*state.View, error) {
	if err := s.Barrier(ctx); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	v := s.State()
	if _, err := v.WriteTo(w); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return v, nil
}

// Restore replaces the cluster's state with a snapshot written by Backup,
// through Raft: the leader installs it, then sends it to every follower, so
// that all end with the same state. Only the leader can. This is disaster
// recovery: what was committed since the backup is lost.
//
// The snapshot's index is rewritten to this log's last index, so that the
// entries that follow, at higher indexes, apply on top of it whatever the
// index the backup was taken at (another cluster's, say).
func (s *Store) Restore(ctx context.Context, r io.Reader) error {
	if err := s.leading("restore"); err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSnapshotBytes+1))
	if err != nil {
		return fmt.Errorf("restore: read snapshot: %w", err)
	}
	if len(b) > maxSnapshotBytes {
		return fmt.Errorf("restore: snapshot larger than %d bytes", maxSnapshotBytes)
	}
	b, err = state.Reindex(bytes.NewReader(b), s.raft.LastIndex())
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Size: int64(len(b))}
	done := make(chan error, 1)
	go func() { done <- s.raft.Restore(meta, bytes.NewReader(b), s.enqueueTimeout(ctx)) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		return fmt.Errorf("restore: %w: %w", ErrOutcomeUnknown, ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	s.logger.Info("state restored from a backup", "index", s.State().Index())
	return nil
}
