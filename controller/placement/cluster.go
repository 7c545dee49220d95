package placement

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Errors returned for inputs the engine cannot work on. Each is wrapped
// with context; test for them with errors.Is. A request that does not fit
// is reported with an *Infeasible, a malformed request with a *FieldError.
var (
	// ErrTopology is returned when the cluster's indices do not link up: a
	// server whose rack, a rack whose row or a row whose hall is out of
	// range.
	ErrTopology = errors.New("placement: inconsistent cluster topology")

	// ErrUnknownServer is returned by Apply and Check for an assignment
	// naming a server the cluster does not have.
	ErrUnknownServer = errors.New("placement: unknown server")

	// ErrBadAssignment is returned by Check for assignments that do not
	// belong to the request: another number of replicas, a rack, row or
	// hall that is not the server's, or fewer watts than the request asks.
	ErrBadAssignment = errors.New("placement: assignment does not match the request")
)

// Cluster is the state the engine places onto: topology plus usage.
// Indices, not pointers, link levels: a server's Rack indexes Racks, a
// rack's Row indexes Rows, a row's Hall indexes Halls.
type Cluster struct {
	SiteBudgetWatts float64 // 0 = no site limit beyond the halls'
	Halls           []Hall
	Rows            []Row
	Racks           []Rack
	Servers         []Server

	idx  *index  // servers by rack; see Index
	used []usage // by rack: what its servers use, kept by Apply and Remove; see Index
	// most is, by rack, the most CPU, memory and GPUs any one of its
	// servers has free (each on its own), kept by Apply and Remove: a
	// decision passes over a rack that cannot hold the request's replica
	// without walking its servers. See Index.
	most []usage
	// peakHour is, by rack, the first hour of its highest hourly load
	// (ProfileWatts), kept by Apply and Remove: a decision bounds a rack's
	// peak score from it without walking the rack's profile. See Index.
	peakHour []uint8
	// placed counts the replicas Apply added and Remove did not take
	// away, by shape, for the typical workload the scorers keep room for.
	placed workloads
}

// Hall is a hall and its power budget (0: bounded by its racks only).
type Hall struct {
	ID          string
	BudgetWatts float64
}

// Row is a row of racks and its in-row cooling units.
type Row struct {
	ID           string
	Hall         int
	CoolingWatts []float64 // capacity of each in-row unit, W
}

// Rack is a rack: its power budget and supply, and what it carries now.
type Rack struct {
	ID          string
	Row         int
	BudgetWatts float64
	Feeds       []string // 1 or 2
	PDUs        []PDU
	Labels      map[string]string
	// PeakWatts is the measured recent peak (the committed summary); it
	// counts only when PeakKnown.
	PeakWatts float64
	PeakKnown bool
	// PendingWatts is the part of PlacedWatts placed too recently for the
	// measured peak to hold it (within the peak's horizon before it was
	// taken): it counts on top of the peak, so that a rack whose draw is
	// not all declared is not filled up to its budget by declarations that
	// are not running yet.
	PendingWatts float64
	// Stale says the rack's live telemetry is stale. It changes only the
	// explanations: a known peak still counts, and declared power always.
	Stale         bool
	PlacedWatts   float64     // sum of declared watts of placed replicas
	ReservedWatts float64     // live reservations
	ProfileWatts  [24]float64 // hourly declared placed load
}

// PDU is a power distribution unit of a rack, on one feed.
type PDU struct {
	ID, Feed string
	Phases   int     // 1 or 3; 0 counts as 1
	VoltageV float64 // line to neutral
	BreakerA float64
	// PhasePeakWatts is the measured peak of each phase, nil if unknown.
	PhasePeakWatts []float64
}

// Server is a server: its capacity, what is used of it, and its power
// model (idle and maximum draw, for requests that give a utilisation).
type Server struct {
	ID                string
	Rack              int
	PSUFeeds          []string // the feed of each PSU
	CPUMillicores     int64
	MemoryMiB         int64
	GPUs              int
	UsedCPUMillicores int64
	UsedMemoryMiB     int64
	UsedGPUs          int
	IdleWatts         float64
	MaxWatts          float64
}

// index lists the servers of each rack by ID, and what they have. It
// depends on the topology only, never on usage, so a Clone shares it.
type index struct {
	racks, servers int
	byRack         [][]int32
	perUnit        []perUnit // by rack: the share of its servers' resources one unit is
	gpuless        []bool    // by rack: it holds a server without GPUs
}

// perUnit is the share of a rack's CPU (a millicore), memory (a MiB) and
// GPUs (one) that one unit of each is: 1 / capacity, 0 when it has none.
type perUnit struct{ cpu, mem, gpus float64 }

func inverse(capacity int64) float64 {
	if capacity <= 0 {
		return 0
	}
	return 1 / float64(capacity)
}

// valid says whether x still describes c's shape. Its lists are checked
// server by server when used (a server that moved is skipped), so a stale
// index can hide a server from placement but never misplace one.
func (x *index) valid(c *Cluster) bool {
	return x != nil && x.racks == len(c.Racks) && x.servers == len(c.Servers)
}

// Index records which servers each rack holds and what they have, so that
// Place visits only the servers of the racks that pass the rack checks, and
// sums what each rack's servers use, for the scores, and the most each
// rack's servers have free, so that Place passes over the racks none of
// whose servers can take a replica. Apply and Remove keep those sums and
// maxima. Call it after building a cluster, changing its topology or a
// server's capacity, or setting a server's usage other than by Apply and
// Remove; Clone builds both for the copy when c has none. Place, Check and
// Apply work without it, only slower. A stale index can hide a server or
// misjudge a rack's score, never break a limit. The same holds for a
// rack's hourly load (ProfileWatts) set other than by Apply and Remove:
// call Index again. It fails with ErrTopology
// for a server whose rack is out of range.
func (c *Cluster) Index() error {
	x, err := buildIndex(c)
	if err != nil {
		return err
	}
	c.idx, c.used, c.most, c.peakHour = x, sumUsage(c), mostFree(c), peakHours(c)
	return nil
}

// peakHours finds, by rack, the first hour of its highest hourly load.
func peakHours(c *Cluster) []uint8 {
	hours := make([]uint8, len(c.Racks))
	for k := range c.Racks {
		hours[k] = peakHourOf(&c.Racks[k].ProfileWatts)
	}
	return hours
}

// peakHourOf is the first hour of the highest of p, found as
// peakDecorrelation finds it: 0 when none is above 0.
func peakHourOf(p *[24]float64) uint8 {
	var before float64
	var at uint8
	for h := range p {
		if p[h] > before {
			before, at = p[h], uint8(h)
		}
	}
	return at
}

// noFree is the most free of a rack without servers: less than any server
// has.
var noFree = usage{cpu: math.MinInt64, mem: math.MinInt64, gpus: math.MinInt}

// freeOf is what server s has free of its CPU, memory and GPUs.
func freeOf(s *Server) usage {
	return usage{cpu: s.CPUMillicores - s.UsedCPUMillicores, mem: s.MemoryMiB - s.UsedMemoryMiB, gpus: s.GPUs - s.UsedGPUs}
}

// raise makes u at least v in each resource.
func (u *usage) raise(v usage) {
	u.cpu, u.mem, u.gpus = max(u.cpu, v.cpu), max(u.mem, v.mem), max(u.gpus, v.gpus)
}

// mostFree computes, by rack, the most CPU, memory and GPUs any one of its
// servers has free.
func mostFree(c *Cluster) []usage {
	most := make([]usage, len(c.Racks))
	for k := range most {
		most[k] = noFree
	}
	for i := range c.Servers {
		s := &c.Servers[i]
		if k := s.Rack; k >= 0 && k < len(most) {
			most[k].raise(freeOf(s))
		}
	}
	return most
}

// rackMost is the most any server of rack k has free, from c's index.
func (c *Cluster) rackMost(k int) usage {
	most := noFree
	for _, s := range c.idx.byRack[k] {
		if srv := &c.Servers[s]; srv.Rack == k {
			most.raise(freeOf(srv))
		}
	}
	return most
}

// sumUsage sums what the servers of each rack use.
func sumUsage(c *Cluster) []usage {
	used := make([]usage, len(c.Racks))
	for i := range c.Servers {
		s := &c.Servers[i]
		if k := s.Rack; k >= 0 && k < len(used) {
			used[k].add(s.UsedCPUMillicores, s.UsedMemoryMiB, s.UsedGPUs)
		}
	}
	return used
}

func buildIndex(c *Cluster) (*index, error) {
	counts := make([]int32, len(c.Racks)+1)
	capacity, gpuless := make([]usage, len(c.Racks)), make([]bool, len(c.Racks))
	for i := range c.Servers {
		s := &c.Servers[i]
		k := s.Rack
		if k < 0 || k >= len(c.Racks) {
			return nil, fmt.Errorf("server %q: rack %d of %d: %w", s.ID, k, len(c.Racks), ErrTopology)
		}
		counts[k+1]++
		capacity[k].add(s.CPUMillicores, s.MemoryMiB, s.GPUs)
		gpuless[k] = gpuless[k] || s.GPUs <= 0
	}
	for k := 1; k < len(counts); k++ {
		counts[k] += counts[k-1]
	}
	flat := make([]int32, len(c.Servers))
	next := make([]int32, len(c.Racks))
	copy(next, counts)
	for i := range c.Servers {
		k := c.Servers[i].Rack
		flat[next[k]] = int32(i)
		next[k]++
	}
	x := &index{racks: len(c.Racks), servers: len(c.Servers), byRack: make([][]int32, len(c.Racks)),
		perUnit: make([]perUnit, len(c.Racks)), gpuless: gpuless}
	for k, have := range capacity {
		x.perUnit[k] = perUnit{inverse(have.cpu), inverse(have.mem), inverse(int64(have.gpus))}
	}
	byID := func(a, b int32) int { return strings.Compare(c.Servers[a].ID, c.Servers[b].ID) }
	for k := range x.byRack {
		x.byRack[k] = flat[counts[k]:counts[k+1]:counts[k+1]]
		if !slices.IsSortedFunc(x.byRack[k], byID) { // inventories mostly list them in order
			slices.SortFunc(x.byRack[k], byID)
		}
	}
	return x, nil
}

// Clone returns a deep copy of c. The copy shares c's index (it holds no
// usage) and copies its racks' usage sums and maxima, or gets all of its
// own when c has no index.
func (c *Cluster) Clone() *Cluster {
	n := &Cluster{SiteBudgetWatts: c.SiteBudgetWatts, Halls: append([]Hall(nil), c.Halls...)}
	n.Rows = make([]Row, len(c.Rows))
	for i, r := range c.Rows {
		r.CoolingWatts = append([]float64(nil), r.CoolingWatts...)
		n.Rows[i] = r
	}
	n.Racks = cloneRacks(c.Racks)
	n.Servers = cloneServers(c.Servers)
	n.idx, n.used, n.most, n.placed = c.idx, slices.Clone(c.used), slices.Clone(c.most), c.placed.clone()
	n.peakHour = slices.Clone(c.peakHour)
	if !n.idx.valid(n) {
		n.idx, _ = buildIndex(n)  // nil for a broken topology: Place reports it
		n.used, n.most = nil, nil // c's sums may be as stale as its index
		n.peakHour = nil
	}
	if len(n.used) != len(n.Racks) {
		n.used = sumUsage(n)
	}
	if len(n.most) != len(n.Racks) {
		n.most = mostFree(n)
	}
	if len(n.peakHour) != len(n.Racks) {
		n.peakHour = peakHours(n)
	}
	return n
}

func cloneRacks(racks []Rack) []Rack {
	out := make([]Rack, len(racks))
	var nPDU, nFeeds, nPhases int
	for i := range racks {
		nPDU += len(racks[i].PDUs)
		nFeeds += len(racks[i].Feeds)
		for j := range racks[i].PDUs {
			nPhases += len(racks[i].PDUs[j].PhasePeakWatts)
		}
	}
	// One allocation each for all the PDUs, feeds and phase peaks.
	pdus, feeds, peaks := make([]PDU, 0, nPDU), make([]string, 0, nFeeds), make([]float64, 0, nPhases)
	for i, k := range racks {
		k.Feeds, feeds = carve(feeds, k.Feeds)
		k.Labels = maps.Clone(k.Labels)
		start := len(pdus)
		for _, p := range k.PDUs {
			p.PhasePeakWatts, peaks = carve(peaks, p.PhasePeakWatts)
			pdus = append(pdus, p)
		}
		if k.PDUs != nil {
			k.PDUs = pdus[start:len(pdus):len(pdus)]
		}
		out[i] = k
	}
	return out
}

// carve appends src to buf and returns the copy, capped so that appending
// to it cannot reach its neighbours, and buf; nil stays nil.
func carve[T any](buf, src []T) ([]T, []T) {
	if src == nil {
		return nil, buf
	}
	start := len(buf)
	buf = append(buf, src...)
	return buf[start:len(buf):len(buf)], buf
}

func cloneServers(servers []Server) []Server {
	out := make([]Server, len(servers))
	var nFeeds int
	for i := range servers {
		nFeeds += len(servers[i].PSUFeeds)
	}
	feeds := make([]string, 0, nFeeds) // one allocation for all the PSUs
	for i, s := range servers {
		s.PSUFeeds, feeds = carve(feeds, s.PSUFeeds)
		out[i] = s
	}
	return out
}

// index returns c's index and its racks' usage sums and maxima when they
// are valid, else an index and sums made now and no maxima (making them
// would cost as much as the walks they save once).
// The racks' peak hours come with the maxima, or not at all.
func (c *Cluster) index() (x *index, used, most []usage, peakHour []uint8, err error) {
	if c.idx.valid(c) && len(c.used) == len(c.Racks) && len(c.most) == len(c.Racks) {
		if len(c.peakHour) == len(c.Racks) {
			peakHour = c.peakHour
		}
		return c.idx, c.used, c.most, peakHour, nil
	}
	if x, err = buildIndex(c); err != nil {
		return nil, nil, nil, nil, err
	}
	return x, sumUsage(c), nil, nil, nil
}

// lookup finds a server by ID, first among the servers of the rack the
// assignment names, then among all.
func (c *Cluster) lookup(a *Assignment) (int, bool) {
	if c.idx.valid(c) {
		for k := range c.Racks {
			if c.Racks[k].ID != a.Rack {
				continue
			}
			for _, s := range c.idx.byRack[k] {
				if c.Servers[s].ID == a.Server && c.Servers[s].Rack == k {
					return int(s), true
				}
			}
			break
		}
	}
	for i := range c.Servers {
		if c.Servers[i].ID == a.Server {
			return i, true
		}
	}
	return 0, false
}

// Apply adds the usage of the assignments to c: their servers' CPU, memory
// and GPUs, and their watts to their racks' PlacedWatts and ProfileWatts.
// It checks no limit (Check does); it fails with ErrUnknownServer, changing
// nothing, when an assignment names a server c does not have.
func (c *Cluster) Apply(as []Assignment, req Request) error {
	at := make([]int, len(as))
	for i := range as {
		s, ok := c.lookup(&as[i])
		if !ok {
			return fmt.Errorf("replica %d on %q: %w", as[i].Replica, as[i].Server, ErrUnknownServer)
		}
		at[i] = s
	}
	f := req.factors()
	for i := range as {
		c.use(at[i], &req, as[i].Watts, &f, 1)
		c.placed.add(shapeOf(&req, as[i].Watts), 1)
	}
	return nil
}

// shapeOf is the shape of one replica of req of w watts.
func shapeOf(req *Request, w float64) shape {
	return shape{watts: w, cpu: req.CPUMillicores, mem: req.MemoryMiB, gpus: req.GPUs}
}

// Remove is the inverse of Apply. It skips assignments naming a server c
// does not have, and never leaves a usage below zero.
func (c *Cluster) Remove(as []Assignment, req Request) {
	f := req.factors()
	for i := range as {
		if s, ok := c.lookup(&as[i]); ok {
			c.use(s, &req, as[i].Watts, &f, -1)
			c.placed.add(shapeOf(&req, as[i].Watts), -1)
		}
	}
}

// use adds (sign 1) or removes (sign -1) one replica of w watts on server s.
func (c *Cluster) use(s int, req *Request, w float64, f *[24]float64, sign int) {
	srv := &c.Servers[s]
	cpu, mem, gpus := srv.UsedCPUMillicores, srv.UsedMemoryMiB, srv.UsedGPUs
	srv.UsedCPUMillicores = max(0, srv.UsedCPUMillicores+int64(sign)*req.CPUMillicores)
	srv.UsedMemoryMiB = max(0, srv.UsedMemoryMiB+int64(sign)*req.MemoryMiB)
	srv.UsedGPUs = max(0, srv.UsedGPUs+sign*req.GPUs)
	if srv.Rack < 0 || srv.Rack >= len(c.Racks) {
		return
	}
	if srv.Rack < len(c.used) { // what the server's usage changed by, never below zero
		c.used[srv.Rack].add(srv.UsedCPUMillicores-cpu, srv.UsedMemoryMiB-mem, srv.UsedGPUs-gpus)
	}
	c.keepMost(srv, sign)
	k := &c.Racks[srv.Rack]
	sw := float64(sign) * w
	k.PlacedWatts = max(0, k.PlacedWatts+sw)
	for h := range k.ProfileWatts {
		k.ProfileWatts[h] = max(0, k.ProfileWatts[h]+sw*f[h])
	}
	if srv.Rack < len(c.peakHour) {
		c.peakHour[srv.Rack] = peakHourOf(&k.ProfileWatts)
	}
}

// keepMost updates the maxima of srv's rack after its usage changed by
// sign replicas: a removal can only raise them to what srv has free now; a
// replica added may have taken the most free, so the rack's servers are
// looked at again. Without a valid index the maxima are left for index to
// make anew.
func (c *Cluster) keepMost(srv *Server, sign int) {
	k := srv.Rack
	if k >= len(c.most) || !c.idx.valid(c) {
		return
	}
	if sign < 0 {
		c.most[k].raise(freeOf(srv))
		return
	}
	c.most[k] = c.rackMost(k)
}
