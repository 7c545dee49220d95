package main

import (
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

func (o *benchDemoOptions) run(cmd *cobra.Command) error {
	site, err := demoSite(o.racks)
	if err != nil {
		return err
	}
	r, err := bench.Demo(cmd.Context(), bench.DemoConfig{Site: site, Interval: o.interval, Duration: o.duration, HeapProfile: o.heapProf})
	if err != nil {
		return err
	}
	return o.printBench(cmd.OutOrStdout(), r)
}
