package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/internal/levenshtein"
	"github.com/dcplane/dcplane/internal/output"
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
	return show(cmd, o.globalOptions, func(c *api.Client, ctx context.Context) ([]power.Rack, error) {
		list, err := c.Racks(ctx, o.filter)
		if err != nil {
			return nil, err
		}
		sortByUse(list.Racks)
		return list.Racks, nil
	}, printRacks)
}

// printRacks writes the racks' table, in the order given.
func printRacks(w io.Writer, racks []power.Rack) error {
	rows := make([][]string, len(racks))
	for i, k := range racks {
		rows[i] = []string{k.ID, k.Row, output.KW(k.DrawWatts), output.KW(&k.BudgetWatts), output.Pct(k.UsedRatio), statusWord(k.Status)}
	}
	return output.Table(w, []string{"RACK", "ROW", "DRAW kW", "BUDGET kW", "USED %", "STATUS"}, rows)
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
		Args:  oneArg("RACK", "a rack ID", "H1-R01-K01"),
		// The shell completes rack IDs from the controller's list.
		ValidArgsFunction: func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return rackIDs(cmd.Context(), g, prefix), cobra.ShellCompDirectiveNoFileComp
		},
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
				return noSuchRack(cmd.Context(), c, args[0], err)
			}
			if g.data() {
				return g.print(cmd.OutOrStdout(), k)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "rack %s  row %s  hall %s\n", k.ID, k.Row, k.Hall)
			if k.DrawWatts == nil {
				fmt.Fprintf(w, "draw unknown (stale telemetry) of a %s kW budget: headroom cannot be vouched for\n\n", output.KW(&k.BudgetWatts))
			} else {
				fmt.Fprintf(w, "draw %s kW of %s kW (%s %%), headroom %s kW, %s\n\n",
					output.KW(k.DrawWatts), output.KW(&k.BudgetWatts), output.Pct(k.UsedRatio), output.KW(k.HeadroomWatts), statusWord(k.Status))
			}
			rows := make([][]string, len(k.PDUs))
			for i, p := range k.PDUs {
				seen := "never"
				if p.LastSeen != nil {
					seen = p.LastSeen.Local().Format("2006-01-02 15:04:05 MST")
				}
				rows[i] = []string{p.ID, p.Feed, output.KW(p.PowerWatts), output.KW(&p.CapacityWatts), seen, p.StaleReason}
			}
			return output.Table(w, []string{"PDU", "FEED", "POWER kW", "CAPACITY kW", "LAST SEEN", "STALE"}, rows)
		},
	}
}

// noSuchRack adds to a rack's 404 the rack IDs nearest the one asked for,
// from the controller's list; other errors it returns as they are.
func noSuchRack(ctx context.Context, c *api.Client, id string, err error) error {
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != http.StatusNotFound || p.Type != api.ProblemNotFound {
		return err
	}
	list, lerr := c.Racks(ctx, api.RackFilter{})
	if lerr != nil {
		return err
	}
	ids := make([]string, len(list.Racks))
	for i, k := range list.Racks {
		ids[i] = k.ID
	}
	if near := levenshtein.Nearest(id, ids, 3); len(near) > 0 {
		return fmt.Errorf("%w\nDid you mean %s?", err, orList(near))
	}
	return fmt.Errorf("%w\n'dcplane rack ls' lists the %d racks", err, len(ids))
}

// orList joins names as a sentence does: "a", "a or b", "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// rackIDs lists the controller's rack IDs that start with prefix, ignoring
// case, for shell completion; nothing when the controller does not answer
// within a moment.
func rackIDs(ctx context.Context, g *globalOptions, prefix string) []string {
	c, err := g.client()
	if err != nil {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	list, err := c.Racks(ctx, api.RackFilter{})
	if err != nil {
		return nil
	}
	var ids []string
	for _, k := range list.Racks {
		if strings.HasPrefix(strings.ToLower(k.ID), strings.ToLower(prefix)) {
			ids = append(ids, k.ID)
		}
	}
	sort.Strings(ids)
	return ids
}
