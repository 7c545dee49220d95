package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/demo"
	"github.com/dcplane/dcplane/internal/inventory"
)

// DemoConfig is what Demo measures.
type DemoConfig struct {
	Site     *inventory.Site // the site the demo runs; required
	Interval time.Duration   // agent poll interval
	Duration time.Duration   // how long each run keeps the demo running once every rack is known
	// Runs is how many demos are started, one after the other, in this
	// process; each figure is given over them. 1 if 0.
	Runs int
	// HeapProfile, if set, is where a Go heap profile (for go tool pprof)
	// is written at the end of the last run, before its demo stops.
	HeapProfile string
	Logger      *slog.Logger // the demo's; nil: discard
}

// DemoResult is what Demo reports: each figure over the runs, as a spread.
type DemoResult struct {
	Racks    int    `json:"racks"`
	Devices  int    `json:"devices"`
	Interval string `json:"interval"`
	Runs     int    `json:"runs"`
	// PeakReset says whether the kernel's peak RSS was reset before each
	// run (/proc/self/clear_refs), so that PeakRSSMiB is each run's own;
	// if not, it is the process's since it started.
	PeakReset bool `json:"peak_rss_reset_each_run"`

	Seconds      Spread `json:"seconds"` // each run's, once every rack is known
	StartSeconds Spread `json:"seconds_until_all_racks_known"`
	RSSMiB       Spread `json:"rss_mib"`
	PeakRSSMiB   Spread `json:"peak_rss_mib"`
	HeapMiB      Spread `json:"go_heap_inuse_mib"`
	Goroutines   Spread `json:"goroutines"`
	CPUCores     Spread `json:"cpu_cores"`
	StaleRacks   Spread `json:"stale_racks_at_end"`
}

// demoRun is the figures of one run of Demo.
type demoRun struct {
	seconds, start, rss, peakRSS, heap, goroutines, cpu, stale float64
}

// Demo runs what 'dcplane demo' runs, in this process, c.Runs times one
// after the other: each run waits until every rack's draw is known, keeps
// the demo running for c.Duration, and reads the process's resident memory
// (now and peak), the Go heap, goroutines and CPU, then stops the demo.
// Before each run the Go heap is returned to the system and the peak RSS
// reset, so that a run does not carry the last one's memory. The figures
// are the whole process's, so the caller should be doing nothing else.
func Demo(ctx context.Context, c DemoConfig) (DemoResult, error) {
	c.Runs = max(c.Runs, 1)
	r := DemoResult{Racks: c.Site.Count().Racks, Interval: c.Interval.String(), Runs: c.Runs, PeakReset: true}
	runs := make([]demoRun, 0, c.Runs)
	for i := range c.Runs {
		runtime.GC()
		debug.FreeOSMemory()
		if err := resetPeakRSS(); err != nil {
			r.PeakReset = false
		}
		heapProfile := ""
		if i == c.Runs-1 {
			heapProfile = c.HeapProfile
		}
		run, devices, err := demoOnce(ctx, c, heapProfile)
		if err != nil {
			return DemoResult{}, fmt.Errorf("bench: demo run %d of %d: %w", i+1, c.Runs, err)
		}
		r.Devices, runs = devices, append(runs, run)
	}
	r.spread(runs)
	return r, nil
}

// demoOnce is one run of Demo: the figures and the number of devices
// simulated. It writes a heap profile to heapProfile if that is set.
func demoOnce(ctx context.Context, c DemoConfig, heapProfile string) (demoRun, int, error) {
	start := time.Now()
	d, err := demo.Start(ctx, demo.Config{Site: c.Site, HTTPAddr: "127.0.0.1:0", Interval: c.Interval, Level: 0.6, Logger: c.Logger})
	if err != nil {
		return demoRun{}, 0, err
	}
	defer d.Close()
	if err := waitAllKnown(ctx, d.Client(), 2*time.Minute); err != nil {
		return demoRun{}, 0, err
	}
	run := demoRun{start: time.Since(start).Seconds()}
	cpu0, t0 := selfCPU(), time.Now()
	if err := sleepCtx(ctx, c.Duration); err != nil {
		return demoRun{}, 0, err
	}
	run.seconds = time.Since(t0).Seconds()
	run.cpu = (selfCPU() - cpu0).Seconds() / run.seconds
	run.rss, run.peakRSS = procStatusMiB("VmRSS"), procStatusMiB("VmHWM")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	run.heap, run.goroutines = float64(ms.HeapInuse)/(1<<20), float64(runtime.NumGoroutine())
	l, err := d.Client().Racks(ctx, api.RackFilter{Status: "stale"})
	if err != nil {
		return demoRun{}, 0, fmt.Errorf("stale racks at the end: %w", err)
	}
	run.stale = float64(len(l.Racks))
	if heapProfile != "" {
		if err := writeHeapProfile(heapProfile); err != nil {
			return demoRun{}, 0, err
		}
	}
	return run, d.Sim().Devices(), nil
}

// resetPeakRSS resets the kernel's peak resident set size of this process
// (VmHWM) to its current one (Linux: 5 to /proc/self/clear_refs).
func resetPeakRSS() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// spread sets each figure to its spread over runs.
func (r *DemoResult) spread(runs []demoRun) {
	of := func(f func(demoRun) float64) Spread {
		xs := make([]float64, len(runs))
		for i, run := range runs {
			xs[i] = f(run)
		}
		return SpreadOf(xs)
	}
	r.Seconds = of(func(d demoRun) float64 { return d.seconds })
	r.StartSeconds = of(func(d demoRun) float64 { return d.start })
	r.RSSMiB = of(func(d demoRun) float64 { return d.rss })
	r.PeakRSSMiB = of(func(d demoRun) float64 { return d.peakRSS })
	r.HeapMiB = of(func(d demoRun) float64 { return d.heap })
	r.Goroutines = of(func(d demoRun) float64 { return d.goroutines })
	r.CPUCores = of(func(d demoRun) float64 { return d.cpu })
	r.StaleRacks = of(func(d demoRun) float64 { return d.stale })
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// waitAllKnown waits until the API knows every rack's draw.
func waitAllKnown(ctx context.Context, c *api.Client, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if l, err := c.Racks(ctx, api.RackFilter{Status: "stale"}); err == nil && len(l.Racks) == 0 {
			return nil
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return errors.New("bench: racks still stale after " + limit.String())
}

// Header names the columns of Rows.
func (DemoResult) Header() []string { return []string{"FIGURE", "MIN", "MEDIAN", "MAX"} }

// Rows are the figures, one a row, for people.
func (r DemoResult) Rows() [][]string {
	row := func(name string, s Spread, decimals int) []string {
		f := func(x float64) string { return fmt.Sprintf("%.*f", decimals, x) }
		return []string{name, f(s.Min), f(s.Median), f(s.Max)}
	}
	return [][]string{
		row("ready after (s)", r.StartSeconds, 1),
		row("RSS MiB", r.RSSMiB, 0),
		row("peak RSS MiB", r.PeakRSSMiB, 0),
		row("Go heap MiB", r.HeapMiB, 0),
		row("goroutines", r.Goroutines, 0),
		row("CPU (cores)", r.CPUCores, 2),
		row("stale racks at the end", r.StaleRacks, 0),
	}
}

// Summary is the set-up and how to read the figures.
func (r DemoResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d racks, %d devices, interval %s\n", r.Racks, r.Devices, r.Interval)
	fmt.Fprintf(&b, "%s, each a new demo in this process kept running %.0f s once every rack was known\n",
		SpreadHeader(r.Runs, "runs"), r.Seconds.Median)
	if !r.PeakReset {
		b.WriteString("peak RSS: the process's since it started (its peak could not be reset before each run)\n")
	}
	return b.String()
}
