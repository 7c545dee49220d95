package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/internal/output"
)

func newPowerCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "power",
		Short: "Site, hall and row draw against budget",
		Long: `Show the site, each hall and each row: racks, draw and budget, headroom.
A rollup with stale racks shows the draw of the racks it knows and no
headroom: what it cannot see might use it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(cmd, g, (*api.Client).Power, printPower)
		},
	}
}

// printPower writes the site's, halls' and rows' rollups.
func printPower(w io.Writer, sum *api.PowerSummary) error {
	rows := [][]string{rollupRow("site", sum.Site)}
	for _, h := range sum.Halls {
		rows = append(rows, rollupRow("hall", h))
	}
	for _, r := range sum.Rows {
		rows = append(rows, rollupRow("row", r))
	}
	return output.Table(w, []string{"LEVEL", "ID", "RACKS", "STALE", "DRAW kW", "BUDGET kW", "USED %", "HEADROOM kW"}, rows)
}

func rollupRow(level string, r power.Rollup) []string {
	draw := r.DrawWatts
	d := output.KW(&draw)
	if !r.Complete {
		d = "≥" + d
	}
	return []string{level, r.ID, fmt.Sprint(r.Racks), fmt.Sprint(r.StaleRacks), d, output.KW(&r.BudgetWatts), output.Pct(r.UsedRatio), output.KW(r.HeadroomWatts)}
}
