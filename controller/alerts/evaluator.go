package alerts

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// Evaluator runs the rules and remembers, per alert, what hysteresis needs:
// since when a condition has held (pending), since when a firing alert's
// value has been past its clear level, and the replicated State (firing
// alerts, acks, silences). It is safe for concurrent use; it reads no
// clock: time comes in the calls.
type Evaluator struct {
	mu      sync.Mutex
	cfg     Config
	state   State
	pending map[string]*Alert
}

// NewEvaluator returns an evaluator of the rules with cfg's thresholds and
// no alerts. The error, if any, is Validate's.
func NewEvaluator(cfg Config) (*Evaluator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Evaluator{cfg: cfg, state: NewState(), pending: map[string]*Alert{}}, nil
}

// Result is what one evaluation found.
type Result struct {
	// Active lists the pending and firing alerts, critical first, then
	// firing before pending, then by ID; each with its silence, if any.
	Active []Alert `json:"active"`
	// Transitions lists what changed in the replicated state: alerts that
	// fired or resolved and silences that expired. The leader commits
	// them (a Raft command each, or one for all) and notifies for them.
	Transitions []Transition `json:"transitions"`
}

// Evaluate judges in at now and moves each alert along:
//
//   - a condition that holds starts a pending alert, which fires once it
//     has held for the rule's `for` duration (at once when that is 0);
//   - a pending alert whose condition stops holding is dropped;
//   - a firing alert resolves once its value has stayed past the clear
//     level (the limit less the hysteresis band) for ClearFor; within the
//     band it keeps firing;
//   - an alert whose readings are unknown is held: it neither fires nor
//     resolves nor pends, and keeps its last known value (TelemetryStale
//     reports the device);
//   - an alert whose object has left the inventory, or whose rule no
//     longer applies to it, resolves.
//
// Transitions are applied to the evaluator's state before it returns.
func (e *Evaluator) Evaluate(in Input, now time.Time) Result {
	e.mu.Lock()
	defer e.mu.Unlock()
	j := &judge{cfg: &e.cfg, in: &in, now: now, band: e.cfg.Hysteresis}
	var res Result
	seen := map[string]bool{}
	for _, c := range j.run() {
		id := ID(c.rule, c.obj)
		if seen[id] {
			continue
		}
		seen[id] = true
		if t, ok := e.step(id, c, now); ok {
			res.Transitions = append(res.Transitions, t)
		}
	}
	for _, id := range sortedKeys(e.state.Firing) {
		if !seen[id] {
			a := e.state.Firing[id]
			res.Transitions = append(res.Transitions, Transition{Kind: Resolved, ID: id, At: now, Alert: &a,
				Why: "no longer applies: the object left the inventory or the rule no longer judges it"})
		}
	}
	for id := range e.pending {
		if !seen[id] {
			delete(e.pending, id)
		}
	}
	for _, id := range sortedKeys(e.state.Silences) {
		if !now.Before(e.state.Silences[id].Until) {
			res.Transitions = append(res.Transitions, Transition{Kind: Unsilenced, ID: id, At: now, Why: "expired"})
		}
	}
	for _, t := range res.Transitions {
		_ = e.state.Apply(t) // fire, resolve and unsilence of what is there cannot fail
	}
	res.Active = e.active()
	return res
}

// step moves the alert id along on condition c; it returns the transition
// of the replicated state, if any.
func (e *Evaluator) step(id string, c condition, now time.Time) (Transition, bool) {
	if a, ok := e.state.Firing[id]; ok {
		return e.stepFiring(id, a, c, now)
	}
	p := e.pending[id]
	switch {
	case !c.known:
		if p != nil {
			p.Held = true
		}
		return Transition{}, false
	case !c.fire:
		delete(e.pending, id)
		return Transition{}, false
	case p == nil:
		info := ruleInfo[c.rule]
		p = &Alert{ID: id, Rule: c.rule, Severity: info.Severity, Object: c.obj, Status: StatusPending,
			Runbook: info.Runbook, ActiveSince: now}
		e.pending[id] = p
	}
	update(p, c)
	if now.Sub(p.ActiveSince) < c.after {
		return Transition{}, false
	}
	delete(e.pending, id)
	a := *p
	a.Status, a.FiringSince = StatusFiring, now
	return Transition{Kind: Fired, ID: id, At: now, Alert: &a}, true
}

// stepFiring moves a firing alert along: held while unknown, resolved once
// past its clear level for ClearFor.
func (e *Evaluator) stepFiring(id string, a Alert, c condition, now time.Time) (Transition, bool) {
	if !c.known {
		a.Held = true
		e.state.Firing[id] = a
		return Transition{}, false
	}
	update(&a, c)
	if !c.clear {
		a.ClearSince = time.Time{}
		e.state.Firing[id] = a
		return Transition{}, false
	}
	if a.ClearSince.IsZero() {
		a.ClearSince = now
	}
	e.state.Firing[id] = a
	if now.Sub(a.ClearSince) < time.Duration(e.cfg.ClearFor) {
		return Transition{}, false
	}
	return Transition{Kind: Resolved, ID: id, At: now, Alert: &a}, true
}

// update copies a known condition's reading into its alert.
func update(a *Alert, c condition) {
	a.Held = false
	if finite(c.value) {
		a.Value = c.value
	}
	a.Limit, a.Unit, a.Summary = c.limit, c.unit, c.summary
}

// active lists the pending and firing alerts, with their silences.
func (e *Evaluator) active() []Alert {
	out := make([]Alert, 0, len(e.pending)+len(e.state.Firing))
	for _, p := range e.pending {
		out = append(out, *p)
	}
	for _, a := range e.state.Firing {
		out = append(out, a)
	}
	for i := range out {
		if s, ok := e.state.Silences[out[i].ID]; ok {
			out[i].Silence = &s
		}
	}
	slices.SortFunc(out, func(a, b Alert) int {
		return cmp.Or(cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)),
			cmp.Compare(statusRank(a.Status), statusRank(b.Status)), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func severityRank(s Severity) int {
	if s == Critical {
		return 0
	}
	return 1
}

func statusRank(s Status) int {
	if s == StatusFiring {
		return 0
	}
	return 1
}

// Apply applies a transition committed through the replicated log (an
// ack, a silence, an operator's resolve) to the evaluator's state, as the
// state machine applies it to its own copy.
func (e *Evaluator) Apply(t Transition) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.Apply(t)
}

// State returns a copy of the replicated part of the evaluator's state:
// the firing alerts and the silences.
func (e *Evaluator) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.Clone()
}

// Restore replaces the evaluator's state with s, as a new leader does with
// the replicated state: firing alerts keep firing (with their acks) until
// evaluation resolves them, silences keep silencing. Pending alerts are
// forgotten: their `for` durations start again.
func (e *Evaluator) Restore(s State) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state = s.Clone()
	clear(e.pending)
}
