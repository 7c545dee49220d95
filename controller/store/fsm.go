package store

import (
	"fmt"
	"io"

	"github.com/hashicorp/raft"

	"github.com/dcplane/dcplane/controller/state"
)

// fsm is the Store seen by Raft: its Apply, Snapshot and Restore stay out of
// the Store's public API.
type fsm Store

// applyResult is what fsm.Apply returns to Raft, and Raft hands back to the
// leader's Apply as the future's response.
type applyResult struct {
	view *state.View
	err  error
}

// Apply applies a committed log entry to the state. An entry that does not
// decode halts the state machine (see the package doc): skipping it would let
// this replica diverge from the others, and a panic would crash the node
// again on every restart without letting anyone ask it why.
func (f *fsm) Apply(l *raft.Log) any {
	if err := (*Store)(f).haltErr(); err != nil {
		return applyResult{err: err}
	}
	cmd, err := state.Decode(l.Data)
	if err != nil {
		f.halt(fmt.Errorf("entry %d (term %d): %w", l.Index, l.Term, err))
		return applyResult{err: (*Store)(f).haltErr()}
	}
	if ig, ok := cmd.(state.Ignored); ok {
		f.logger.Warn("skipping a command of a type this release does not know", "index", l.Index, "type", uint8(ig.Raw), "version", ig.Version)
	}
	v, err := f.machine.Apply(l.Index, cmd)
	if announces(cmd) {
		f.codecs.invalidate() // a member may read more, or less, now
	}
	return applyResult{view: v, err: err}
}

// Snapshot captures the current state. It is one atomic load: the view is
// immutable, so Persist may write it while Apply goes on. A halted state
// machine refuses: its state lags the index Raft would label the snapshot
// with, and the log it compacted would be lost.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	if err := (*Store)(f).haltErr(); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return fsmSnapshot{view: f.machine.View()}, nil
}

// Restore replaces the state with a snapshot's, in one atomic swap that
// readers never see half done. Raft closes rc.
func (f *fsm) Restore(rc io.ReadCloser) error {
	if err := f.machine.Restore(rc); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	f.codecs.invalidate() // the members' announcements are the snapshot's
	// A whole state replaces the one that could not go on.
	if f.halted.Swap(nil) != nil {
		f.logger.Warn("state restored from a snapshot: applying the log again")
	}
	f.logger.Info("state restored from a snapshot", "index", f.machine.View().Index())
	return nil
}

// fsmSnapshot is a state captured by fsm.Snapshot.
type fsmSnapshot struct {
	view *state.View
}

// Persist writes the snapshot to sink and closes it, or cancels it on error.
func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	err := func() error {
		if _, err := s.view.WriteTo(sink); err != nil {
			return err
		}
		return sink.Close()
	}()
	if err != nil {
		sink.Cancel() //nolint:errcheck // the write error is the one to report
		return fmt.Errorf("persist snapshot %s: %w", sink.ID(), err)
	}
	return nil
}

// Release does nothing: the view is garbage collected.
func (fsmSnapshot) Release() {}
