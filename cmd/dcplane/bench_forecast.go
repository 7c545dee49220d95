package main

import (
	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/internal/bench"
)

type benchForecastOptions struct {
	*globalOptions
	trace  string
	budget float64
}

func newBenchForecastCmd(g *globalOptions) *cobra.Command {
	o := &benchForecastOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "forecast --trace FILE",
		Short: "Backtest the capacity forecast on a power trace: its error against a naive seasonal forecast",
		Long: `Read a power trace in the format of Google's 2019 power data
(index,time,pdu,measured_power_util; e.g. ../shared/traces/google-power-2019/pdu6.csv),
scale each PDU's utilisation onto a rack of --budget watts, fit the forecast
on the first two thirds of its whole days and forecast the daily peaks of
the rest. Reports the mean absolute percentage error (MAPE) of those peaks,
and that of the naive seasonal forecast (each 5 minutes as one week before).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.checkOutput(); err != nil {
				return err
			}
			r, err := bench.Forecast(cmd.Context(), bench.ForecastConfig{Trace: o.trace, BudgetWatts: o.budget})
			if err != nil {
				return err
			}
			return o.printBenchTable(cmd.OutOrStdout(), r)
		},
	}
	cmd.Flags().StringVar(&o.trace, "trace", "", "the trace file")
	cmd.Flags().Float64Var(&o.budget, "budget", 15000, "the rack budget in watts each PDU's utilisation is scaled onto")
	requireFlag(cmd, "trace", "FILE", "the traces are in ../shared/traces/google-power-2019/*.csv")
	return cmd
}
