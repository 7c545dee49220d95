package bench

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/internal/inventory"
)

// AzureConfig is what Azure replays.
type AzureConfig struct {
	Dir   string // holds arrivals.txt, durations.txt, flavors.txt, duration-bins.txt (azure-2017-vms)
	Racks int    // of the reference site (inventory.Reference)
	// Spread is a tenant's batch's anti-affinity: server (no two of its
	// VMs on one server) or rack.
	Spread placement.Domain
	Limit  int // replay at most this many VMs (whole batches); 0: all
}

// flavor is a VM size of flavors.txt.
type flavor struct {
	cpu int64 // millicores: 1000 a vCPU
	mem int64 // MiB
}

// azureLine is one line of arrivals.txt or durations.txt: its time and
// its batches of tokens.
type azureLine struct {
	at      int64
	batches [][]string
}

// Azure replays the VM arrivals and departures of the Azure 2017 trace
// onto the servers of the reference site's first c.Racks racks, with each
// policy.
func Azure(ctx context.Context, c AzureConfig) (QualityResult, error) {
	flavors, err := readFlavors(filepath.Join(c.Dir, "flavors.txt"))
	if err != nil {
		return QualityResult{}, err
	}
	bins, err := readDurationBins(filepath.Join(c.Dir, "duration-bins.txt"))
	if err != nil {
		return QualityResult{}, err
	}
	arrivals, err := readAzureLines(filepath.Join(c.Dir, "arrivals.txt"))
	if err != nil {
		return QualityResult{}, err
	}
	durations, err := readAzureLines(filepath.Join(c.Dir, "durations.txt"))
	if err != nil {
		return QualityResult{}, err
	}
	cl, err := siteCluster(inventory.Reference(c.Racks))
	if err != nil {
		return QualityResult{}, err
	}
	holdIdle(cl)
	works, vms, err := azureWorkloads(c, cl, flavors, bins, arrivals, durations)
	if err != nil {
		return QualityResult{}, err
	}
	start, step := arrivals[0].at, int64(300)
	if len(arrivals) > 1 {
		step = arrivals[1].at - arrivals[0].at
	}
	end := arrivals[len(arrivals)-1].at + step
	if len(works) > 0 {
		end = min(end, works[len(works)-1].arrive+step)
	}
	rp := newReplay(cl, works, start, end, 3600)
	res := newQualityResult("azure", cl, works, 1)
	res.Source = fmt.Sprintf("%s: %d VMs in %d requests (one per flavour of a tenant's batch, spread by %s), arriving over %.1f days",
		c.Dir, vms, len(works), c.Spread, float64(end-start)/86400)
	return res, rp.runAll(ctx, &res)
}

// holdIdle holds each rack's servers' idle draw as a reservation, so that
// every limit counts it.
func holdIdle(c *placement.Cluster) {
	for _, s := range c.Servers {
		c.Racks[s.Rack].ReservedWatts += s.IdleWatts
	}
}

// azureWorkloads makes a request of each flavour of each tenant's batch:
// its VMs are the replicas, spread by c.Spread. A VM declares its vCPUs ×
// the cluster's mean watts per thread between idle and flat out; the
// request's daily profile is the hours of the day its VMs run in (hours
// counted from the trace's start, whose clock time the trace does not
// give). A VM that ended (U) lives the middle of its duration bin (the
// bin's lower bound for the last bin); one still running at the trace's
// end (C) lives the lower bound of its bin, the least it ran.
func azureWorkloads(c AzureConfig, cl *placement.Cluster, flavors map[string]flavor, bins []int64,
	arrivals, durations []azureLine) ([]workload, int, error) {
	var threads, dyn float64
	for _, s := range cl.Servers {
		threads += float64(s.CPUMillicores) / 1000
		dyn += s.MaxWatts - s.IdleWatts
	}
	perThread := dyn / threads
	if len(arrivals) != len(durations) {
		return nil, 0, fmt.Errorf("bench: %d lines of arrivals, %d of durations", len(arrivals), len(durations))
	}
	var out []workload
	vms := 0
	for i, a := range arrivals {
		d := durations[i]
		if d.at != a.at || len(d.batches) != len(a.batches) {
			return nil, 0, fmt.Errorf("bench: arrivals and durations differ at line %d (time %d)", i+1, a.at)
		}
		for b, batch := range a.batches {
			if c.Limit > 0 && vms >= c.Limit {
				return out, vms, nil
			}
			if len(d.batches[b]) != len(batch) {
				return nil, 0, fmt.Errorf("bench: line %d, batch %d: %d VMs, %d durations", i+1, b+1, len(batch), len(d.batches[b]))
			}
			ws, err := batchWorkloads(c, a.at, batch, d.batches[b], flavors, bins, perThread, fmt.Sprintf("t%d-b%d", a.at, b))
			if err != nil {
				return nil, 0, fmt.Errorf("bench: line %d: %w", i+1, err)
			}
			out = append(out, ws...)
			vms += len(batch)
		}
	}
	return out, vms, nil
}

// batchWorkloads makes the requests of one batch, one per flavour in the
// order the batch first names them.
func batchWorkloads(c AzureConfig, at int64, vms, lives []string, flavors map[string]flavor, bins []int64,
	perThread float64, name string) ([]workload, error) {
	var order []string
	byFlavor := map[string]*workload{}
	profiles := map[string][][]float64{}
	for j, letter := range vms {
		f, ok := flavors[letter]
		if !ok {
			return nil, fmt.Errorf("unknown flavour %q", letter)
		}
		life, err := lifetime(lives[j], bins)
		if err != nil {
			return nil, err
		}
		w := byFlavor[letter]
		if w == nil {
			order = append(order, letter)
			w = &workload{arrive: at, req: placement.Request{Name: name + "-" + letter, CPUMillicores: f.cpu, MemoryMiB: f.mem,
				Watts: math.Max(1, math.Ceil(float64(f.cpu)/1000*perThread)), Spread: c.Spread}}
			byFlavor[letter] = w
		}
		w.req.Replicas++
		w.depart = append(w.depart, at+life)
		profiles[letter] = append(profiles[letter], dailyProfile(at, at+life))
	}
	out := make([]workload, 0, len(order))
	for _, letter := range order {
		w := byFlavor[letter]
		w.req.Profile = unionProfile(profiles[letter]...)
		out = append(out, *w)
	}
	return out, nil
}

// lifetime is a VM's lifetime from its duration token (U<bin> or C<bin>).
func lifetime(tok string, bins []int64) (int64, error) {
	b, err := strconv.Atoi(tok[min(1, len(tok)):])
	if err != nil || len(tok) < 2 || b < 0 || b >= len(bins) || (tok[0] != 'U' && tok[0] != 'C') {
		return 0, fmt.Errorf("duration %q: want U<bin> or C<bin>, bins 0 to %d", tok, len(bins)-1)
	}
	if tok[0] == 'C' || b+1 == len(bins) {
		return bins[b], nil
	}
	return (bins[b] + bins[b+1]) / 2, nil
}

// readFlavors reads flavors.txt: "vCPU,GB letter" a line.
func readFlavors(path string) (map[string]flavor, error) {
	out := map[string]flavor{}
	err := eachLine(path, func(n int, line string) error {
		size, letter, ok := strings.Cut(line, " ")
		cpu, gb, ok2 := strings.Cut(size, ",")
		v, err1 := strconv.ParseFloat(cpu, 64)
		g, err2 := strconv.ParseFloat(gb, 64)
		if !ok || !ok2 || err1 != nil || err2 != nil || v <= 0 || g <= 0 {
			return fmt.Errorf("line %d: %q: want \"vCPU,GB letter\"", n, line)
		}
		out[strings.TrimSpace(letter)] = flavor{cpu: int64(v * 1000), mem: int64(math.Round(g * 1024))}
		return nil
	})
	return out, err
}

// readDurationBins reads duration-bins.txt, which maps every lifetime in
// seconds (a multiple of 300) to its bin: "seconds bin" a line. A bin's
// lower bound is the least lifetime mapped to it.
func readDurationBins(path string) ([]int64, error) {
	lower := map[int]int64{}
	top := -1
	err := eachLine(path, func(n int, line string) error {
		f := strings.Fields(line)
		if len(f) != 2 {
			return fmt.Errorf("line %d: %q: want \"seconds bin\"", n, line)
		}
		sec, err1 := strconv.ParseInt(f[0], 10, 64)
		bin, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil || bin < 0 || bin > 10000 {
			return fmt.Errorf("line %d: %q: want \"seconds bin\"", n, line)
		}
		if l, ok := lower[bin]; !ok || sec < l {
			lower[bin] = sec
		}
		top = max(top, bin)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]int64, top+1)
	for b := range out {
		l, ok := lower[b]
		if !ok {
			return nil, fmt.Errorf("bench: %s: no lifetime maps to bin %d", path, b)
		}
		out[b] = l
	}
	return out, nil
}

// readAzureLines reads arrivals.txt or durations.txt: "SECONDS tok,tok,…"
// a line, '|' closing each batch.
func readAzureLines(path string) ([]azureLine, error) {
	var out []azureLine
	err := eachLine(path, func(n int, line string) error {
		at, toks, _ := strings.Cut(line, " ")
		t, err := strconv.ParseInt(at, 10, 64)
		if err != nil {
			return fmt.Errorf("line %d: time %q: %w", n, at, err)
		}
		l := azureLine{at: t}
		var batch []string
		for _, tok := range strings.Split(toks, ",") {
			switch tok = strings.TrimSpace(tok); tok {
			case "":
			case "|":
				if len(batch) > 0 {
					l.batches = append(l.batches, batch)
				}
				batch = nil
			default:
				batch = append(batch, tok)
			}
		}
		if len(batch) > 0 {
			l.batches = append(l.batches, batch)
		}
		out = append(out, l)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("bench: %s: no lines", path)
	}
	return out, err
}

// eachLine calls fn with each non-empty line of the file at path.
func eachLine(path string, fn func(n int, line string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			if err := fn(n, line); err != nil {
				return fmt.Errorf("bench: %s: %w", path, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("bench: %s: %w", path, err)
	}
	return nil
}
