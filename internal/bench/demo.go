package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/demo"
	"github.com/dcplane/dcplane/internal/inventory"
)

// DemoConfig is what Demo measures.
type DemoConfig struct {
	Site     *inventory.Site // the site the demo runs; required
	Interval time.Duration   // agent poll interval
	Duration time.Duration   // how long to run once every rack is known
	// HeapProfile, if set, is where a Go heap profile (for go tool pprof)
	// is written at the end.
	HeapProfile string
	Logger      *slog.Logger // the demo's; nil: discard
}

// DemoResult is what Demo reports.
type DemoResult struct {
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

// Demo runs what 'dcplane demo' runs, in this process, waits until every
// rack's draw is known, keeps it running for c.Duration, and reports the
// process's resident memory (now and peak), the Go heap, goroutines and
// CPU. The figures are the whole process's, so the caller should be doing
// nothing else.
func Demo(ctx context.Context, c DemoConfig) (DemoResult, error) {
	start := time.Now()
	d, err := demo.Start(ctx, demo.Config{Site: c.Site, HTTPAddr: "127.0.0.1:0", Interval: c.Interval, Level: 0.6, Logger: c.Logger})
	if err != nil {
		return DemoResult{}, err
	}
	defer d.Close()
	if err := waitAllKnown(ctx, d.Client(), 2*time.Minute); err != nil {
		return DemoResult{}, err
	}
	r := DemoResult{Racks: c.Site.Count().Racks, Devices: d.Sim().Devices(), Interval: c.Interval.String(), StartSeconds: time.Since(start).Seconds()}
	cpu0, t0 := selfCPU(), time.Now()
	if err := sleepCtx(ctx, c.Duration); err != nil {
		return DemoResult{}, err
	}
	r.Seconds = time.Since(t0).Seconds()
	r.CPUCores = (selfCPU() - cpu0).Seconds() / r.Seconds
	r.RSSMiB, r.PeakRSSMiB = procStatusMiB("VmRSS"), procStatusMiB("VmHWM")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapMiB, r.Goroutines = float64(ms.HeapInuse)/(1<<20), runtime.NumGoroutine()
	if l, err := d.Client().Racks(ctx, api.RackFilter{Status: "stale"}); err == nil {
		r.StaleRacks = len(l.Racks)
	}
	if c.HeapProfile != "" {
		if err := writeHeapProfile(c.HeapProfile); err != nil {
			return DemoResult{}, err
		}
	}
	return r, nil
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

// Header names the columns of Row.
func (DemoResult) Header() []string {
	return []string{"RACKS", "DEVICES", "INTERVAL", "READY AFTER", "RSS MiB", "PEAK RSS MiB", "GO HEAP MiB", "GOROUTINES", "CPU", "STALE"}
}

// Row is the result as table cells, for people.
func (r DemoResult) Row() []string {
	return []string{fmt.Sprint(r.Racks), fmt.Sprint(r.Devices), r.Interval, fmt.Sprintf("%.1f s", r.StartSeconds),
		fmt.Sprintf("%.0f", r.RSSMiB), fmt.Sprintf("%.0f", r.PeakRSSMiB), fmt.Sprintf("%.0f", r.HeapMiB),
		fmt.Sprint(r.Goroutines), fmt.Sprintf("%.2f cores", r.CPUCores), fmt.Sprint(r.StaleRacks)}
}
