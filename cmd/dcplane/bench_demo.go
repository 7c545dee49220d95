package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/inventory"
)

type benchDemoOptions struct {
	*globalOptions
	racks    int
	interval time.Duration
	duration time.Duration
	heapProf string
}

func newBenchDemoCmd(g *globalOptions) *cobra.Command {
	o := &benchDemoOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Memory and CPU of the whole demo (simulator, agent, controller in one process)",
		Long: `Run what 'dcplane demo' runs, in this process, wait until every rack's draw
is known, keep it running for --duration, and report the process's resident
memory (now and peak), the Go heap, goroutines and CPU.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.racks, "racks", inventory.ReferenceRacks, "number of racks")
	f.DurationVar(&o.interval, "interval", 2*time.Second, "agent poll interval (the demo's default)")
	f.DurationVar(&o.duration, "duration", 60*time.Second, "how long to run once every rack is known")
	f.StringVar(&o.heapProf, "heap-profile", "", "write a Go heap profile here at the end (for go tool pprof)")
	return cmd
}

// demoResult is what bench demo reports.
type demoResult struct {
	Racks        int     `json:"racks"`
	Devices      int     `json:"devices"`
	Interval     string  `json:"interval"`
	Seconds      float64 `json:"seconds"`
	StartSeconds float64 `json:"seconds_until_all_racks_known"`
	RSSMiB       float64 `json:"rss_mib"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	HeapMiB      float64 `json:"go_heap_inuse_mib"`
	Goroutines   int     `json:"goroutines"`
	CPUCores     float64 `json:"cpu_cores"`
	StaleRacks   int     `json:"stale_racks_at_end"`
}

func (o *benchDemoOptions) run(cmd *cobra.Command) error {
	site, err := (&demoOptions{racks: o.racks}).demoSite()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "dcplane-bench-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	start := time.Now()
	d, err := startDemo(ctx, demoConfig{site: site, dir: dir, httpAddr: "127.0.0.1:0", interval: o.interval, level: 0.6,
		log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer func() { cancel(); d.close() }()
	if err := waitAllKnown(ctx, d.client, 2*time.Minute); err != nil {
		return err
	}
	r := demoResult{Racks: site.Count().Racks, Devices: d.sim.Devices(), Interval: o.interval.String(), StartSeconds: time.Since(start).Seconds()}
	cpu0, t0 := selfCPU(), time.Now()
	if err := sleepCtx(ctx, o.duration); err != nil {
		return err
	}
	r.Seconds = time.Since(t0).Seconds()
	r.CPUCores = (selfCPU() - cpu0).Seconds() / r.Seconds
	r.RSSMiB, r.PeakRSSMiB = procStatusMiB("VmRSS"), procStatusMiB("VmHWM")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapMiB, r.Goroutines = float64(ms.HeapInuse)/(1<<20), runtime.NumGoroutine()
	if l, err := d.client.Racks(ctx, api.RackFilter{Status: "stale"}); err == nil {
		r.StaleRacks = len(l.Racks)
	}
	if o.heapProf != "" {
		if err := writeHeapProfile(o.heapProf); err != nil {
			return err
		}
	}
	return o.print(cmd.OutOrStdout(), r)
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

// procStatusMiB reads a size field (in kB) of /proc/self/status, in MiB.
func procStatusMiB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			var kb float64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb / 1024
		}
	}
	return 0
}

func (o *benchDemoOptions) print(w io.Writer, r demoResult) error {
	if o.output == "json" {
		return printJSON(w, r)
	}
	return table(w, []string{"RACKS", "DEVICES", "INTERVAL", "READY AFTER", "RSS MiB", "PEAK RSS MiB", "GO HEAP MiB", "GOROUTINES", "CPU", "STALE"},
		[][]string{{fmt.Sprint(r.Racks), fmt.Sprint(r.Devices), r.Interval, fmt.Sprintf("%.1f s", r.StartSeconds),
			fmt.Sprintf("%.0f", r.RSSMiB), fmt.Sprintf("%.0f", r.PeakRSSMiB), fmt.Sprintf("%.0f", r.HeapMiB),
			fmt.Sprint(r.Goroutines), fmt.Sprintf("%.2f cores", r.CPUCores), fmt.Sprint(r.StaleRacks)}})
}
