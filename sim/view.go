package sim

import (
	"slices"
	"sync"
)

// View is an ordered set of OID → value, what one SNMP agent exposes. A
// value is either static or live: a live value is a function called each
// time the OID is read. Lookups are binary searches over a slice kept
// sorted by OID, so Get and Next are O(log n).
//
// A View is safe for concurrent use. Live functions are called without the
// View's lock held, and may be called from several goroutines at once.
type View struct {
	mu      sync.RWMutex
	entries []viewEntry // sorted by oid, no duplicates
}

type viewEntry struct {
	oid  OID
	val  Value
	live func() Value
}

func (e viewEntry) value() Value {
	if e.live != nil {
		return e.live()
	}
	return e.val
}

// NewView returns an empty view.
func NewView() *View { return &View{} }

// NewRecordedView returns a view holding the records as static values.
// When an OID occurs more than once, the last record wins.
func NewRecordedView(recs []Record) *View {
	entries := make([]viewEntry, len(recs))
	for i, r := range recs {
		entries[i] = viewEntry{oid: r.OID, val: r.Value}
	}
	// A stable sort keeps file order among duplicates; compaction then keeps
	// the last of each run.
	slices.SortStableFunc(entries, func(a, b viewEntry) int { return a.oid.Compare(b.oid) })
	out := entries[:0]
	for _, e := range entries {
		if n := len(out); n > 0 && out[n-1].oid.Compare(e.oid) == 0 {
			out[n-1] = e
			continue
		}
		out = append(out, e)
	}
	return &View{entries: out}
}

// Set stores a static value at oid, replacing what was there.
func (v *View) Set(oid OID, val Value) { v.put(viewEntry{oid: slices.Clone(oid), val: val}) }

// SetLive stores a live value at oid: fn is called on every read.
func (v *View) SetLive(oid OID, fn func() Value) {
	v.put(viewEntry{oid: slices.Clone(oid), live: fn})
}

func (v *View) put(e viewEntry) {
	v.mu.Lock()
	defer v.mu.Unlock()
	i, found := v.search(e.oid)
	if found {
		v.entries[i] = e
		return
	}
	v.entries = slices.Insert(v.entries, i, e)
}

// Delete removes oid from the view, if present.
func (v *View) Delete(oid OID) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if i, found := v.search(oid); found {
		v.entries = slices.Delete(v.entries, i, i+1)
	}
}

// Overlay copies every value of top into v, replacing v's value where both
// hold the same OID: the way live readings are laid over a recorded walk.
// Live values stay live.
func (v *View) Overlay(top *View) {
	top.mu.RLock()
	add := slices.Clone(top.entries)
	top.mu.RUnlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	merged := make([]viewEntry, 0, len(v.entries)+len(add))
	i, j := 0, 0
	for i < len(v.entries) || j < len(add) {
		switch {
		case j == len(add):
			merged, i = append(merged, v.entries[i]), i+1
		case i == len(v.entries):
			merged, j = append(merged, add[j]), j+1
		default:
			c := v.entries[i].oid.Compare(add[j].oid)
			if c == 0 {
				i++ // top wins
			} else if c < 0 {
				merged, i = append(merged, v.entries[i]), i+1
			} else {
				merged, j = append(merged, add[j]), j+1
			}
		}
	}
	v.entries = merged
}

// Len returns the number of OIDs in the view.
func (v *View) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.entries)
}

// Get returns the value at oid exactly.
func (v *View) Get(oid OID) (Value, bool) {
	v.mu.RLock()
	i, found := v.search(oid)
	var e viewEntry
	if found {
		e = v.entries[i]
	}
	v.mu.RUnlock()
	if !found {
		return Value{}, false
	}
	return e.value(), true
}

// Next returns the first OID after oid in lexicographic order of arcs, and
// its value; ok is false at the end of the view. The returned OID is shared
// with the view and must not be modified.
func (v *View) Next(oid OID) (next OID, val Value, ok bool) {
	v.mu.RLock()
	i, found := v.search(oid)
	if found {
		i++
	}
	var e viewEntry
	if i < len(v.entries) {
		e, ok = v.entries[i], true
	}
	v.mu.RUnlock()
	if !ok {
		return nil, Value{}, false
	}
	return e.oid, e.value(), true
}

// Walk calls fn for each OID in order, with its current value, until fn
// returns false. The view may change under a walk: Walk reads a snapshot
// of the OIDs taken when it starts.
func (v *View) Walk(fn func(OID, Value) bool) {
	v.mu.RLock()
	entries := slices.Clone(v.entries)
	v.mu.RUnlock()
	for _, e := range entries {
		if !fn(e.oid, e.value()) {
			return
		}
	}
}

// hasSubtree reports whether some OID in the view starts with prefix.
func (v *View) hasSubtree(prefix OID) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	i, _ := v.search(prefix)
	return i < len(v.entries) && v.entries[i].oid.HasPrefix(prefix)
}

// search returns where oid is or would be inserted; v.mu must be held.
func (v *View) search(oid OID) (int, bool) {
	return slices.BinarySearchFunc(v.entries, oid, func(e viewEntry, t OID) int {
		return e.oid.Compare(t)
	})
}
