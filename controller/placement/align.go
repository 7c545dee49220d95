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
// a fifth of their CPU free. The score is 1 − |resource share − GPU
// share| once the replica is on the server, in [0, 1].
//
// It rates binpack only: under spread, which takes the emptiest racks, it
// spread small replicas over empty eight-GPU servers, and replicas asking
// for a whole server were refused at loads where none was before. Scaling
// it down on unused servers (by the share of their GPUs the replica
// takes) kept them whole, but the server score adds to the rack's, so it
// drew spread's replicas into racks in use: the sum of its racks' daily
// peaks rose from 1.20 to 1.88 times the peak of their sum.
type gpuAlign struct{}

func (gpuAlign) name() string { return "align" }

func (gpuAlign) wants(req *Request) bool { return req.GPUs > 0 && req.Strategy != StrategySpread }

func (gpuAlign) score(st *state, s int) float64 {
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

func (gpuAlign) most(*state, int) float64 { return 1 }
