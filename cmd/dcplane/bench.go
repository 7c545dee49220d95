package main

import (
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/internal/bench"
	"github.com/dcplane/dcplane/internal/inventory"
)

func newBenchCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure dcplane on this machine (figures for docs/benchmarks.md)"}
	cmd.AddCommand(newBenchPollCmd(g), newBenchDemoCmd(g), newBenchPlacementCmd(g), newBenchForecastCmd(g), newBenchRaftCmd(g), newBenchFailoverCmd(g))
	return cmd
}

// benchResult is what a bench reports: JSON-tagged, and one table row.
type benchResult interface {
	Header() []string // the table's column names
	Row() []string    // the result's cells, in the same order
}

// printBench writes r as -o asks: JSON, or else a one-row table.
func (g *globalOptions) printBench(w io.Writer, r benchResult) error {
	if g.output == "json" {
		return printJSON(w, r)
	}
	return table(w, r.Header(), [][]string{r.Row()})
}

// benchTable is what a bench of several rows reports: JSON-tagged, a table,
// and what the table leaves out.
type benchTable interface {
	Header() []string
	Rows() [][]string
	Summary() string // lines printed under the table
}

// printBenchTable writes r as -o asks: JSON, or else its table and summary.
func (g *globalOptions) printBenchTable(w io.Writer, r benchTable) error {
	if g.output == "json" {
		return printJSON(w, r)
	}
	if err := table(w, r.Header(), r.Rows()); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n"+r.Summary())
	return err
}

type benchPollOptions struct {
	*globalOptions
	racks    int
	interval time.Duration
	duration time.Duration
	workers  int
}

func newBenchPollCmd(g *globalOptions) *cobra.Command {
	o := &benchPollOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "poll",
		Short: "Device polls per second one agent sustains against the simulator, and the CPU it uses",
		Long: `Start the simulated site in a child process ('dcplane sim'), poll every
device of it with one agent in this process for --duration, and report the
polls per second achieved against those asked for (devices / --interval), the
failures, and the CPU each process used. Batches are encoded as for the
controller and then dropped, so the controller is not measured.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.racks, "racks", inventory.ReferenceRacks, "racks of the simulated site (two PDUs each, and their rows' cooling units)")
	f.DurationVar(&o.interval, "interval", time.Second, "poll interval of each device")
	f.DurationVar(&o.duration, "duration", 30*time.Second, "how long to measure, after one interval of warm-up")
	f.IntVar(&o.workers, "workers", 64, "agent polls at once")
	return cmd
}

func (o *benchPollOptions) run(cmd *cobra.Command) error {
	r, err := bench.Poll(cmd.Context(), bench.PollConfig{Racks: o.racks, Interval: o.interval, Duration: o.duration,
		Workers: o.workers, SimStderr: cmd.ErrOrStderr()})
	if err != nil {
		return err
	}
	return o.printBench(cmd.OutOrStdout(), r)
}
