package bench

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/inventory"
)

// AlibabaConfig is what Alibaba replays.
type AlibabaConfig struct {
	Dir string // holds nodes.csv and pods.csv (alibaba-gpu-2023)
	// Load is when to stop submitting: once the pods submitted ask this
	// share of the cluster's GPUs. The pod list is submitted again, in the
	// same order, as often as that takes.
	Load  float64
	Limit int // submit at most this many pods; 0: no limit
	// GPUFirst puts the GPU nodes into the first racks and the CPU-only
	// nodes after them, instead of before: first-fit, which fills racks in
	// order, depends on it.
	GPUFirst bool
}

// How the trace's nodes are put into the reference site's racks.
const (
	// alibabaRackNodes bounds the nodes of one rack.
	alibabaRackNodes = 40
	// alibabaRackU is the rack units servers may take (U1 to U46).
	alibabaRackU = 46
	// alibabaOversubscription bounds a rack's nodes' maximum draw against
	// its budget, as the reference site's racks are filled (0.95 to 1.5
	// times the budget flat out).
	alibabaOversubscription = 1.2
)

// gpuWatts is the idle and maximum draw of one GPU of each model of the
// trace. The maximum is the board power its maker publishes (T4 70 W, A10
// 150 W, P100 PCIe 250 W, V100 SXM2 300 W); idle is an estimate, about
// 15 % of it. G2 and G3 are anonymised in the trace: taken as 300 W and
// 400 W (V100- and A100-class), G3's nodes being the newer, larger ones.
var gpuWatts = map[string][2]float64{
	"T4": {10, 70}, "A10": {25, 150}, "P100": {35, 250}, "V100M16": {45, 300}, "V100M32": {45, 300},
	"G2": {45, 300}, "G3": {60, 400},
}

// gpuWattsOther is taken for a GPU model the table does not have.
var gpuWattsOther = [2]float64{45, 300}

// alibabaNode is one node of nodes.csv with its power model.
type alibabaNode struct {
	id              string
	cpu, mem        int64
	gpus            int
	model           string
	cpuIdle, cpuMax float64 // from the nearest SPECpower server by threads
	gpuIdle, gpuMax float64 // per GPU
	idle, max       float64 // the whole node
	heightU         int
}

// Alibaba replays the pods of pods.csv onto the nodes of nodes.csv put into
// the reference site's racks, with each policy.
func Alibaba(ctx context.Context, c AlibabaConfig) (QualityResult, error) {
	nodes, err := readAlibabaNodes(filepath.Join(c.Dir, "nodes.csv"))
	if err != nil {
		return QualityResult{}, err
	}
	cl, err := alibabaCluster(nodeGroups(nodes, c.GPUFirst))
	if err != nil {
		return QualityResult{}, err
	}
	pods, err := readAlibabaPods(filepath.Join(c.Dir, "pods.csv"))
	if err != nil {
		return QualityResult{}, err
	}
	works, passes := submitPods(pods, nodes, c)
	n := int64(len(works))
	rp := newReplay(cl, works, 0, n, max(n/20, 1))
	res := newQualityResult("alibaba", cl, works, 1000)
	first := "CPU-only"
	if c.GPUFirst {
		first = "GPU"
	}
	res.Source = fmt.Sprintf("%s: %d nodes of nodes.csv (%s nodes in the first racks); %d pods of pods.csv submitted in creation order (%d passes), none leaving",
		c.Dir, len(nodes), first, len(works), passes)
	return res, rp.runAll(ctx, &res)
}

// csvRows reads a CSV file with a header, giving each row as a map from
// column name to value.
func csvRows(path string, need ...string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	for _, col := range need {
		if !slices.Contains(head, col) {
			return nil, fmt.Errorf("bench: %s: no column %q in %v", path, col, head)
		}
	}
	var out []map[string]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", path, err)
		}
		row := make(map[string]string, len(head))
		for i, col := range head {
			row[col] = rec[i]
		}
		out = append(out, row)
	}
}

// ints parses the named columns of row as integers.
func ints(path string, line int, row map[string]string, cols ...string) ([]int64, error) {
	out := make([]int64, len(cols))
	for i, col := range cols {
		v, err := strconv.ParseInt(row[col], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bench: %s: row %d: %s: %w", path, line, col, err)
		}
		out[i] = v
	}
	return out, nil
}

func readAlibabaNodes(path string) ([]alibabaNode, error) {
	rows, err := csvRows(path, "sn", "cpu_milli", "memory_mib", "gpu", "model")
	if err != nil {
		return nil, err
	}
	specs := specServers()
	out := make([]alibabaNode, 0, len(rows))
	for i, row := range rows {
		v, err := ints(path, i+2, row, "cpu_milli", "memory_mib", "gpu")
		if err != nil {
			return nil, err
		}
		n := alibabaNode{id: row["sn"], cpu: v[0], mem: v[1], gpus: int(v[2]), model: row["model"]}
		if n.cpu <= 0 || n.mem <= 0 || n.gpus < 0 {
			return nil, fmt.Errorf("bench: %s: row %d: node %s has %d millicores, %d MiB, %d GPUs", path, i+2, n.id, n.cpu, n.mem, n.gpus)
		}
		n.power(specs)
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: %s: no nodes", path)
	}
	return out, nil
}

// specServers are the catalogue's single-node servers that SPECpower
// measured.
func specServers() []inventory.ServerModel {
	var out []inventory.ServerModel
	for _, m := range inventory.ServerModels() {
		if m.SpecRow >= 0 && m.GPUs == 0 && m.Nodes == 1 {
			out = append(out, m)
		}
	}
	return out
}

// power sets a node's power model: its CPU part is the SPECpower server
// of the catalogue with the nearest number of threads (the lower ID among
// equals), its GPUs draw gpuWatts each, and its height in rack units
// follows its GPUs.
func (n *alibabaNode) power(specs []inventory.ServerModel) {
	threads := n.cpu / 1000
	best := slices.MinFunc(specs, func(a, b inventory.ServerModel) int {
		da, db := abs(a.CPUMillicores/1000-threads), abs(b.CPUMillicores/1000-threads)
		return cmp.Or(cmp.Compare(da, db), cmp.Compare(a.ID, b.ID))
	})
	n.cpuIdle, n.cpuMax = best.IdleW, best.MaxW
	if n.gpus > 0 {
		w, ok := gpuWatts[n.model]
		if !ok {
			w = gpuWattsOther
		}
		n.gpuIdle, n.gpuMax = w[0], w[1]
	}
	n.idle = n.cpuIdle + float64(n.gpus)*n.gpuIdle
	n.max = n.cpuMax + float64(n.gpus)*n.gpuMax
	switch {
	case n.gpus == 0:
		n.heightU = 1
	case n.gpus <= 2:
		n.heightU = 2
	case n.gpus <= 4:
		n.heightU = 4
	default:
		n.heightU = 6
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// alibabaCluster puts the groups of nodes into the reference site's racks,
// in the racks' order, a rack taking nodes while it has fewer than
// alibabaRackNodes, room in its units, and their maximum draw within
// alibabaOversubscription of its budget. A group does not start a new
// rack: a site does not leave a 15 kW rack nearly empty (one or two nodes
// ending a model's group) while it has nodes to install, so a rack may
// hold the last nodes of one group and the first of the next. Starting a
// rack per group left seven such racks, whose GPUs the trace fills and
// whose power (75 kW, 3.4 % of the budgets) every policy stranded alike
// (docs/benchmarks.md, "Quality on real traces"). The racks left
// empty are dropped (and rows and halls left with none), the rest goes
// through the state machine as a controller would take it, and the nodes
// become the racks' servers. Each rack's idle draw is held as a
// reservation, so that every limit counts it.
func alibabaCluster(groups [][]alibabaNode) (*placement.Cluster, error) {
	site := inventory.Reference(inventory.ReferenceRacks)
	var racks []*inventory.Rack
	site.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
		racks = append(racks, k)
		return true
	})
	in := map[string][]alibabaNode{} // rack ID → its nodes
	k, u, maxW := -1, 0, 0.0
	for _, g := range groups {
		for _, n := range g {
			if k < 0 || len(in[racks[k].ID]) >= alibabaRackNodes || u+n.heightU > alibabaRackU ||
				maxW+n.max > alibabaOversubscription*racks[k].BudgetWatts() {
				if k++; k >= len(racks) {
					return nil, fmt.Errorf("bench: the trace's nodes need more than the site's %d racks", len(racks))
				}
				u, maxW = 0, 0
			}
			in[racks[k].ID] = append(in[racks[k].ID], n)
			u, maxW = u+n.heightU, maxW+n.max
		}
	}
	keepRacks(site, in)
	c, err := siteCluster(site)
	if err != nil {
		return nil, err
	}
	for k := range c.Racks {
		rack := &c.Racks[k]
		for _, n := range in[rack.ID] {
			c.Servers = append(c.Servers, placement.Server{ID: n.id, Rack: k, PSUFeeds: rack.Feeds,
				CPUMillicores: n.cpu, MemoryMiB: n.mem, GPUs: n.gpus * 1000, IdleWatts: n.idle, MaxWatts: n.max})
			rack.ReservedWatts += n.idle
		}
	}
	return c, c.Index()
}

// keepRacks keeps the racks of site that hold nodes, with no servers of
// their own, and the rows and halls that still have racks.
func keepRacks(site *inventory.Site, in map[string][]alibabaNode) {
	halls := site.Halls[:0]
	for _, h := range site.Halls {
		rows := h.Rows[:0]
		for _, r := range h.Rows {
			r.Racks = slices.DeleteFunc(r.Racks, func(k inventory.Rack) bool { return len(in[k.ID]) == 0 })
			for i := range r.Racks {
				r.Racks[i].Servers = nil
			}
			if len(r.Racks) > 0 {
				rows = append(rows, r)
			}
		}
		if h.Rows = rows; len(rows) > 0 {
			halls = append(halls, h)
		}
	}
	site.Halls = halls
}

// nodeGroups are the CPU-only nodes, then the GPU nodes of each model in
// the order the file first names them (or the GPU nodes first, with
// gpuFirst).
func nodeGroups(nodes []alibabaNode, gpuFirst bool) [][]alibabaNode {
	var order []string
	byModel := map[string][]alibabaNode{}
	for _, n := range nodes {
		key := n.model
		if n.gpus == 0 {
			key = ""
		}
		if _, ok := byModel[key]; !ok && key != "" {
			order = append(order, key)
		}
		byModel[key] = append(byModel[key], n)
	}
	var out [][]alibabaNode
	for _, m := range order {
		out = append(out, byModel[m])
	}
	if g := byModel[""]; len(g) > 0 {
		if gpuFirst {
			return append(out, g)
		}
		return append([][]alibabaNode{g}, out...)
	}
	return out
}

// alibabaPod is one pod of pods.csv.
type alibabaPod struct {
	name             string
	cpu, mem         int64
	gpuMilli         int64 // num_gpu × gpu_milli: thousandths of a GPU
	created, deleted int64
}

func readAlibabaPods(path string) ([]alibabaPod, error) {
	rows, err := csvRows(path, "name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "creation_time", "deletion_time")
	if err != nil {
		return nil, err
	}
	out := make([]alibabaPod, 0, len(rows))
	for i, row := range rows {
		v, err := ints(path, i+2, row, "cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "creation_time")
		if err != nil {
			return nil, err
		}
		p := alibabaPod{name: row["name"], cpu: v[0], mem: v[1], gpuMilli: v[2] * v[3], created: v[4], deleted: never}
		if d, err := strconv.ParseInt(row["deletion_time"], 10, 64); err == nil {
			p.deleted = d
		}
		if p.cpu < 0 || p.mem < 0 || p.gpuMilli < 0 {
			return nil, fmt.Errorf("bench: %s: row %d: pod %s asks negative resources", path, i+2, p.name)
		}
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b alibabaPod) int {
		return cmp.Or(cmp.Compare(a.created, b.created), cmp.Compare(a.name, b.name))
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: %s: no pods", path)
	}
	return out, nil
}

// submitPods makes the workloads: the pods in creation order, again and
// again, until they ask c.Load of the nodes' GPUs (or c.Limit pods). A
// pod declares its share of the fleet's mean dynamic range: its CPUs ×
// the nodes' mean watts per thread between idle and flat out, plus its
// GPUs × their mean watts per GPU between idle and flat out. Its daily
// profile is the hours of the day it ran in (hours counted from the
// trace's start, whose clock time the trace does not give).
func submitPods(pods []alibabaPod, nodes []alibabaNode, c AlibabaConfig) ([]workload, int) {
	var threads, cpuW, gpus, gpuW float64
	for _, n := range nodes {
		threads += float64(n.cpu) / 1000
		cpuW += n.cpuMax - n.cpuIdle
		gpus += float64(n.gpus)
		gpuW += float64(n.gpus) * (n.gpuMax - n.gpuIdle)
	}
	perThread, perGPU := cpuW/threads, 0.0
	if gpus > 0 {
		perGPU = gpuW / gpus
	}
	target := c.Load * gpus * 1000
	var out []workload
	var asked float64
	passes := 0
	for more := true; more; {
		passes++
		passGPU := 0.0
		for _, p := range pods {
			if c.Limit > 0 && len(out) >= c.Limit || c.Load > 0 && asked >= target {
				more = false
				break
			}
			w := math.Max(1, math.Ceil(float64(p.cpu)/1000*perThread+float64(p.gpuMilli)/1000*perGPU))
			req := placement.Request{Name: fmt.Sprintf("%s-%d", p.name, passes), Replicas: 1, CPUMillicores: p.cpu,
				MemoryMiB: p.mem, GPUs: int(p.gpuMilli), Watts: w, Profile: dailyProfile(p.created, p.deleted)}
			out = append(out, workload{req: req, arrive: int64(len(out)), depart: []int64{never}})
			asked += float64(p.gpuMilli)
			passGPU += float64(p.gpuMilli)
		}
		more = more && c.Load > 0 && passGPU > 0
	}
	return out, passes
}
