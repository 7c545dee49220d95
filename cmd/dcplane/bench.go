package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/internal/bench"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/output"
)

func newBenchCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure dcplane on this machine (figures for docs/benchmarks.md)"}
	cmd.AddCommand(newBenchPollCmd(g), newBenchDemoCmd(g), newBenchPlacementCmd(g), newBenchForecastCmd(g), newBenchRaftCmd(g), newBenchFailoverCmd(g), newBenchSecurityCmd(g), newBenchAlertsCmd(g), newBenchIPMICmd(g), newBenchSNMPCmd(g))
	return cmd
}

// benchJSON is every bench's JSON: the machine it ran on, and its result.
type benchJSON struct {
	Machine bench.Machine `json:"machine"`
	Result  any           `json:"result"`
}

// benchTable is what a bench of several rows reports: JSON-tagged, a table,
// and what the table leaves out.
type benchTable interface {
	Header() []string
	Rows() [][]string
	Summary() string // lines printed under the table
}

// printBenchTable writes r as -o asks: JSON, or else the machine, its table
// and its summary (which says over how many runs each figure's spread is).
func (g *globalOptions) printBenchTable(w io.Writer, r benchTable) error {
	m := bench.ThisMachine()
	if g.data() {
		return g.print(w, benchJSON{m, r})
	}
	if _, err := fmt.Fprintln(w, m); err != nil {
		return err
	}
	if err := output.Table(w, r.Header(), r.Rows()); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n"+r.Summary())
	return err
}

type benchPollOptions struct {
	*globalOptions
	racks    int
	interval time.Duration
	timeout  time.Duration
	duration time.Duration
	runs     int
	workers  int
}

func newBenchPollCmd(g *globalOptions) *cobra.Command {
	o := &benchPollOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "poll",
		Short: "Device polls per second one agent sustains against the simulator, and the CPU it uses",
		Long: `Start the simulated site in a child process ('dcplane sim'), poll every
device of it with one agent in this process for --runs windows of --duration,
and report the polls per second achieved against those asked for (devices /
--interval), the failed polls and the devices that failed them, and the CPU
each process used, each figure as min / median / max over the runs. Each poll
may take up to --timeout, however short the interval, so that a failure
counted is the device's and not the bench's own. Batches are encoded as for
the controller and then dropped, so the controller is not measured.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.racks, "racks", inventory.ReferenceRacks, "racks of the simulated site (two PDUs each, and their rows' cooling units)")
	f.DurationVar(&o.interval, "interval", time.Second, "poll interval of each device")
	f.DurationVar(&o.timeout, "timeout", bench.DefaultPollTimeout, "time each poll may take, whatever the interval")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long each run measures, after one interval of warm-up")
	f.IntVar(&o.runs, "runs", 3, "runs, one after the other; each figure is given as min / median / max over them")
	f.IntVar(&o.workers, "workers", 64, "agent polls at once")
	return cmd
}

func (o *benchPollOptions) run(cmd *cobra.Command) error {
	if o.runs < 1 || o.timeout <= 0 || o.interval <= 0 {
		return usageError{fmt.Errorf("--runs %d, --timeout %v, --interval %v: want at least 1 run and positive durations", o.runs, o.timeout, o.interval)}
	}
	r, err := bench.Poll(cmd.Context(), bench.PollConfig{Racks: o.racks, Interval: o.interval, Timeout: o.timeout, Duration: o.duration,
		Runs: o.runs, Workers: o.workers, SimStderr: cmd.ErrOrStderr()})
	if err != nil {
		return err
	}
	return o.printBenchTable(cmd.OutOrStdout(), r)
}
