package placement

// gpuAlign keeps a GPU server's CPU and memory running out together with
// its GPUs: it prefers the server on which a replica asking for GPUs
// leaves the share of the GPUs in use closest to the larger of the shares
// of CPU and memory in use. A server whose CPU or memory runs out with
// GPUs free strands those GPUs, and with them the power the rack keeps
// for them; one whose GPUs run out with CPU and memory free leaves only
// what replicas without GPUs can use. On the Alibaba GPU trace
// (docs/benchmarks.md) the two-GPU 16-core nodes ran out of CPU with a
// tenth of their GPUs free while the 128-core nodes ran out of GPUs with
// a fifth of their CPU free. The score is alignment's, in [0, 1].
//
// It rates binpack; spread has gpuAlignWhole.
type gpuAlign struct{}

func (gpuAlign) name() string { return "align" }

func (gpuAlign) wants(req *Request) bool { return req.GPUs > 0 && req.Strategy != StrategySpread }

func (gpuAlign) score(st *state, s int) float64 { return alignment(st, s) }

func (gpuAlign) most(*state, int) float64 { return 1 }

// gpuAlignWhole is gpuAlign for spread, which takes the emptiest racks,
// whose GPU servers are mostly unused: on a server none of whose GPUs is
// in use the alignment counts in proportion to the share of its GPUs the
// replica takes, so that a small replica starts an unused GPU server only
// when no server in use can take it in step, and unused servers stay
// whole for the replicas that ask for a whole server. Without that, on
// the Alibaba trace, spread refused 21 and 29 eight-GPU pods at 80 and
// 90 % of the GPUs asked, where it refused 0 and 2; under binpack, which
// fills racks one by one, the proportion made it strand more.
type gpuAlignWhole struct{}

func (gpuAlignWhole) name() string { return "align" }

func (gpuAlignWhole) wants(req *Request) bool { return req.GPUs > 0 && req.Strategy == StrategySpread }

func (gpuAlignWhole) score(st *state, s int) float64 {
	v, srv := alignment(st, s), &st.c.Servers[s]
	if srv.GPUs > 0 && st.free(s).gpus == srv.GPUs { // none in use
		return v * float64(st.req.GPUs) / float64(srv.GPUs)
	}
	return v
}

func (gpuAlignWhole) most(*state, int) float64 { return 1 }

// alignment is 1 − |resource share − GPU share| for a replica asking for
// GPUs on server s, once it is on it: the resource share the larger of
// its CPU and memory in use, the GPU share its GPUs in use; 0 for a
// server without CPU, memory or GPUs.
func alignment(st *state, s int) float64 {
	srv, f, r := &st.c.Servers[s], st.free(s), st.req
	cpu := 1 - float64(f.cpu-r.CPUMillicores)/float64(srv.CPUMillicores)
	mem := 1 - float64(f.mem-r.MemoryMiB)/float64(srv.MemoryMiB)
	gpus := 1 - float64(f.gpus-r.GPUs)/float64(srv.GPUs)
	d := max(cpu, mem) - gpus
	if d < 0 {
		d = -d
	}
	if !(d < 1) { // NaN and infinities too: a server without CPU, memory or GPUs
		return 0
	}
	return 1 - d
}
