package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/internal/bench"
	"github.com/dcplane/dcplane/internal/inventory"
)

type benchDemoOptions struct {
	*globalOptions
	racks    int
	interval time.Duration
	duration time.Duration
	runs     int
	heapProf string
}

func newBenchDemoCmd(g *globalOptions) *cobra.Command {
	o := &benchDemoOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Memory and CPU of the whole demo (simulator, agent, controller in one process)",
		Long: `Run what 'dcplane demo' runs, in this process, wait until every rack's draw
is known, keep it running for --duration, and report the process's resident
memory (now and peak), the Go heap, goroutines and CPU. With --runs N the demo
is started N times, one after the other (the Go heap returned to the system
and the peak RSS reset before each), and each figure is given as min / median
/ max over the runs. The default is one run: a run lasts --duration (60 s)
and more, so three would take over three minutes; give --runs 3 for a spread.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.racks, "racks", inventory.ReferenceRacks, "number of racks")
	f.DurationVar(&o.interval, "interval", 2*time.Second, "agent poll interval (the demo's default)")
	f.DurationVar(&o.duration, "duration", 60*time.Second, "how long each run keeps the demo running once every rack is known")
	f.IntVar(&o.runs, "runs", 1, "runs, one after the other; each figure is given as min / median / max over them (each run lasts --duration and more)")
	f.StringVar(&o.heapProf, "heap-profile", "", "write a Go heap profile here at the end of the last run (for go tool pprof)")
	return cmd
}

func (o *benchDemoOptions) run(cmd *cobra.Command) error {
	if o.runs < 1 {
		return usageError{fmt.Errorf("--runs %d: want at least 1 run", o.runs)}
	}
	site, err := demoSite(o.racks)
	if err != nil {
		return err
	}
	r, err := bench.Demo(cmd.Context(), bench.DemoConfig{Site: site, Interval: o.interval, Duration: o.duration, Runs: o.runs, HeapProfile: o.heapProf})
	if err != nil {
		return err
	}
	return o.printBenchTable(cmd.OutOrStdout(), r)
}
