package placement

import (
	"fmt"
	"math"
)

// checker is the chain Check verifies assignments with: the same as Place's.
var checker = New()

// Check re-verifies every hard limit for the assignments of req against c,
// as if they were added now, one after the other. The Raft state machine
// calls it when it applies a placement, so that decisions made on an older
// view can never overbook. It returns an *Infeasible naming the violated
// constraint with numbers, a *FieldError for a malformed request, and an
// error wrapping ErrUnknownServer or ErrBadAssignment for assignments that
// do not fit the cluster or the request.
func Check(c *Cluster, as []Assignment, req Request) error {
	if err := req.Validate(); err != nil {
		return err
	}
	if len(as) != req.Replicas {
		return fmt.Errorf("%d assignments for %d replicas: %w", len(as), req.Replicas, ErrBadAssignment)
	}
	st, err := checker.start(c, &req)
	if err != nil {
		return err
	}
	st.diag = true
	for i := range as {
		s, err := st.resolve(&as[i])
		if err != nil {
			return err
		}
		st.resetDiagnostics()
		if !checker.verify(st, s, as[i].Watts) {
			return st.infeasibleAt(checker, i)
		}
		if i+1 < len(as) { // the last one is checked: nothing follows to count it
			st.hold(s, as[i].Watts)
		}
	}
	return nil
}

// resolve finds the server of an assignment and checks that the rest of
// it matches the cluster and the request.
func (st *state) resolve(a *Assignment) (int, error) {
	s, ok := st.c.lookup(a)
	if !ok {
		return 0, fmt.Errorf("replica %d on %q: %w", a.Replica, a.Server, ErrUnknownServer)
	}
	srv := &st.c.Servers[s]
	if srv.Rack < 0 || srv.Rack >= len(st.c.Racks) {
		return 0, fmt.Errorf("server %q: rack %d of %d: %w", srv.ID, srv.Rack, len(st.c.Racks), ErrTopology)
	}
	k := srv.Rack
	rack, row, hall := st.c.Racks[k].ID, st.c.Rows[st.rowOf(k)].ID, st.c.Halls[st.hallOf(k)].ID
	if a.Rack != rack || a.Row != row || a.Hall != hall {
		return 0, fmt.Errorf("replica %d: server %s is in %s/%s/%s, not %s/%s/%s: %w",
			a.Replica, srv.ID, hall, row, rack, a.Hall, a.Row, a.Rack, ErrBadAssignment)
	}
	if want := st.req.wattsOn(srv); !(a.Watts >= want) || math.IsInf(a.Watts, 0) {
		return 0, fmt.Errorf("replica %d on %s: %v W, the request needs %v W there: %w",
			a.Replica, srv.ID, a.Watts, want, ErrBadAssignment)
	}
	return s, nil
}

// verify runs the whole chain on one server for w watts, recording the
// first constraint it fails in st's diagnostics.
func (e *Engine) verify(st *state, s int, w float64) bool {
	k := st.c.Servers[s].Rack
	if !e.rackOK(st, k, 1) {
		return false
	}
	var rooms [maxPower]float64
	e.rooms(st, k, &rooms)
	nf := len(e.rackFilters)
	if !e.fits(st, k, s, &rooms, w, nf, 1) || !e.serverOK(st, s, nf+len(e.power)) {
		return false
	}
	if !(st.req.wattsOn(&st.c.Servers[s]) > 0) {
		st.reject(rejection{c: cWatts, stage: nf + len(e.power) + len(e.serverFilters), k: k, s: s}, 1)
		return false
	}
	return true
}
