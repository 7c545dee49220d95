package alerts

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// State is the part of the alerts that must survive a failover, and so
// lives in the replicated state: the firing alerts (since when, their
// acks) and the silences. Pending alerts are the leader's alone.
//
// State changes only by Apply, which is deterministic: the same
// transitions applied in the same order give the same State on every
// replica. Its JSON form has its maps' keys in order.
type State struct {
	Firing   map[string]Alert   `json:"firing"`
	Silences map[string]Silence `json:"silences"`
}

// NewState returns a State with no alerts and no silences.
func NewState() State {
	return State{Firing: map[string]Alert{}, Silences: map[string]Silence{}}
}

// Clone returns a copy of s that shares nothing with it.
func (s State) Clone() State {
	c := State{Firing: maps.Clone(s.Firing), Silences: maps.Clone(s.Silences)}
	if c.Firing == nil {
		c.Firing = map[string]Alert{}
	}
	if c.Silences == nil {
		c.Silences = map[string]Silence{}
	}
	for id, a := range c.Firing {
		if a.Ack != nil {
			ack := *a.Ack
			a.Ack = &ack
		}
		a.Silence = nil
		c.Firing[id] = a
	}
	return c
}

// TransitionKind says what a transition does.
type TransitionKind string

// The transitions. Fired and Resolved come from evaluation (Resolved also
// from an operator); the others from people, through the API.
const (
	Fired      TransitionKind = "fired"      // Alert starts firing
	Resolved   TransitionKind = "resolved"   // the alert ID stops firing; its ack goes with it
	Acked      TransitionKind = "acked"      // By takes the firing alert ID on, Why says how
	Unacked    TransitionKind = "unacked"    // the ack of alert ID is withdrawn
	Silenced   TransitionKind = "silenced"   // notifications of ID stop until Until
	Unsilenced TransitionKind = "unsilenced" // the silence of ID ends
)

// Transition is one change of the replicated alert state: what a Raft
// command carries. Time is in it (At); Apply reads no clock.
type Transition struct {
	Kind TransitionKind `json:"kind"`
	ID   string         `json:"id"`
	At   time.Time      `json:"at"`
	// Alert is the alert as it fired (Fired) or as it was last seen
	// (Resolved, from evaluation: for the notification that it resolved).
	Alert *Alert `json:"alert,omitempty"`
	// By is who acked, silenced or resolved; Why their reason, or the
	// evaluator's.
	By  string `json:"by,omitempty"`
	Why string `json:"why,omitempty"`
	// Until ends a silence.
	Until time.Time `json:"until,omitzero"`
}

// Errors of Apply. Each is wrapped with the transition's kind and ID.
var (
	// ErrInvalidTransition is returned for a transition that lacks what
	// its kind needs (an ID, an alert, who, a silence's end after its
	// start) or has an unknown kind.
	ErrInvalidTransition = errors.New("alerts: invalid transition")
	// ErrNotFiring is returned for an ack of an alert that is not firing
	// (it may have resolved meanwhile).
	ErrNotFiring = errors.New("alerts: alert not firing")
)

// Apply applies t to s. Fired, Resolved and Unsilenced are idempotent, so
// that a transition applied twice (a retried command) changes nothing the
// second time: firing an alert that fires already keeps its FiringSince
// and its ack; resolving one that is not firing, or unsilencing what is
// not silenced, does nothing.
func (s *State) Apply(t Transition) error {
	if err := t.check(); err != nil {
		return err
	}
	if s.Firing == nil {
		s.Firing = map[string]Alert{}
	}
	if s.Silences == nil {
		s.Silences = map[string]Silence{}
	}
	switch t.Kind {
	case Fired:
		a := *t.Alert
		a.Status, a.Silence = StatusFiring, nil
		if old, ok := s.Firing[t.ID]; ok {
			a.FiringSince, a.ActiveSince, a.Ack = old.FiringSince, old.ActiveSince, old.Ack
		}
		s.Firing[t.ID] = a
	case Resolved:
		delete(s.Firing, t.ID)
	case Acked:
		a, ok := s.Firing[t.ID]
		if !ok {
			return fmt.Errorf("ack %s: %w", t.ID, ErrNotFiring)
		}
		a.Ack = &Ack{By: t.By, At: t.At, Why: t.Why}
		s.Firing[t.ID] = a
	case Unacked:
		if a, ok := s.Firing[t.ID]; ok {
			a.Ack = nil
			s.Firing[t.ID] = a
		}
	case Silenced:
		s.Silences[t.ID] = Silence{By: t.By, At: t.At, Until: t.Until, Why: t.Why}
	case Unsilenced:
		delete(s.Silences, t.ID)
	}
	return nil
}

// check says whether t has what its kind needs.
func (t Transition) check() error {
	bad := func(why string) error {
		return fmt.Errorf("%s %s: %s: %w", t.Kind, t.ID, why, ErrInvalidTransition)
	}
	if strings.TrimSpace(t.ID) == "" {
		return bad("no alert ID")
	}
	switch t.Kind {
	case Fired:
		if t.Alert == nil || t.Alert.ID != t.ID {
			return bad("no alert, or one of another ID")
		}
	case Acked, Silenced:
		if strings.TrimSpace(t.By) == "" {
			return bad("no one named in by")
		}
		if t.Kind == Silenced && !t.Until.After(t.At) {
			return bad("a silence must end after it starts")
		}
	case Resolved, Unacked, Unsilenced:
	default:
		return bad("unknown kind")
	}
	return nil
}

// Silenced says whether notifications of alert id are silenced at now.
func (s *State) Silenced(id string, now time.Time) bool {
	v, ok := s.Silences[id]
	return ok && now.Before(v.Until)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
