package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/internal/bench"
)

type benchAlertsOptions struct {
	*globalOptions
	racks        int
	interval     time.Duration
	runs         int
	poll         time.Duration
	alertmanager string
}

func newBenchAlertsCmd(g *globalOptions) *cobra.Command {
	o := &benchAlertsOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Latency from a PDU's change to its rack's alert at Alertmanager, and to its resolution",
		Long: `Start Debian's prometheus-alertmanager and, in this process, a demo of
--racks racks of the reference site delivering its alerts to it. In each of
--runs runs, on the next rack: pin the rack's simulated PDUs 10 % over its
budget and ask, every --poll, the leader's API and Alertmanager's
/api/v2/alerts until RackOverBudget of that rack is active there; then
release the rack to its model's load (half its budget) and wait until the
alert has left Alertmanager. It reports, from the instant of each change,
when the leader read it, when the alert fired or resolved on the leader and
when Alertmanager had it, as min / median / p99 / max over the runs, and
whether issue 6's goal holds: the alert in Alertmanager within one poll
interval plus 1 s. Resolving waits the demo's clear time (5 s) by design.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.racks, "racks", 10, "racks of the demo's site; run i overloads rack i (cycling)")
	f.DurationVar(&o.interval, "interval", time.Second, "the agent's poll interval")
	f.IntVar(&o.runs, "runs", 10, "overloads, one after the other")
	f.DurationVar(&o.poll, "poll", 25*time.Millisecond, "how often the leader and Alertmanager are asked during a run (the figures' resolution)")
	f.StringVar(&o.alertmanager, "alertmanager-bin", "prometheus-alertmanager", "Alertmanager program: a path, or a name in $PATH")
	return cmd
}

func (o *benchAlertsOptions) run(cmd *cobra.Command) error {
	if o.runs < 1 || o.racks < 1 || o.interval <= 0 || o.poll <= 0 {
		return usageError{fmt.Errorf("--runs %d, --racks %d, --interval %v, --poll %v: want at least 1 run and rack and positive durations",
			o.runs, o.racks, o.interval, o.poll)}
	}
	r, err := bench.Alerts(cmd.Context(), bench.AlertsConfig{Racks: o.racks, Interval: o.interval, Runs: o.runs, Poll: o.poll,
		Alertmanager: o.alertmanager})
	if err != nil {
		return err
	}
	return o.printBenchTable(cmd.OutOrStdout(), r)
}
