package state

import (
	"fmt"
	"maps"
	"time"

	"github.com/dcplane/dcplane/internal/inventory"
)

// View is the replicated state as of one applied log index. A View is never
// modified once published: Apply and Restore publish new ones. Its methods are
// safe for concurrent use, and what they return must not be modified.
type View struct {
	index   uint64
	site    *inventory.Site
	racks   map[string]*inventory.Rack // rack ID → rack of site; shared while site is
	budgets map[string]float64         // rack ID → override in watts; copied on write
	updated time.Time                  // At of the last accepted command, in UTC
}

// Index is the Raft log index of the last entry applied, whether Apply
// accepted or rejected it; 0 before any.
func (v *View) Index() uint64 { return v.index }

// Site is the inventory, or nil before the first PutSite. It is shared by
// every reader: do not modify it.
func (v *View) Site() *inventory.Site { return v.site }

// Updated is the time carried by the last command that changed the state, or
// the zero time.
func (v *View) Updated() time.Time { return v.updated }

// RackBudgetWatts is the power budget of a rack in watts: its override if one
// was set, else the inventory's budget. It fails with ErrUnknownRack for a
// rack the inventory does not have.
func (v *View) RackBudgetWatts(rack string) (float64, error) {
	k, ok := v.racks[rack]
	if !ok {
		return 0, fmt.Errorf("budget of rack %q: %w", rack, ErrUnknownRack)
	}
	if w, ok := v.budgets[rack]; ok {
		return w, nil
	}
	return k.BudgetWatts(), nil
}

// BudgetOverrides returns a copy of the budget overrides, rack ID → watts.
func (v *View) BudgetOverrides() map[string]float64 {
	return maps.Clone(v.budgets)
}

// withSite returns a view of site, with its rack index, keeping the overrides
// of the racks site still has.
func (v *View) withSite(site *inventory.Site) *View {
	n := &View{site: site, racks: map[string]*inventory.Rack{}, updated: v.updated}
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		n.racks[k.ID] = k
		return true
	})
	for id, w := range v.budgets {
		if _, ok := n.racks[id]; ok {
			if n.budgets == nil {
				n.budgets = map[string]float64{}
			}
			n.budgets[id] = w
		}
	}
	return n
}
