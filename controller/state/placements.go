package state

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/dcplane/dcplane/controller/placement"
)

// Placement statuses.
const (
	StatusPlaced   = "placed"
	StatusReserved = "reserved"
)

// KeyRetention is how long an idempotency key is remembered: a request
// retried with the same key within it gets the first answer and places
// nothing twice. Keys are forgotten by ExpireReservations.
const KeyRetention = 24 * time.Hour

// MaxKeys bounds how many idempotency keys the state remembers; beyond it,
// ExpireReservations forgets the oldest first, so that a flood of keyed
// requests costs bounded memory on every replica.
const MaxKeys = 100_000

// Placement is a workload placed (or reserved) on servers: the request as
// the platform team made it and the server of each replica.
type Placement struct {
	ID          string                 `json:"id"`
	Key         string                 `json:"key,omitempty"`
	Status      string                 `json:"status"`
	Request     placement.Request      `json:"request"`
	Assignments []placement.Assignment `json:"assignments"`
	CreatedAt   time.Time              `json:"created_at"`
	ExpiresAt   time.Time              `json:"expires_at,omitzero"` // reservations only
}

// Watts is the declared power of all the placement's replicas.
func (p *Placement) Watts() float64 {
	var w float64
	for _, a := range p.Assignments {
		w += a.Watts
	}
	return w
}

// keyRecord is what an idempotency key remembers.
type keyRecord struct {
	ID string    `json:"id"` // the placement the first request made
	At time.Time `json:"at"`
}

// Placement returns the placement or reservation with the given ID.
func (v *View) Placement(id string) (*Placement, bool) {
	return v.placements.get(id)
}

// Placements returns every placement and reservation, by ID.
func (v *View) Placements() []*Placement {
	ids := v.placements.sorted()
	out := make([]*Placement, len(ids))
	for i, id := range ids {
		out[i], _ = v.placements.get(id)
	}
	return out
}

// PlacementCount is how many placements and reservations the state holds.
func (v *View) PlacementCount() int { return v.placements.len() }

// PlacementByKey returns the placement an idempotency key made, if the key
// is remembered and its placement still exists.
func (v *View) PlacementByKey(key string) (*Placement, bool) {
	k, ok := v.keys.get(key)
	if !ok {
		return nil, false
	}
	return v.placements.get(k.ID)
}

// Epoch changes whenever a command changes the placement engine's picture
// of the state other than by an accepted Place or by only freeing room,
// and whenever a command is refused: a copy of the cluster taken at one
// epoch, to which the caller added its own Places, stays a safe picture
// until the epoch changes. See changeOf.
func (v *View) Epoch() uint64 { return v.epoch }

// Released counts the commands that only freed room (a placement removed,
// reservations expired). A copy of the cluster taken before them, at the
// same epoch, still counts that room as used: a decision on it holds on the
// state, but may miss room that is free now.
func (v *View) Released() uint64 { return v.released }

// RackPeakWatts is the committed recent peak of a rack, if one was recorded.
func (v *View) RackPeakWatts(rack string) (float64, bool) {
	w, ok := v.peaks[rack]
	return w, ok
}

// RackUsage is the declared power placed and reserved on a rack's servers.
func (v *View) RackUsage(rack string) (placed, reserved float64) {
	i, ok := v.rackIdx[rack]
	if !ok {
		return 0, 0
	}
	u := v.usage.at(i)
	return u.placed, u.reserved
}

// Cluster returns the latest view and a copy of the placement engine's
// picture of it: the site's topology with every placement, reservation and
// recorded peak counted. The caller may modify the copy. The cluster is nil
// before the first inventory.
func (m *Machine) Cluster() (*View, *placement.Cluster) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.view.Load()
	if v.cluster == nil {
		return v, nil
	}
	return v, v.cluster.Clone()
}

// syncUsage copies the usage of the racks of as from the cluster into n's
// own usage, which it copies (the chunks of those racks) first.
func (n *View) syncUsage(as []placement.Assignment) {
	n.usage = n.usage.with(func(put func(int, rackUsage)) {
		for _, a := range as {
			i := n.cluster.Servers[n.serverIdx[a.Server]].Rack
			put(i, rackUsage{n.cluster.Racks[i].PlacedWatts, n.cluster.Racks[i].ReservedWatts})
		}
	})
}

// place applies a Place: it checks the request and every hard limit against
// the committed state and records the placement.
func (v *View) place(c Place) (*View, error) {
	if err := v.checkPlace(&c); err != nil {
		return nil, err
	}
	if c.Key != "" {
		if _, dup := v.keys.get(c.Key); dup {
			// The same request, decided twice before the first committed:
			// the first one stands and this one places nothing.
			return nil, fmt.Errorf("place %s: idempotency key already used: %w", c.ID, ErrDuplicatePlacement)
		}
	}
	as := RoundWatts(c.Assignments)
	if err := placement.Check(v.cluster, as, c.Request); err != nil {
		return nil, fmt.Errorf("place %s: %w: %w", c.ID, ErrOverbooked, err)
	}
	p := &Placement{ID: c.ID, Key: c.Key, Status: StatusPlaced, Request: c.Request, Assignments: as,
		CreatedAt: normalTime(c.At)}
	if c.Reserve {
		p.Status, p.ExpiresAt = StatusReserved, normalTime(c.ExpiresAt)
	}
	// Every check has passed: from here on the cluster changes.
	n := *v
	if err := n.hold(p); err != nil {
		return nil, fmt.Errorf("place %s: %w: %w", c.ID, ErrInvalidPlacement, err)
	}
	n.syncUsage(p.Assignments)
	n.placements = v.placements.set(p.ID, p)
	if c.Key != "" {
		n.keys = v.keys.set(c.Key, keyRecord{ID: p.ID, At: p.CreatedAt})
	}
	n.updated = normalTime(c.At)
	return &n, nil
}

// checkPlace checks what a Place must carry before the limits are checked.
func (v *View) checkPlace(c *Place) error {
	switch {
	case c.At.IsZero():
		return fmt.Errorf("place %s: no time: %w", c.ID, ErrMalformedCommand)
	case c.ID == "":
		return fmt.Errorf("place: no ID: %w", ErrMalformedCommand)
	case v.cluster == nil:
		return fmt.Errorf("place %s: no inventory yet: %w", c.ID, ErrInvalidPlacement)
	case c.Reserve && !c.ExpiresAt.After(c.At):
		return fmt.Errorf("place %s: a reservation must expire after it is made: %w", c.ID, ErrMalformedCommand)
	case len(c.Assignments) == 0:
		return fmt.Errorf("place %s: no replicas: %w", c.ID, ErrInvalidPlacement)
	}
	if _, dup := v.placements.get(c.ID); dup {
		return fmt.Errorf("place %s: %w", c.ID, ErrDuplicatePlacement)
	}
	if err := c.Request.Validate(); err != nil {
		return fmt.Errorf("place %s: %w: %w", c.ID, ErrInvalidPlacement, err)
	}
	for _, a := range c.Assignments {
		if _, ok := v.serverIdx[a.Server]; !ok {
			return fmt.Errorf("place %s: replica %d on server %q, which the inventory does not have: %w",
				c.ID, a.Replica, a.Server, ErrInvalidPlacement)
		}
		if !(a.Watts >= 0) || math.IsInf(a.Watts, 0) {
			return fmt.Errorf("place %s: replica %d: %v W: %w", c.ID, a.Replica, a.Watts, ErrInvalidPlacement)
		}
	}
	return nil
}

// RoundWatts returns the assignments with their watts rounded up to whole
// watts, as Apply records them. Every sum the limits are checked on is then a sum of integers,
// exact in float64 whatever the order of addition, so that a replica that
// restored a snapshot and one that applied the log hold the same totals to
// the bit.
func RoundWatts(as []placement.Assignment) []placement.Assignment {
	out := slices.Clone(as)
	for i := range out {
		out[i].Watts = math.Ceil(out[i].Watts)
	}
	return out
}

func (v *View) removePlacement(c RemovePlacement) (*View, error) {
	if c.At.IsZero() {
		return nil, fmt.Errorf("remove placement %s: no time: %w", c.ID, ErrMalformedCommand)
	}
	p, ok := v.placements.get(c.ID)
	if !ok {
		return nil, fmt.Errorf("remove placement %s: %w", c.ID, ErrUnknownPlacement)
	}
	n := *v
	n.drop(p)
	n.updated = normalTime(c.At)
	return &n, nil
}

// drop frees what p holds in the cluster and forgets it.
func (n *View) drop(p *Placement) {
	n.release(p)
	n.syncUsage(p.Assignments)
	n.placements = n.placements.del(p.ID)
}

func (v *View) confirmReservation(c ConfirmReservation) (*View, error) {
	if c.At.IsZero() {
		return nil, fmt.Errorf("confirm reservation %s: no time: %w", c.ID, ErrMalformedCommand)
	}
	p, ok := v.placements.get(c.ID)
	switch {
	case !ok:
		return nil, fmt.Errorf("confirm reservation %s: %w", c.ID, ErrUnknownPlacement)
	case p.Status != StatusReserved:
		return nil, fmt.Errorf("confirm reservation %s: it is already placed: %w", c.ID, ErrUnknownPlacement)
	case !p.ExpiresAt.After(c.At):
		return nil, fmt.Errorf("confirm reservation %s: it expired at %s: %w", c.ID, p.ExpiresAt.Format(time.RFC3339), ErrUnknownPlacement)
	}
	n := *v
	n.drop(p)
	q := *p
	q.Status, q.ExpiresAt = StatusPlaced, time.Time{}
	// The servers were p's a moment ago: hold cannot fail.
	_ = n.hold(&q)
	n.syncUsage(q.Assignments)
	n.placements = n.placements.set(q.ID, &q)
	n.updated = normalTime(c.At)
	return &n, nil
}

func (v *View) expireReservations(c ExpireReservations) (*View, error) {
	if c.At.IsZero() {
		return nil, fmt.Errorf("expire reservations: no time: %w", ErrMalformedCommand)
	}
	at := normalTime(c.At)
	var expired []*Placement
	for _, p := range v.Placements() { // by ID: the same order on every replica
		if p.Status == StatusReserved && !p.ExpiresAt.After(at) {
			expired = append(expired, p)
		}
	}
	old := v.oldKeys(at)
	if len(expired) == 0 && len(old) == 0 {
		n := *v
		return &n, nil
	}
	n := *v
	for _, p := range expired {
		n.drop(p)
	}
	for _, k := range old {
		n.keys = n.keys.del(k)
	}
	n.updated = at
	return &n, nil
}

// oldKeys lists the idempotency keys to forget at: those older than
// KeyRetention, and the oldest beyond MaxKeys.
func (v *View) oldKeys(at time.Time) []string {
	type kv struct {
		key string
		at  time.Time
	}
	all := make([]kv, 0, v.keys.len())
	for _, k := range v.keys.sorted() {
		r, _ := v.keys.get(k)
		all = append(all, kv{k, r.At})
	}
	slices.SortFunc(all, func(a, b kv) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.key, b.key)) })
	var out []string
	for i, e := range all {
		if len(all)-i > MaxKeys || at.Sub(e.at) > KeyRetention {
			out = append(out, e.key)
		}
	}
	return out
}

func (v *View) recordRackPeaks(c RecordRackPeaks) (*View, error) {
	if c.At.IsZero() {
		return nil, fmt.Errorf("record rack peaks: no time: %w", ErrMalformedCommand)
	}
	if v.cluster == nil {
		return nil, fmt.Errorf("record rack peaks: no inventory yet: %w", ErrUnknownRack)
	}
	for id, w := range c.Peaks {
		if !(w >= 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("record rack peaks: rack %q: %v W is not a draw: %w", id, w, ErrMalformedCommand)
		}
	}
	if err := checkDraws(c.Servers); err != nil {
		return nil, fmt.Errorf("record rack peaks: %w", err)
	}
	n := *v
	n.peaks, n.peakAt = maps.Clone(v.peaks), maps.Clone(v.peakAt)
	if n.peaks == nil {
		n.peaks, n.peakAt = map[string]float64{}, map[string]time.Time{}
	}
	n.peakSpan = c.Horizon
	if n.peakSpan <= 0 {
		n.peakSpan = DefaultPeakHorizon
	}
	recorded := map[int]bool{}
	for id, w := range c.Peaks {
		i, ok := v.rackIdx[id]
		if !ok {
			continue
		}
		w = math.Ceil(w)
		n.peaks[id], n.peakAt[id], recorded[i] = w, normalTime(c.At), true
		n.cluster.Racks[i].PeakWatts, n.cluster.Racks[i].PeakKnown = w, true
	}
	n.recountPending(recorded)
	n.recordDraws(c.Servers, normalTime(c.At))
	n.updated = normalTime(c.At)
	return &n, nil
}

// hold adds what p holds to the cluster: its servers' CPU, memory and GPUs,
// and its watts as placed power, or as reserved power while p is a
// reservation; placed power too recent for the rack's peak counts as
// pending too.
func (n *View) hold(p *Placement) error {
	if err := n.cluster.Apply(p.Assignments, p.Request); err != nil {
		return err
	}
	if p.Status == StatusReserved {
		moveWatts(n.cluster, n.serverIdx, p.Assignments, +1)
	}
	n.countPending(p, 1)
	return nil
}

// release is the inverse of hold.
func (n *View) release(p *Placement) {
	n.countPending(p, -1)
	if p.Status == StatusReserved {
		moveWatts(n.cluster, n.serverIdx, p.Assignments, -1)
	}
	n.cluster.Remove(p.Assignments, p.Request)
}

// DefaultPeakHorizon is the horizon of committed peaks when a
// RecordRackPeaks does not say.
const DefaultPeakHorizon = 24 * time.Hour

// pending says whether placement p is too recent for the committed peak of
// rack to hold its power: it was placed after the start of the horizon the
// peak covers (or the rack has no peak yet).
func (v *View) pending(p *Placement, rack string) bool {
	if p.Status != StatusPlaced {
		return false
	}
	at, ok := v.peakAt[rack]
	return !ok || p.CreatedAt.After(at.Add(-v.peakSpan))
}

// countPending adds (sign 1) or removes (-1) p's pending watts.
func (n *View) countPending(p *Placement, sign float64) {
	for _, a := range p.Assignments {
		i := n.cluster.Servers[n.serverIdx[a.Server]].Rack
		if n.pending(p, n.cluster.Racks[i].ID) {
			n.cluster.Racks[i].PendingWatts += sign * a.Watts
		}
	}
}

// recountPending sets the pending watts of the racks of only (all racks if
// nil) from the placements, in ID order: whole watts, so the sums are
// exact.
func (n *View) recountPending(only map[int]bool) {
	for i := range n.cluster.Racks {
		if only == nil || only[i] {
			n.cluster.Racks[i].PendingWatts = 0
		}
	}
	for _, p := range n.Placements() {
		for _, a := range p.Assignments {
			i := n.cluster.Servers[n.serverIdx[a.Server]].Rack
			if (only == nil || only[i]) && n.pending(p, n.cluster.Racks[i].ID) {
				n.cluster.Racks[i].PendingWatts += a.Watts
			}
		}
	}
}

// moveWatts moves the assignments' watts from placed to reserved power of
// their racks (sign +1) or back (sign -1). The watts are whole numbers, so
// the moves are exact.
func moveWatts(c *placement.Cluster, idx map[string]int, as []placement.Assignment, sign float64) {
	for _, a := range as {
		r := &c.Racks[c.Servers[idx[a.Server]].Rack]
		r.PlacedWatts -= sign * a.Watts
		r.ReservedWatts += sign * a.Watts
	}
}

// errInUse names the servers of the new site's missing that hold placements.
func errInUse(missing []string) error {
	slices.Sort(missing)
	if len(missing) > 5 {
		missing = append(missing[:5:5], fmt.Sprintf("… %d more", len(missing)-5))
	}
	return fmt.Errorf("the new inventory drops servers that hold placements (%v): remove those placements first: %w",
		missing, ErrInUse)
}
