//go:build faults

package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// checkTimeout bounds porcupine's search. The histories are partitioned by
// system, so each part is small: a timeout means something is wrong.
const checkTimeout = 2 * time.Minute

// Outcomes of a placement, as the client saw it.
const (
	placed   = "ok"      // 201: the key is placed
	refused  = "refused" // 409 infeasible: nothing was placed
	unknown  = "unknown" // an error or a timeout: it may or may not have happened
	readDone = "read"
)

// input is one operation on the set of placed keys of one system: place a
// key, or read the whole set.
type input struct {
	Place  bool
	Key    string
	System string
}

// output is what the client got back: the outcome of a placement, or the
// keys a read returned (sorted) and any returned twice.
type output struct {
	Status string
	Keys   []string
	Dups   []string
}

// recorder collects a history of operations from concurrent clients.
type recorder struct {
	mu    sync.Mutex
	start time.Time
	ops   []porcupine.Operation
	open  []int // indexes in ops of operations of unknown outcome
}

func newRecorder() *recorder { return &recorder{start: time.Now()} }

// now is the time since the history began, in nanoseconds.
func (r *recorder) now() int64 { return int64(time.Since(r.start)) }

// add records an operation called at call that returned now with out.
func (r *recorder) add(client int, in input, call int64, out output) {
	ret := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if out.Status == unknown {
		r.open = append(r.open, len(r.ops))
	}
	r.ops = append(r.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
}

// counts tallies the operations by outcome.
func (r *recorder) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]int{}
	for _, op := range r.ops {
		m[op.Output.(output).Status]++
	}
	return m
}

// history returns the operations with every operation of unknown outcome
// returning after all the others: it may take effect at any time after its
// call, or never.
func (r *recorder) history() []porcupine.Operation {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := slices.Clone(r.ops)
	end := r.now()
	for _, op := range ops {
		end = max(end, op.Return)
	}
	for k, i := range r.open {
		ops[i].Return = end + 1 + int64(k)
	}
	return ops
}

// acked returns every key acknowledged as placed.
func (r *recorder) acked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var keys []string
	for _, op := range r.ops {
		if in := op.Input.(input); in.Place && op.Output.(output).Status == placed {
			keys = append(keys, in.Key)
		}
	}
	return keys
}

// ackedSystems returns every key acknowledged as placed, with its system.
func (r *recorder) ackedSystems() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := map[string]string{}
	for _, op := range r.ops {
		if in := op.Input.(input); in.Place && op.Output.(output).Status == placed {
			keys[in.Key] = in.System
		}
	}
	return keys
}

// keySet is the model's state: the placed keys of one system, sorted. Steps
// never modify a state, they return a new one.
type keySet []string

func (s keySet) has(k string) bool {
	_, ok := slices.BinarySearch(s, k)
	return ok
}

func (s keySet) with(k string) keySet {
	i, ok := slices.BinarySearch(s, k)
	if ok {
		return s
	}
	return slices.Insert(slices.Clone(s), i, k)
}

// placementModel is a set of idempotency keys per system: place(key) adds
// it, and is refused only if it is not there; a read returns the set, each
// key once.
var placementModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		for _, op := range h {
			s := op.Input.(input).System
			by[s] = append(by[s], op)
		}
		var out [][]porcupine.Operation
		for _, s := range sortedKeys(by) {
			out = append(out, by[s])
		}
		return out
	},
	Init: func() any { return keySet(nil) },
	Step: func(state, in, out any) (bool, any) {
		s, i, o := state.(keySet), in.(input), out.(output)
		switch {
		case !i.Place:
			return len(o.Dups) == 0 && slices.Equal(s, o.Keys), s
		case o.Status == refused:
			return !s.has(i.Key), s
		default: // placed, or unknown: linearized, it took effect
			return true, s.with(i.Key)
		}
	},
	Equal: func(a, b any) bool { return slices.Equal(a.(keySet), b.(keySet)) },
	DescribeOperation: func(in, out any) string {
		i, o := in.(input), out.(output)
		if i.Place {
			return fmt.Sprintf("place(%s) → %s", i.Key, o.Status)
		}
		return fmt.Sprintf("read(%s) → %d keys %v, twice: %v", i.System, len(o.Keys), o.Keys, o.Dups)
	},
	DescribeState: func(state any) string { return fmt.Sprintf("%d keys %v", len(state.(keySet)), state) },
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// checkLinearizable checks the history with porcupine and fails the test if
// it is not linearizable (writing porcupine's visualisation of it when
// FAULTS_KEEP is set) or if the check did not finish.
func checkLinearizable(t *testing.T, r *recorder) {
	t.Helper()
	h := r.history()
	t0 := time.Now()
	res, info := porcupine.CheckOperationsVerbose(placementModel, h, checkTimeout)
	t.Logf("porcupine: %s for %d operations %v in %v", res, len(h), r.counts(), time.Since(t0).Round(time.Millisecond))
	switch res {
	case porcupine.Ok:
		return
	case porcupine.Unknown:
		t.Errorf("porcupine did not finish within %v: the history was not checked", checkTimeout)
		return
	}
	t.Errorf("the history is not linearizable: a lost acknowledged write, a stale read or a double placement")
	if os.Getenv("FAULTS_KEEP") == "" {
		t.Logf("set FAULTS_KEEP=1 to keep porcupine's visualisation of the history")
		return
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("dcplane-faults-%s-%d.html", t.Name(), time.Now().Unix()))
	if err := porcupine.VisualizePath(placementModel, info, path); err != nil {
		t.Logf("visualise: %v", err)
		return
	}
	t.Logf("porcupine's visualisation: %s", path)
}
