package state

// usageChunk is how many racks' usage one chunk of a usageTable holds.
const usageChunk = 32

// usageTable is the declared power placed and reserved on each rack, by
// rack index, copied on write chunk by chunk: a Place copies the table of
// chunk pointers (15 for the reference site's 460 racks) and the chunks of
// its racks, instead of every rack's usage. Views share the chunks they did
// not change.
type usageTable []*[usageChunk]rackUsage

// newUsageTable returns the usage of n racks, all zero.
func newUsageTable(n int) usageTable {
	t := make(usageTable, (n+usageChunk-1)/usageChunk)
	for i := range t {
		t[i] = new([usageChunk]rackUsage)
	}
	return t
}

// at is the usage of rack i.
func (t usageTable) at(i int) rackUsage { return t[i/usageChunk][i%usageChunk] }

// with returns a table sharing t's chunks except those of the racks set
// calls, which it copies first; t stays as it was.
func (t usageTable) with(set func(put func(i int, u rackUsage))) usageTable {
	out := make(usageTable, len(t))
	copy(out, t)
	set(func(i int, u rackUsage) {
		c := i / usageChunk
		if out[c] == t[c] {
			cp := *t[c]
			out[c] = &cp
		}
		out[c][i%usageChunk] = u
	})
	return out
}
