package state

import "testing"

func TestUsageTableCopiesOnlyTheChunksItChanges(t *testing.T) {
	old := newUsageTable(460)
	racks := []int{0, usageChunk - 1, usageChunk, 459}
	next := old.with(func(put func(int, rackUsage)) {
		for _, i := range racks {
			put(i, rackUsage{placed: float64(i + 1), reserved: 1})
		}
	})
	for _, i := range racks {
		if got, want := next.at(i), (rackUsage{float64(i + 1), 1}); got != want {
			t.Errorf("rack %d: got %v, want %v", i, got, want)
		}
		if got := old.at(i); got != (rackUsage{}) {
			t.Errorf("rack %d of the table before: got %v, want it unchanged", i, got)
		}
	}
	if got := next.at(1); got != (rackUsage{}) {
		t.Errorf("rack 1, not set: got %v, want zero", got)
	}
	changed := map[int]bool{0: true, 1: true, 459 / usageChunk: true}
	for c := range old {
		if shared := next[c] == old[c]; shared == changed[c] {
			t.Errorf("chunk %d: shared %v, want %v", c, shared, !changed[c])
		}
	}
}
