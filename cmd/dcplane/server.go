package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/output"
)

func newServerCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "server", Short: "Servers: power and PSUs as their BMCs say"}
	cmd.AddCommand(newServerLsCmd(g))
	return cmd
}

type serverLsOptions struct {
	*globalOptions
	rack string
}

func newServerLsCmd(g *globalOptions) *cobra.Command {
	o := &serverLsOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List servers with their measured power and each PSU's feed, power and state",
		Long: `List the servers of a rack (--rack) or of the site, with the input power
their BMCs report (IPMI) against their declared power, and each power
supply's feed (as inventoried), input power and state. A server whose BMC
has not answered lately, or that has none, shows STALE and its reason:
its readings are unknown ("-"), never 0. MODEL W is the idle/maximum
draw placement derives a replica's watts from: the declared ones, or,
marked *, the lowest or highest draw the BMC measured where it proves the
declared figure wrong. Tables show watts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	cmd.Flags().StringVar(&o.rack, "rack", "", "only the servers of this rack")
	return cmd
}

func (o *serverLsOptions) run(cmd *cobra.Command) error {
	return show(cmd, o.globalOptions, func(c *api.Client, ctx context.Context) ([]api.ServerReading, error) {
		return c.Servers(ctx, o.rack)
	}, printServers)
}

// printServers writes each server's power and PSUs.
func printServers(w io.Writer, list []api.ServerReading) error {
	rows := make([][]string, len(list))
	for i, s := range list {
		state := "ok"
		if !s.Fresh {
			state = "STALE: " + s.Reason
		}
		rows[i] = []string{s.ID, s.Rack, wattsOf(s.Watts), fmt.Sprintf("%.0f", s.DeclaredWatts), modelOf(s.PowerModel), psuSummary(s.PSUs), state}
	}
	return output.Table(w, []string{"SERVER", "RACK", "W", "DECLARED W", "MODEL W", "PSUS (FEED W STATE)", "STATUS"}, rows)
}

// modelOf shows placement's power model of a server as IDLE/MAX, a figure
// the BMC's measurement set marked "*"; "-" for what is unknown.
func modelOf(m *api.PowerModel) string {
	if m == nil {
		return "-"
	}
	mark := func(w string, measured bool) string {
		if measured {
			return w + "*"
		}
		return w
	}
	return mark(fmt.Sprintf("%.0f", m.IdleWatts), m.IdleMeasured) + "/" + mark(wattsOf(m.MaxWatts), m.MaxMeasured)
}

// wattsOf shows a reading in watts, "-" when unknown.
func wattsOf(w *float64) string {
	if w == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f", *w)
}

// psuSummary shows each PSU as FEED:WATTS[:STATE], e.g. "A:410 B:0:failed".
func psuSummary(psus []api.PSUReading) string {
	parts := make([]string, len(psus))
	for i, p := range psus {
		s := p.Feed + ":" + wattsOf(p.Watts)
		switch {
		case p.Present != nil && !*p.Present:
			s += ":absent"
		case p.Healthy != nil && !*p.Healthy, p.InputOK != nil && !*p.InputOK:
			s += ":failed"
		}
		parts[i] = s
	}
	return strings.Join(parts, " ")
}
