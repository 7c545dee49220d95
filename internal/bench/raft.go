package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/internal/inventory"
)

// raftSettle bounds the waits of the Raft bench: a leader, the followers
// catching up, etcd answering.
const raftSettle = time.Minute

// RaftConfig is what Raft measures.
type RaftConfig struct {
	// Commands is how many commands each mode commits.
	Commands int
	// Clients are the modes: how many commands are applied at once. 1 is
	// unbatched (each waits for the previous one's commit); more let
	// hashicorp/raft write what queued meanwhile as one batch with one
	// fsync (BatchApplyCh, up to MaxAppendEntries = 256 a batch).
	Clients []int
	// Dir holds the nodes' data (a new directory, removed at the end): it
	// must be on the disk to measure, not a tmpfs.
	Dir string
	// Etcd is the etcd server binary of the anchor; "" leaves etcd out.
	Etcd string
	// Runs is how many times the whole is measured, one after the other,
	// each with new stores and a new etcd cluster in new directories; each
	// figure is given over them. 1 if 0.
	Runs int
	// LogStores are the Raft log stores measured, each a system of its own
	// ("dcplane/wal", "dcplane/bolt"), one after the other in each run;
	// nil measures store.DefaultLogStore and raft-boltdb.
	LogStores []string
	Logger    *slog.Logger // the nodes'; nil: discard
}

// RaftResult is what Raft reports.
type RaftResult struct {
	Nodes        int          `json:"nodes"`
	CommandBytes int          `json:"command_bytes"` // one encoded command (etcd: key and value)
	Codec        string       `json:"codec"`         // the bodies the leader wrote: json or cbor
	Runs         int          `json:"runs"`
	Modes        []RaftMode   `json:"modes"`
	Fsync        ModeResult   `json:"fsync"` // every run's fsyncs together
	Etcd         string       `json:"etcd_version,omitempty"`
	Checks       []RaftCheck  `json:"checks"` // each run's, one a system
	Machine      MachineFacts `json:"machine"`
}

// RaftMode is one system at one concurrency: each figure over the runs,
// as a spread.
type RaftMode struct {
	System   string `json:"system"`
	Clients  int    `json:"clients"`
	Commands int    `json:"commands"` // in each run
	Errors   int    `json:"errors"`   // over every run
	Seconds  Spread `json:"seconds"`
	PerSec   Spread `json:"per_second"`
	P50Ms    Spread `json:"p50_ms"`
	P99Ms    Spread `json:"p99_ms"`
	MaxMs    Spread `json:"max_ms"`
	CPUCores Spread `json:"cpu_cores"` // of this process (dcplane's 3 nodes; etcd's client only)
	FirstErr string `json:"first_error,omitempty"`
	// Batching is the rate over the same system's one-client rate of the
	// same run.
	Batching Spread `json:"speedup_over_one_client"`
	// Anchored is dcplane's rate over etcd's at the same clients in the
	// same run; zero (and left out of the JSON) for etcd, or without it.
	Anchored Spread `json:"ratio_to_etcd,omitzero"`
}

// modeRun is one system at one concurrency in one run.
type modeRun struct {
	system                              string
	clients, commands, errors           int
	firstErr                            string
	seconds, perSec, p50, p99, max, cpu float64
	batching, anchored                  float64
}

// RaftCheck says whether every node ended with every acknowledged command.
type RaftCheck struct {
	Run          int    `json:"run"` // from 1
	System       string `json:"system"`
	Acknowledged int    `json:"acknowledged"`
	// Lost counts acknowledged commands missing from some node at the end.
	Lost   int    `json:"lost"`
	Detail string `json:"detail"`
}

// MachineFacts describes the machine a figure was taken on.
type MachineFacts struct {
	CPUs      int    `json:"cpus"`
	CPU       string `json:"cpu"`
	GoVersion string `json:"go_version"`
	LoadStart string `json:"load_average_at_start"`
	LoadEnd   string `json:"load_average_at_end"`
}

// machineFacts reads the CPU model from /proc/cpuinfo and the load.
func machineFacts() MachineFacts {
	m := MachineFacts{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// Raft measures committed commands per second and their commit latency on
// a 3-node cluster on loopback: dcplane's store (hashicorp/raft and
// raft-boltdb, fsync on every write, three nodes in this process talking
// over TCP), then, as the anchor, etcd (three server processes) taking the
// same number of puts of the same size from the same number of clients.
// dcplane's command is a RecordRackPeaks of one rack, applied through
// store.Apply, so the figure is the replicated log's, not the HTTP API's.
// At the end of each run every node must hold every acknowledged command.
// Each of c.Runs runs measures both systems, with new nodes and members;
// each figure, the ratio to etcd included, is given over the runs.
func Raft(ctx context.Context, c RaftConfig) (RaftResult, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Runs = max(c.Runs, 1)
	if len(c.LogStores) == 0 {
		c.LogStores = []string{store.DefaultLogStore, store.LogStoreBolt}
	}
	r := RaftResult{Nodes: 3, Runs: c.Runs, Machine: machineFacts()}
	dir, err := os.MkdirTemp(c.Dir, "dcplane-bench-raft-")
	if err != nil {
		return r, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	var runs [][]modeRun
	var fsyncs []timing
	for i := range c.Runs {
		run := &raftRun{n: i + 1}
		if err := raftOnce(ctx, c, filepath.Join(dir, fmt.Sprintf("run%d", i+1)), &r, run); err != nil {
			return r, fmt.Errorf("bench: raft run %d of %d: %w", i+1, c.Runs, err)
		}
		anchor(run.modes)
		runs, fsyncs = append(runs, run.modes), append(fsyncs, run.fsync)
		r.Checks = append(r.Checks, run.checks...)
	}
	r.Fsync = modeOf("disk fsync (4 KiB)", fsyncs)
	r.Modes = modesOf(runs)
	r.Machine.LoadEnd = loadAverage()
	return r, nil
}

// raftRun is what one run of Raft measured.
type raftRun struct {
	n      int // from 1
	modes  []modeRun
	checks []RaftCheck
	fsync  timing
}

// raftOnce is one run of Raft, with its data under dir (removed at the
// end): the disk's fsync, dcplane's store, then etcd's.
func raftOnce(ctx context.Context, c RaftConfig, dir string, r *RaftResult, run *raftRun) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	run.fsync = fsyncTiming(dir)
	// The stores take turns at going first, so that no store is always
	// measured on the disk and page cache that the other left behind.
	kinds := slices.Clone(c.LogStores)
	if run.n%2 == 0 {
		slices.Reverse(kinds)
	}
	for _, kind := range kinds {
		if err := raftDcplane(ctx, c, kind, filepath.Join(dir, "dcplane-"+kind), r, run); err != nil {
			return err
		}
	}
	// Every run's modes in the same order, c.LogStores' (modesOf pairs them
	// by position): the sort is stable, so each system keeps its clients'.
	order := func(m modeRun) int {
		if i := slices.IndexFunc(c.LogStores, func(k string) bool { return dcplaneSystem(k) == m.system }); i >= 0 {
			return i
		}
		return len(c.LogStores)
	}
	slices.SortStableFunc(run.modes, func(a, b modeRun) int { return cmp.Compare(order(a), order(b)) })
	if c.Etcd == "" {
		return nil
	}
	return raftEtcd(ctx, c, filepath.Join(dir, "etcd"), r, run)
}

// dcplaneSystem names dcplane with its log store kind in the figures.
func dcplaneSystem(kind string) string { return "dcplane/" + kind }

// raftDcplane measures dcplane's store with its log in the store kind.
func raftDcplane(ctx context.Context, c RaftConfig, kind, dir string, r *RaftResult, run *raftRun) error {
	system := dcplaneSystem(kind)
	nodes, err := openStores(ctx, dir, 3, kind, c.Logger)
	defer func() {
		for _, s := range nodes {
			s.Close()
		}
	}()
	if err != nil {
		return err
	}
	for _, s := range nodes {
		if s.LogStore() != kind {
			return fmt.Errorf("bench: %s keeps its log in %s, want %s", s.ID(), s.LogStore(), kind)
		}
	}
	leader := nodes[0]
	if _, err := leader.Apply(ctx, state.PutSite{Site: inventory.Reference(4), At: time.Now()}); err != nil {
		return fmt.Errorf("bench: put site: %w", err)
	}
	// The followers announce the bodies they read, as a controller does
	// when it joins (without it the leader writes the JSON bodies every
	// release reads); the log then holds what a cluster of this build's
	// nodes writes.
	for _, s := range nodes[1:] {
		if _, err := leader.Apply(ctx, state.SetNodeAPI{Node: s.ID(), Reads: state.CodecNewest, At: time.Now()}); err != nil {
			return fmt.Errorf("bench: announce %s: %w", s.ID(), err)
		}
	}
	codec := leader.Codec()
	if codec != state.CodecNewest {
		return fmt.Errorf("bench: the leader writes codec %d after every member announced %d", codec, state.CodecNewest)
	}
	rack := leader.State().Site().Halls[0].Rows[0].Racks[0].ID
	cmd := func(i int) state.Command {
		return state.RecordRackPeaks{Peaks: map[string]float64{rack: float64(1000 + i%10000)}, At: time.Unix(1_700_000_000+int64(i), 0).UTC()}
	}
	b, err := state.EncodeFor(cmd(0), codec)
	if err != nil {
		return err
	}
	r.CommandBytes, r.Codec = len(b), codec.String()
	var top atomic.Uint64 // highest acknowledged index
	for _, clients := range c.Clients {
		m := driveRaft(ctx, system, clients, c.Commands, func(ctx context.Context, i int) error {
			v, err := leader.Apply(ctx, cmd(i))
			if err == nil {
				for idx := top.Load(); v.Index() > idx && !top.CompareAndSwap(idx, v.Index()); idx = top.Load() {
				}
			}
			return err
		})
		run.modes = append(run.modes, m)
	}
	ch := checkStores(ctx, system, nodes, top.Load(), ackedOf(run.modes, system))
	ch.Run = run.n
	run.checks = append(run.checks, ch)
	return nil
}

// ackedOf counts the commands of system's modes that were acknowledged.
func ackedOf(ms []modeRun, system string) int {
	n := 0
	for _, m := range ms {
		if m.system == system {
			n += m.commands - m.errors
		}
	}
	return n
}

// openStores opens n stores on 127.0.0.1: the first bootstraps, the others
// join it. It returns once the first leads and every node has joined.
func openStores(ctx context.Context, dir string, n int, logStore string, log *slog.Logger) ([]*store.Store, error) {
	var nodes []*store.Store
	for i := range n {
		s, err := store.Open(ctx, store.Config{NodeID: fmt.Sprintf("n%d", i+1), DataDir: filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
			RaftAddr: "127.0.0.1:0", Bootstrap: i == 0, LogStore: logStore, Logger: log})
		if err != nil {
			return nodes, fmt.Errorf("bench: %w", err)
		}
		nodes = append(nodes, s)
		if i == 0 {
			if err := waitUntil(ctx, "a leader", s.IsLeader); err != nil {
				return nodes, err
			}
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, raftSettle)
		err = nodes[0].Join(wctx, s.ID(), s.Addr())
		cancel()
		if err != nil {
			return nodes, fmt.Errorf("bench: %w", err)
		}
	}
	return nodes, nil
}

// waitUntil polls cond until it holds, for at most raftSettle.
func waitUntil(ctx context.Context, what string, cond func() bool) error {
	deadline := time.Now().Add(raftSettle)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: no %s after %v", what, raftSettle)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// checkStores waits until every node has applied the highest acknowledged
// index, then compares their states' indexes and hashes.
func checkStores(ctx context.Context, system string, nodes []*store.Store, top uint64, acked int) RaftCheck {
	ch := RaftCheck{System: system, Acknowledged: acked}
	err := waitUntil(ctx, "follower at the last acknowledged index", func() bool {
		for _, s := range nodes {
			if s.State().Index() < top {
				return false
			}
		}
		return true
	})
	var states []string
	var firstIndex uint64
	var firstHash string
	same := true
	for i, s := range nodes {
		v := s.State()
		h, herr := v.Hash()
		err = errors.Join(err, herr)
		states = append(states, fmt.Sprintf("%s@%d:%.12s", s.ID(), v.Index(), h))
		if i == 0 {
			firstIndex, firstHash = v.Index(), h
		}
		same = same && v.Index() == firstIndex && h == firstHash
	}
	switch {
	case err != nil:
		ch.Lost, ch.Detail = acked, "not checked: "+err.Error()
	case !same:
		ch.Lost, ch.Detail = acked, "states differ: "+strings.Join(states, " ")
	default:
		ch.Detail = fmt.Sprintf("every node applied through the last acknowledged index %d and holds the same state (%s)", top, strings.Join(states, " "))
	}
	return ch
}

// driveRaft runs n calls of do from clients goroutines, each taking the
// next call as it finishes the last, and times them.
func driveRaft(ctx context.Context, system string, clients, n int, do func(ctx context.Context, i int) error) modeRun {
	m := modeRun{system: system, clients: clients, commands: n}
	lat, errs := make([]time.Duration, n), make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0, start := selfCPU(), time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				errs[i] = do(ctx, i)
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	m.seconds, m.cpu = elapsed.Seconds(), (selfCPU()-cpu0).Seconds()/elapsed.Seconds()
	for _, err := range errs {
		if err != nil {
			m.errors++
			if m.firstErr == "" {
				m.firstErr = err.Error()
			}
		}
	}
	m.perSec = float64(n-m.errors) / m.seconds
	slices.Sort(lat)
	m.p50, m.p99, m.max = ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)), ms(lat[len(lat)-1])
	return m
}

// anchor fills, within one run's modes, each mode's speed-up over its
// system's one-client mode, and dcplane's ratio to etcd at the same number
// of clients.
func anchor(modes []modeRun) {
	base := map[string]float64{}
	etcd := map[int]float64{}
	for _, m := range modes {
		if m.clients == 1 {
			base[m.system] = m.perSec
		}
		if m.system == "etcd" {
			etcd[m.clients] = m.perSec
		}
	}
	for i := range modes {
		m := &modes[i]
		if b := base[m.system]; b > 0 {
			m.batching = m.perSec / b
		}
		if e := etcd[m.clients]; e > 0 && m.system != "etcd" {
			m.anchored = m.perSec / e
		}
	}
}

// modesOf is each mode's figures over the runs, which measured the same
// modes in the same order: runs[run][mode].
func modesOf(runs [][]modeRun) []RaftMode {
	if len(runs) == 0 {
		return nil
	}
	out := make([]RaftMode, len(runs[0]))
	for i, first := range runs[0] {
		ms := make([]modeRun, len(runs))
		for j, run := range runs {
			ms[j] = run[i]
		}
		out[i] = modeOfRuns(first.system, first.clients, first.commands, ms)
	}
	return out
}

// modeOfRuns is one mode's figures over its runs ms.
func modeOfRuns(system string, clients, commands int, ms []modeRun) RaftMode {
	m := RaftMode{System: system, Clients: clients, Commands: commands}
	of := func(f func(modeRun) float64) Spread {
		xs := make([]float64, len(ms))
		for i, run := range ms {
			xs[i] = f(run)
		}
		return SpreadOf(xs)
	}
	for _, run := range ms {
		m.Errors += run.errors
		if m.FirstErr == "" {
			m.FirstErr = run.firstErr
		}
	}
	m.Seconds = of(func(r modeRun) float64 { return r.seconds })
	m.PerSec = of(func(r modeRun) float64 { return r.perSec })
	m.P50Ms = of(func(r modeRun) float64 { return r.p50 })
	m.P99Ms = of(func(r modeRun) float64 { return r.p99 })
	m.MaxMs = of(func(r modeRun) float64 { return r.max })
	m.CPUCores = of(func(r modeRun) float64 { return r.cpu })
	m.Batching = of(func(r modeRun) float64 { return r.batching })
	if slices.ContainsFunc(ms, func(r modeRun) bool { return r.anchored > 0 }) {
		m.Anchored = of(func(r modeRun) float64 { return r.anchored })
	}
	return m
}

// Header names the columns of Rows.
func (RaftResult) Header() []string {
	return []string{"SYSTEM", "CLIENTS", "COMMANDS", "ERRORS", "PER SECOND", "× 1 CLIENT", "× ETCD", "P50 ms", "P99 ms", "MAX ms", "CPU"}
}

// Rows are the modes, one a row.
func (r RaftResult) Rows() [][]string {
	var rows [][]string
	for _, m := range r.Modes {
		anchored := "-"
		if m.Anchored.Runs > 0 {
			anchored = m.Anchored.Cell(2)
		}
		rows = append(rows, []string{m.System, strconv.Itoa(m.Clients), strconv.Itoa(m.Commands), strconv.Itoa(m.Errors),
			m.PerSec.Cell(0), m.Batching.Cell(1), anchored, m.P50Ms.Cell(2), m.P99Ms.Cell(2), m.MaxMs.Cell(2), m.CPUCores.Cell(2)})
	}
	return rows
}

// Summary is what the table leaves out.
func (r RaftResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, each with new nodes (and new etcd members); COMMANDS is each run's, ERRORS their sum over the runs\n",
		SpreadHeader(r.Runs, "runs"))
	fmt.Fprintf(&b, "%d nodes on loopback, fsync on every write; one command is %d bytes (%s body); disk fsync (4 KiB) p50 %.2f ms, p99 %.2f ms\n",
		r.Nodes, r.CommandBytes, r.Codec, r.Fsync.P50Ms, r.Fsync.P99Ms)
	for _, st := range [][2]string{{store.LogStoreWAL, "the Raft log in hashicorp/raft-wal: one fsync an append on each node"},
		{store.LogStoreBolt, "the Raft log in raft-boltdb: a bolt transaction, two fdatasyncs, an append on each node"}} {
		if slices.ContainsFunc(r.Modes, func(m RaftMode) bool { return m.System == dcplaneSystem(st[0]) }) {
			fmt.Fprintf(&b, "%s: %s\n", dcplaneSystem(st[0]), st[1])
		}
	}
	if r.Etcd != "" {
		fmt.Fprintf(&b, "etcd: %s, 3 members on loopback, puts over its gRPC API; × ETCD is dcplane's rate over etcd's in the same run\n", r.Etcd)
	}
	for _, m := range r.Modes {
		if m.Errors > 0 {
			fmt.Fprintf(&b, "%s with %d clients: %d errors over the runs, the first: %s\n", m.System, m.Clients, m.Errors, m.FirstErr)
		}
	}
	for _, ch := range r.Checks {
		fmt.Fprintf(&b, "run %d, %s: %d acknowledged, %d lost: %s\n", ch.Run, ch.System, ch.Acknowledged, ch.Lost, ch.Detail)
	}
	fmt.Fprintf(&b, "machine: %d CPUs (%s), %s, load average %s at the start, %s at the end\n",
		r.Machine.CPUs, r.Machine.CPU, r.Machine.GoVersion, r.Machine.LoadStart, r.Machine.LoadEnd)
	return b.String()
}
