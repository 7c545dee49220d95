package placement

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Infeasible is the error when a request cannot be placed, or when Check
// finds that assignments no longer fit.
type Infeasible struct {
	// Placed is how many replicas could be placed before the one that
	// failed (none of them is kept).
	Placed int
	// Rejected counts, by constraint name, the candidate servers each
	// constraint rejected for the replica that failed. A candidate counts
	// once, under the first constraint it fails in the chain; a rack
	// filter or power check that rules out a rack rejects all its servers.
	Rejected map[string]int
	// Binding is the reason, with numbers, that rules out the most
	// promising candidate: the one that passed the most of the chain,
	// then missed by the least.
	Binding string
	// Constraint names the constraint of Binding as Rejected names it
	// (one of Constraints); "" when the cluster has no server.
	Constraint string
}

// Constraints returns the names of the hard limits a candidate may fail,
// as Infeasible.Rejected and Infeasible.Constraint name them: a caller
// that counts refusals by reason can resolve its counters once.
func Constraints() []string { return slices.Clone(constraintNames[:]) }

// Error says which replica failed, why, and what rejected the candidates.
func (e *Infeasible) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "placement: replica %d does not fit", e.Placed+1)
	if e.Placed > 0 {
		fmt.Fprintf(&b, " (after %d placed, none kept)", e.Placed)
	}
	b.WriteString(": ")
	b.WriteString(e.Binding)
	if len(e.Rejected) > 0 {
		b.WriteString("; rejected:")
		for _, name := range slices.Sorted(maps.Keys(e.Rejected)) {
			fmt.Fprintf(&b, " %s=%d", name, e.Rejected[name])
		}
	}
	return b.String()
}

// rejection is a candidate a constraint ruled out: rack k, and server s or
// -1 for the whole rack; stage is how far in the chain it got, short by
// how much it missed (watts, millicores…), w the replica's watts.
type rejection struct {
	c     constraint
	stage int
	short float64
	k, s  int
	w     float64
}

// reject records that a constraint ruled out n candidate servers, and
// keeps the most promising rejection. It does nothing unless st.diag.
func (st *state) reject(r rejection, n int) {
	if !st.diag {
		return
	}
	st.rej[r.c] += n
	if st.worst.k < 0 || st.promising(r, st.worst) {
		st.worst = r
	}
}

// promising orders rejections: further in the chain, then a smaller miss,
// then lower rack ID, then lower server ID.
func (st *state) promising(a, b rejection) bool {
	if a.stage != b.stage {
		return a.stage > b.stage
	}
	if a.short != b.short {
		return a.short < b.short
	}
	if ra, rb := st.c.Racks[a.k].ID, st.c.Racks[b.k].ID; ra != rb {
		return ra < rb
	}
	return a.s >= 0 && (b.s < 0 || st.c.Servers[a.s].ID < st.c.Servers[b.s].ID)
}

func (st *state) resetDiagnostics() {
	st.rej = [nConstraints]int{}
	st.worst = rejection{k: -1, s: -1}
}

// infeasible makes the error for replica i, which did not fit: it runs the
// replica's search again with diagnostics on (the state is unchanged, so
// it fails the same way) to count the rejections and find the binding one.
func (e *Engine) infeasible(st *state, i int) *Infeasible {
	st.diag, st.listAll = true, false
	st.resetDiagnostics()
	e.pick(st)
	st.diag = false
	return st.infeasibleAt(e, i)
}

// infeasibleAt makes the error for replica i from the diagnostics.
func (st *state) infeasibleAt(e *Engine, i int) *Infeasible {
	rej := map[string]int{}
	for c, n := range st.rej {
		if n > 0 {
			rej[constraintNames[c]] = n
		}
	}
	out := &Infeasible{Placed: i, Rejected: rej, Binding: e.binding(st)}
	if st.worst.k >= 0 {
		out.Constraint = constraintNames[st.worst.c]
	}
	return out
}

// binding explains the most promising rejection.
func (e *Engine) binding(st *state) string {
	r := st.worst
	if r.k < 0 {
		return "the cluster has no server"
	}
	if r.c == cWatts {
		srv := &st.c.Servers[r.s]
		return fmt.Sprintf("%s: no maximum draw to derive the replica's watts from at utilisation %v", srv.ID, st.req.Utilisation)
	}
	for _, p := range e.power {
		if p.constraint() == r.c {
			return p.explain(st, r.k, r.w)
		}
	}
	if r.s >= 0 {
		for _, f := range e.serverFilters {
			if f.constraint() == r.c {
				return f.explain(st, r.s)
			}
		}
	}
	for _, f := range e.rackFilters {
		if f.constraint() == r.c {
			return f.explain(st, r.k)
		}
	}
	return constraintNames[r.c]
}
