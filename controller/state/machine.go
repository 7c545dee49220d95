package state

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
)

// Machine holds the replicated state and applies commands to it. Writers
// (Apply, Restore) are serialised; readers call View, which is one atomic
// load.
type Machine struct {
	mu   sync.Mutex // serialises Apply and Restore
	view atomic.Pointer[View]
}

// New returns a machine with the empty state: no site, index 0.
func New() *Machine {
	m := &Machine{}
	m.view.Store(&View{})
	return m
}

// View returns the state as of the last entry applied or restored. It never
// blocks.
func (m *Machine) View() *View { return m.view.Load() }

// Apply applies the command logged at index and returns the state after it.
// A command the state rejects (an invalid site, an unknown rack) leaves the
// state as it was but still advances the index, so the error is a result of
// the entry, the same on every replica. Indexes must increase: an index at or
// below the current one fails with ErrStaleIndex and changes nothing.
func (m *Machine) Apply(index uint64, cmd Command) (*View, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.view.Load()
	if index <= cur.index {
		return cur, fmt.Errorf("apply at index %d, already at %d: %w", index, cur.index, ErrStaleIndex)
	}
	next, err := cur.next(cmd)
	if err != nil {
		c := *cur
		next = &c
	}
	switch changeOf(cmd, err) {
	case pictureFreed:
		next.released = cur.released + 1
	case pictureMoved:
		next.epoch = cur.epoch + 1
	}
	next.index = index
	m.view.Store(next)
	return next, err
}

// next returns the state after cmd, without its index.
func (v *View) next(cmd Command) (*View, error) {
	switch c := cmd.(type) {
	case PutSite:
		return v.putSite(c)
	case SetRackBudget:
		return v.setRackBudget(c)
	case Place:
		return v.place(c)
	case RemovePlacement:
		return v.removePlacement(c)
	case ConfirmReservation:
		return v.confirmReservation(c)
	case ExpireReservations:
		return v.expireReservations(c)
	case RecordRackPeaks:
		return v.recordRackPeaks(c)
	case SetNodeAPI:
		return v.setNodeAPI(c)
	case RecordAlerts:
		return v.recordAlerts(c)
	case CreateToken:
		return v.createToken(c)
	case RevokeToken:
		return v.revokeToken(c)
	case RecordAudit:
		return v.recordAudit(c)
	case Audited:
		return v.audited(c)
	case Ignored:
		n := *v
		return &n, nil
	case nil:
		return nil, fmt.Errorf("apply: nil command: %w", ErrMalformedCommand)
	default:
		return nil, fmt.Errorf("apply %T: %w", cmd, ErrUnknownCommand)
	}
}

func (v *View) putSite(c PutSite) (*View, error) {
	if c.Site == nil {
		return nil, fmt.Errorf("put site: no site: %w", ErrMalformedCommand)
	}
	if c.At.IsZero() {
		return nil, fmt.Errorf("put site %q: no time: %w", c.Site.Name, ErrMalformedCommand)
	}
	site, err := cloneSite(c.Site)
	if err != nil {
		return nil, fmt.Errorf("put site %q: %w", c.Site.Name, err)
	}
	if err := site.Validate(); err != nil {
		return nil, fmt.Errorf("put site %q: %w", site.Name, err)
	}
	n, err := v.withSite(site)
	if err != nil {
		return nil, fmt.Errorf("put site %q: %w", site.Name, err)
	}
	n.updated = normalTime(c.At)
	return n, nil
}

func (v *View) setRackBudget(c SetRackBudget) (*View, error) {
	if c.At.IsZero() {
		return nil, fmt.Errorf("set budget of rack %q: no time: %w", c.Rack, ErrMalformedCommand)
	}
	if v.site == nil {
		return nil, fmt.Errorf("set budget of rack %q: no inventory yet: %w", c.Rack, ErrUnknownRack)
	}
	if _, ok := v.racks[c.Rack]; !ok {
		return nil, fmt.Errorf("set budget of rack %q: %w", c.Rack, ErrUnknownRack)
	}
	if !(c.Watts > 0) || math.IsInf(c.Watts, 1) {
		return nil, fmt.Errorf("set budget of rack %q: %v W must be greater than 0: %w", c.Rack, c.Watts, ErrInvalidBudget)
	}
	n := *v
	n.budgets = maps.Clone(v.budgets)
	if n.budgets == nil {
		n.budgets = map[string]float64{}
	}
	n.budgets[c.Rack] = c.Watts
	if err := n.rebuildCluster(); err != nil {
		return nil, fmt.Errorf("set budget of rack %q: %w", c.Rack, err)
	}
	n.updated = normalTime(c.At)
	return &n, nil
}

// cloneSite deep-copies a site through its JSON form, so that the state
// shares nothing with the caller and holds exactly what a replica decoding
// the log entry holds.
func cloneSite(s *inventory.Site) (*inventory.Site, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("copy site: %w", err)
	}
	var c inventory.Site
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("copy site: %w", err)
	}
	return &c, nil
}

// normalTime drops the monotonic reading and the location of t, so that the
// state holds the same value whether the command was decoded or not.
func normalTime(t time.Time) time.Time { return t.UTC().Round(0) }
