package placement

// spentGPUs lets a replica asking for no GPU take a GPU server whose GPUs
// are all allocated, in a rack that has used a larger share of its GPUs
// than of the power its replicas may draw: the server's CPU and memory
// strand no GPU, and the rack's power left, which its GPU replicas run
// out of GPUs before using, would otherwise be stranded with them. Such a
// server scores 1, as a server without GPUs does under gpuKeep, any other
// 0, so that the replica may use that power instead of a rack's that stays
// open for its own workloads.
//
// It rates spread only. Under binpack gpuAlign keeps a GPU server's CPU
// and memory in step with its GPUs, so that one whose GPUs are all
// allocated has little of them left; on the Alibaba GPU trace
// (docs/benchmarks.md) it stranded less under spread in 15 of 16 layouts
// and loads, and under binpack as often more as less.
type spentGPUs struct{}

func (spentGPUs) name() string { return "spent" }

func (spentGPUs) wants(req *Request) bool { return req.GPUs == 0 && req.Strategy == StrategySpread }

func (spentGPUs) score(st *state, s int) float64 {
	srv := &st.c.Servers[s]
	if srv.GPUs > 0 && st.free(s).gpus <= 0 && st.gpuBound(srv.Rack) {
		return 1
	}
	return 0
}

func (spentGPUs) most(st *state, k int) float64 {
	if st.gpuBound(k) {
		return 1
	}
	return 0
}

// gpuBound says whether rack k has GPUs and has used a larger share of
// them than of the power its replicas may draw (its budget less
// reservations), this call's replicas included (they ask for no GPU, so
// they add to the power only): it will run out of GPUs before power.
func (st *state) gpuBound(k int) bool {
	r := &st.c.Racks[k]
	b := r.BudgetWatts - r.ReservedWatts
	per := st.perUnit[k].gpus
	if !(b > 0) || !(per > 0) {
		return false
	}
	power := 1 - rackPower{}.room(st, k)/b // +Inf when the rack takes nothing
	return float64(st.rackUsed[k].gpus)*per >= power
}
