package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/output"
)

type forecastOptions struct {
	*globalOptions
	filter api.ForecastFilter
}

func newForecastCmd(g *globalOptions) *cobra.Command {
	o := &forecastOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "forecast",
		Short: "Days until each hall, row and rack reaches its budget at its trend",
		Long: `Forecast when each hall, row and rack reaches its budget: its daily peaks,
as a trend (a line, or a step then a line) plus a weekday profile, walked
forward up to the horizon. DAYS is from today (0: today); "beyond" means not
within the horizon; "unknown" says why (too little history: the leader
keeps it in memory, and a new leader starts afresh).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	cmd.Flags().StringVar(&o.filter.Hall, "hall", "", "only this hall, its rows and racks")
	cmd.Flags().StringVar(&o.filter.Row, "row", "", "only this row and its racks")
	return cmd
}

func (o *forecastOptions) run(cmd *cobra.Command) error {
	return show(cmd, o.globalOptions, func(c *api.Client, ctx context.Context) (*api.ForecastReport, error) {
		return c.Forecast(ctx, o.filter)
	}, printForecast)
}

// printForecast writes each object's days to full, and when and from what
// the forecast was made.
func printForecast(w io.Writer, rep *api.ForecastReport) error {
	rows := make([][]string, len(rep.Objects))
	for i, f := range rep.Objects {
		rows[i] = []string{f.Kind, f.ID, forecastDays(f, rep.HorizonDays), output.KW(f.PeakWatts), output.KW(&f.BudgetWatts), strconv.Itoa(f.HistoryDays), f.Why}
	}
	if err := output.Table(w, []string{"KIND", "ID", "DAYS", "PEAK kW", "BUDGET kW", "HISTORY DAYS", "WHY"}, rows); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nforecast at %s from the history kept since %s\n",
		rep.At.Local().Format("2006-01-02 15:04"), rep.HistorySince.Local().Format("2006-01-02 15:04"))
	return err
}

// forecastDays is the DAYS cell: a number, "beyond" the horizon, or
// "unknown".
func forecastDays(f api.ForecastObject, horizon int) string {
	switch {
	case f.Status == api.ForecastWithin && f.DaysToFull != nil:
		return strconv.Itoa(*f.DaysToFull)
	case f.Status == api.ForecastBeyond:
		return fmt.Sprintf("beyond %d", horizon)
	}
	return "unknown"
}
