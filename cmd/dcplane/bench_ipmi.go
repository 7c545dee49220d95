package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/internal/bench"
)

type benchIPMIOptions struct {
	*globalOptions
	bmcs        int
	interval    time.Duration
	timeout     time.Duration
	duration    time.Duration
	runs        int
	workers     int
	toolWorkers int
	serveBMCs   string // the child's directory: serve the BMCs, do not measure
	cpuProf     string
	warmUpMax   time.Duration
}

func newBenchIPMICmd(g *globalOptions) *cobra.Command {
	o := &benchIPMIOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "ipmi",
		Short: "BMC polls per second one agent sustains against simulated BMCs, against ipmitool one process per poll",
		Long: `Start --bmcs simulated BMCs (RMCP+, cipher suite 17) in a child process,
then for each of --runs runs poll every BMC with one agent in this process (its
IPMI collectors and sessions, --workers BMC polls at once) for --duration, and
then with Debian's ipmitool for as long, one 'ipmitool -I lanplus -C 17 ...
dcmi power reading' process per poll, --ipmitool-workers at once, the password
in the environment (-E). Report the polls per second of each, the CPU each
spends per 1,000 polls, and the agent's memory per BMC with every session
open, and for 18,000 BMCs (measured with --bmcs 18000, else extrapolated);
each figure as min / median / max over the runs. Each run's agent warms up
until every BMC's session is open (--warm-up-max at most), so that the
window measures polls over kept sessions. The simulated BMCs listen below
the system's ephemeral ports, which the agent's sockets take.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.bmcs, "bmcs", 1000, "simulated BMCs (the reference site's first servers)")
	f.DurationVar(&o.interval, "interval", time.Second, "the agent's poll interval of each BMC")
	f.DurationVar(&o.timeout, "timeout", 5*time.Second, "time each poll may take, the agent's and ipmitool's")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long each run measures each side")
	f.IntVar(&o.runs, "runs", 3, "runs, one after the other; each figure is given as min / median / max over them")
	f.IntVar(&o.workers, "workers", 16, "the agent's BMC polls at once (its default)")
	f.IntVar(&o.toolWorkers, "ipmitool-workers", 16, "ipmitool processes at once")
	f.DurationVar(&o.warmUpMax, "warm-up-max", 5*time.Minute, "longest the agent's warm-up waits for every BMC's session to open before measuring")
	f.StringVar(&o.cpuProf, "cpuprofile", "", "write a Go CPU profile of the agent's last measured window here, and the simulator's of the same window to this path plus .sim (for go tool pprof)")
	f.StringVar(&o.serveBMCs, "serve-bmcs", "", "")
	_ = f.MarkHidden("serve-bmcs") // the child's mode
	return cmd
}

func (o *benchIPMIOptions) run(cmd *cobra.Command) error {
	if o.serveBMCs != "" {
		return bench.ServeBMCs(cmd.Context(), o.serveBMCs, o.bmcs, o.cpuProf)
	}
	if o.bmcs < 1 || o.runs < 1 || o.workers < 1 || o.toolWorkers < 1 || o.timeout <= 0 || o.interval <= 0 || o.duration <= 0 {
		return usageError{fmt.Errorf("--bmcs %d, --runs %d, --workers %d, --ipmitool-workers %d, --timeout %v, --interval %v, --duration %v: want at least 1 of each and positive durations",
			o.bmcs, o.runs, o.workers, o.toolWorkers, o.timeout, o.interval, o.duration)}
	}
	var log *slog.Logger // the agent's logs only when --log-level is given: at scale they are many
	if cmd.Flags().Changed("log-level") {
		var err error
		if log, err = o.logger(cmd.ErrOrStderr()); err != nil {
			return err
		}
	}
	r, err := bench.IPMI(cmd.Context(), bench.IPMIConfig{Logger: log, BMCs: o.bmcs, Interval: o.interval, Timeout: o.timeout, Duration: o.duration,
		Runs: o.runs, Workers: o.workers, ToolWorkers: o.toolWorkers, SimStderr: cmd.ErrOrStderr(), CPUProfile: o.cpuProf, WarmUpMax: o.warmUpMax})
	if err != nil {
		return err
	}
	return o.printBenchTable(cmd.OutOrStdout(), r)
}
