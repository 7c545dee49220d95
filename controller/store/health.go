package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// Ready reports whether this node's state may be served: nil once it has
// caught up; an error wrapping ErrCatchingUp before (saying how far it is),
// ErrHalted once it stopped applying, or ErrClosed.
//
// A node is catching up from Open until it has heard from a leader (or
// leads) and applied every command entry up to the later of the last index
// its log held at Open and the commit index it now knows. Once caught up it
// stays so: later lag is staleness, which LastContact measures.
func (s *Store) Ready() error {
	if err := s.haltErr(); err != nil {
		return err
	}
	if s.caughtUp.Load() {
		return nil
	}
	switch s.raft.State() {
	case raft.Shutdown:
		return ErrClosed
	case raft.Leader:
	default:
		if s.raft.LastContact().IsZero() {
			return fmt.Errorf("%w: has not heard from a leader since it started (not yet joined, or no quorum)", ErrCatchingUp)
		}
	}
	target := max(s.openIndex, s.raft.CommitIndex())
	applied := s.State().Index()
	if !s.appliedThrough(applied, target) {
		return fmt.Errorf("%w: applied index %d, replaying up to %d", ErrCatchingUp, applied, target)
	}
	if s.caughtUp.CompareAndSwap(false, true) {
		s.logger.Info("caught up with the log", "index", target)
	}
	return nil
}

// appliedThrough says whether every command entry up to target has been
// applied, the last applied one being at index applied. Entries that are not
// commands (configuration, no-ops, barriers) never reach the state, so the
// walk back from target skips them; entries no longer in the log were
// compacted into a snapshot the state was restored from.
func (s *Store) appliedThrough(applied, target uint64) bool {
	if applied >= target {
		return true
	}
	first, err := s.logs.FirstIndex()
	if err != nil {
		return false
	}
	for i := target; i > applied && i >= first && i > 0; i-- {
		var l raft.Log
		if err := s.logs.GetLog(i, &l); err != nil {
			return errors.Is(err, raft.ErrLogNotFound) && i < first
		}
		if l.Type == raft.LogCommand {
			return false
		}
	}
	return true
}

// halt stops the state machine for good: Apply applies nothing more, and
// Ready and Apply report err. It logs once.
func (f *fsm) halt(err error) {
	e := fmt.Errorf("%w: %w", ErrHalted, err)
	if f.halted.CompareAndSwap(nil, &e) {
		f.logger.Error("cannot apply a committed entry: this node stops applying the log and answers 503 until it is upgraded and restarted", "err", err)
	}
}

// haltErr is the error the state machine halted with, or nil.
func (s *Store) haltErr() error {
	if e := s.halted.Load(); e != nil {
		return *e
	}
	return nil
}

// LastContact is when this node last heard from the leader: now on the
// leader, the zero time if never.
func (s *Store) LastContact() time.Time {
	if s.raft.State() == raft.Leader {
		return time.Now()
	}
	return s.raft.LastContact()
}
