package main

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/power"
)

func newRackCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "rack", Short: "Racks: draw against budget"}
	cmd.AddCommand(newRackLsCmd(g), newRackShowCmd(g))
	return cmd
}

type rackLsOptions struct {
	*globalOptions
	filter api.RackFilter
}

func newRackLsCmd(g *globalOptions) *cobra.Command {
	o := &rackLsOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List racks by share of budget used, most loaded first",
		Long: `List racks with their draw, budget and share used, the most loaded first.
Racks whose draw is unknown (stale telemetry) come first of all, as STALE:
their headroom cannot be vouched for. Tables show kW; -o json shows watts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	cmd.Flags().StringVar(&o.filter.Hall, "hall", "", "only racks of this hall")
	cmd.Flags().StringVar(&o.filter.Row, "row", "", "only racks of this row")
	cmd.Flags().StringVar(&o.filter.Status, "status", "", "only racks of this status: ok, warn, over, stale")
	return cmd
}

func (o *rackLsOptions) run(cmd *cobra.Command) error {
	if err := o.checkOutput(); err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	list, err := c.Racks(cmd.Context(), o.filter)
	if err != nil {
		return err
	}
	racks := list.Racks
	sortByUse(racks)
	if o.output == "json" {
		return printJSON(cmd.OutOrStdout(), racks)
	}
	rows := make([][]string, len(racks))
	for i, k := range racks {
		rows[i] = []string{k.ID, k.Row, kw(k.DrawWatts), kw(&k.BudgetWatts), pct(k.UsedRatio), statusWord(k.Status)}
	}
	return table(cmd.OutOrStdout(), []string{"RACK", "ROW", "DRAW kW", "BUDGET kW", "USED %", "STATUS"}, rows)
}

// sortByUse orders racks: unknown draw first, then by share used, highest
// first, then by ID.
func sortByUse(racks []power.Rack) {
	sort.SliceStable(racks, func(i, j int) bool {
		a, b := racks[i].UsedRatio, racks[j].UsedRatio
		switch {
		case a == nil || b == nil:
			if (a == nil) != (b == nil) {
				return a == nil
			}
		case *a != *b:
			return *a > *b
		}
		return racks[i].ID < racks[j].ID
	})
}

func statusWord(s string) string {
	switch s {
	case power.StatusStale:
		return "STALE"
	case power.StatusOver:
		return "OVER"
	case power.StatusWarn:
		return "warn"
	}
	return s
}

func newRackShowCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show RACK",
		Short: "Show one rack and its PDUs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			k, err := c.Rack(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), k)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "rack %s  row %s  hall %s\n", k.ID, k.Row, k.Hall)
			if k.DrawWatts == nil {
				fmt.Fprintf(w, "draw unknown (stale telemetry) of a %s kW budget: headroom cannot be vouched for\n\n", kw(&k.BudgetWatts))
			} else {
				fmt.Fprintf(w, "draw %s kW of %s kW (%s %%), headroom %s kW, %s\n\n",
					kw(k.DrawWatts), kw(&k.BudgetWatts), pct(k.UsedRatio), kw(k.HeadroomWatts), statusWord(k.Status))
			}
			rows := make([][]string, len(k.PDUs))
			for i, p := range k.PDUs {
				seen := "never"
				if p.LastSeen != nil {
					seen = p.LastSeen.Local().Format("2006-01-02 15:04:05 MST")
				}
				rows[i] = []string{p.ID, p.Feed, kw(p.PowerWatts), kw(&p.CapacityWatts), seen, p.StaleReason}
			}
			return table(w, []string{"PDU", "FEED", "POWER kW", "CAPACITY kW", "LAST SEEN", "STALE"}, rows)
		},
	}
}
