package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/controller/whatif"
	"github.com/dcplane/dcplane/internal/output"
)

type whatIfOptions struct {
	*globalOptions
	hall string
	all  bool
}

func newWhatIfCmd(g *globalOptions) *cobra.Command {
	o := &whatIfOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "whatif",
		Short: "What would break if a feed were switched off or a cooling unit failed: run it before opening a breaker",
	}
	feed := &cobra.Command{
		Use:   "feed-off FEED",
		Short: "Every rack and PDU phase that would exceed its limit (or go dark) if FEED were switched off now",
		Long: `Every rack and surviving PDU phase that would exceed 80 % of its breaker, and
every rack that would go dark, if FEED were switched off now: on the draw
measured now and on the declared placed and reserved power, with the margin
of each, worst first. Only problems are listed unless --all is given; a
phase whose load is unknown (stale telemetry) is a problem, never 0 W.
A phase is judged in amps, as its breaker trips, when its current is
measured; else its watts over its nominal voltage.
Exit code 3 when something would break or go dark; 4 when nothing would
as far as is known, but some load is unknown (telemetry stale): do not go
ahead on 4.`,
		Args: oneArg("FEED", "a feed", "A"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := checkedClient(g)
			if err != nil {
				return err
			}
			rep, err := c.WhatIfFeedOff(cmd.Context(), args[0], o.hall)
			if err != nil {
				return err
			}
			return o.report(cmd.OutOrStdout(), rep)
		},
	}
	feed.Flags().StringVar(&o.hall, "hall", "", "only this hall")
	cooling := &cobra.Command{
		Use:   "cooling-off UNIT",
		Short: "Whether the unit's row would exceed its remaining cooling (or lose N+1) if UNIT failed now",
		Long: `Whether the unit's row would exceed its remaining cooling, or lose N+1, if
UNIT failed now: on the draw measured now and on the declared power. On the
measured basis a unit whose telemetry is stale may have failed: a row that
relies on it is unknown.
Exit code 3 when something would break; 4 when nothing would as far as is
known, but some load or capacity is unknown: do not go ahead on 4.`,
		Args: oneArg("UNIT", "a cooling unit ID", "H1-R01-C1"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := checkedClient(g)
			if err != nil {
				return err
			}
			rep, err := c.WhatIfCoolingOff(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.report(cmd.OutOrStdout(), rep)
		},
	}
	cmd.PersistentFlags().BoolVar(&o.all, "all", false, "list every object checked, not only the problems")
	cmd.AddCommand(feed, cooling)
	return cmd
}

// errWouldBreak makes the command exit 3 when some limit would break, so
// that a maintenance script can stop before opening the breaker.
var errWouldBreak error = wouldBreak{}

type wouldBreak struct{}

func (wouldBreak) Error() string { return "some limit would break or some rack go dark: see above" }
func (wouldBreak) ExitCode() int { return 3 }

// report prints rep and answers, by its error, whether it is safe to go
// ahead: errWouldBreak (exit 3), unknownLoad (exit 4) or nil.
func (o *whatIfOptions) report(w io.Writer, rep *whatif.Report) error {
	if o.data() {
		if err := o.globalOptions.print(w, rep); err != nil {
			return err
		}
	} else if err := whatIfTable(w, rep, o.all); err != nil {
		return err
	}
	if rep.Counts.Dark+rep.Counts.Exceeded > 0 {
		return errWouldBreak
	}
	if rep.Counts.Unknown > 0 {
		return unknownLoad(rep.Counts.Unknown)
	}
	return nil
}

// unknownLoad makes the command exit 4 when nothing would break as far as
// is known but some objects' load is unknown: a script that checks the
// exit code must not open the breaker on it.
type unknownLoad int

func (n unknownLoad) Error() string {
	return fmt.Sprintf("cannot vouch for %d objects: telemetry unknown", int(n))
}
func (unknownLoad) ExitCode() int { return 4 }

func whatIfTable(w io.Writer, rep *whatif.Report, all bool) error {
	c := rep.Counts
	fmt.Fprintf(w, "%s\n%d dark, %d exceeded, %d unknown, %d without N+1, %d ok\n", rep.Scenario.Summary,
		c.Dark, c.Exceeded, c.Unknown, c.NoRedundancy, c.OK)
	var rows [][]string
	for _, f := range rep.Findings {
		if !all && f.Status == whatif.StatusOK {
			continue
		}
		obj := f.Rack
		switch {
		case f.Kind == whatif.KindPDUPhase:
			obj = fmt.Sprintf("%s L%d", f.PDU, f.Phase)
		case f.Kind == whatif.KindRow:
			obj = f.Row
		}
		rows = append(rows, []string{f.Status, f.Basis, obj, output.KW(f.LoadWatts), output.KW(f.LimitWatts), output.KW(f.MarginWatts), f.Detail})
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "nothing would break")
		return err
	}
	fmt.Fprintln(w)
	return output.Table(w, []string{"STATUS", "BASIS", "OBJECT", "LOAD kW", "LIMIT kW", "MARGIN kW", "DETAIL"}, rows)
}
