package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/internal/output"
)

func newAlertsCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "alerts", Short: "Alerts: list, acknowledge, silence"}
	cmd.AddCommand(newAlertsLsCmd(g), newAlertsAckCmd(g), newAlertsSilenceCmd(g))
	return cmd
}

type alertsLsOptions struct {
	*globalOptions
	filter api.AlertFilter
}

func newAlertsLsCmd(g *globalOptions) *cobra.Command {
	o := &alertsLsOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the pending and firing alerts, critical first",
		Long: `List the alerts the leader's last evaluation found: pending (the condition
holds, not yet for its 'for' duration) and firing, critical first. ACK names
who took an alert on; SILENCED until when its notifications stop; HELD marks
an alert whose readings are unknown (its value is the last known). The ID is
what 'alerts ack' and 'alerts silence' take.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.filter.Status, "status", "", "only alerts of this status: pending, firing")
	f.StringVar(&o.filter.Severity, "severity", "", "only alerts of this severity: critical, warning")
	f.StringVar(&o.filter.Rule, "rule", "", "only alerts of this rule, e.g. RackOverBudget")
	f.StringVar(&o.filter.Hall, "hall", "", "only alerts of this hall")
	f.StringVar(&o.filter.Row, "row", "", "only alerts of this row")
	f.StringVar(&o.filter.Rack, "rack", "", "only alerts of this rack")
	return cmd
}

// checkFilter refuses a --status or --severity the API would refuse: a
// mistake on the command line, exit code 2, said before any request.
func (o *alertsLsOptions) checkFilter(cmd *cobra.Command) error {
	for _, f := range []struct {
		flag, value string
		want        []string
	}{
		{"status", o.filter.Status, []string{string(alerts.StatusPending), string(alerts.StatusFiring)}},
		{"severity", o.filter.Severity, []string{string(alerts.Critical), string(alerts.Warning)}},
	} {
		if f.value != "" && !slices.Contains(f.want, f.value) {
			return usageLineError{fmt.Errorf("alerts ls --%s %q: want %s", f.flag, f.value, strings.Join(f.want, " or ")), cmd}
		}
	}
	if o.filter.Rule == "" {
		return nil
	}
	var rules []string
	for _, r := range alerts.Rules() {
		if string(r.Rule) == o.filter.Rule {
			return nil
		}
		rules = append(rules, string(r.Rule))
	}
	return usageLineError{fmt.Errorf("alerts ls --rule %q: no such rule; the rules: %s", o.filter.Rule, strings.Join(rules, ", ")), cmd}
}

func (o *alertsLsOptions) run(cmd *cobra.Command) error {
	if err := o.checkOutput(); err != nil {
		return err
	}
	if err := o.checkFilter(cmd); err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	list, err := c.Alerts(cmd.Context(), o.filter)
	if err != nil {
		return err
	}
	if o.data() {
		return o.print(cmd.OutOrStdout(), list)
	}
	if len(list.Alerts) == 0 {
		_, err := fmt.Fprintln(cmd.OutOrStdout(), "no alerts")
		return err
	}
	rows := make([][]string, len(list.Alerts))
	for i, a := range list.Alerts {
		rows[i] = []string{string(a.Severity), alertStatus(&a), a.Summary, ackWord(a.Ack), silenceWord(a.Silence), a.ID}
	}
	return output.Table(cmd.OutOrStdout(), []string{"SEVERITY", "STATUS", "SUMMARY", "ACK", "SILENCED", "ID"}, rows)
}

func alertStatus(a *alerts.Alert) string {
	s := string(a.Status)
	if a.Held {
		s += " (held)"
	}
	return s
}

func ackWord(a *alerts.Ack) string {
	if a == nil {
		return "-"
	}
	return a.By
}

func silenceWord(s *alerts.Silence) string {
	if s == nil || !time.Now().Before(s.Until) {
		return "-"
	}
	return "until " + s.Until.Local().Format("Jan 2 15:04")
}

// alertWriteOptions are the flags of ack and silence.
type alertWriteOptions struct {
	*globalOptions
	by     string
	reason string
	dur    time.Duration
}

func (o *alertWriteOptions) flags(cmd *cobra.Command) {
	// Until authentication (issue 7), the name is the caller's own say.
	cmd.Flags().StringVar(&o.by, "by", os.Getenv("USER"), "who acknowledges or silences (default: $USER)")
	cmd.Flags().StringVar(&o.reason, "reason", "", "why, for the others on call")
}

// who is --by, which must name someone.
func (o *alertWriteOptions) who() (string, error) {
	if o.by == "" {
		return "", usageError{errors.New("--by: say who you are (no $USER to default to)")}
	}
	return o.by, nil
}

func newAlertsAckCmd(g *globalOptions) *cobra.Command {
	o := &alertWriteOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "ack ID",
		Short: "Acknowledge a firing alert: you are on it (kept until it resolves, through failovers)",
		Args:  oneArg("ID", "an alert ID from 'dcplane alerts ls'", "'RackOverBudget{site=dc,hall=H1,row=H1-R01,rack=H1-R01-K01}'"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.checkOutput(); err != nil {
				return err
			}
			by, err := o.who()
			if err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			a, err := c.AckAlert(cmd.Context(), args[0], by, o.reason)
			if err != nil {
				return err
			}
			if o.data() {
				return o.print(cmd.OutOrStdout(), a)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "acknowledged %s by %s\n", a.ID, a.Ack.By)
			return err
		},
	}
	o.flags(cmd)
	return cmd
}

func newAlertsSilenceCmd(g *globalOptions) *cobra.Command {
	o := &alertWriteOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "silence ID --for 2h",
		Short: "Stop notifications of an alert for a while (it still shows in 'alerts ls')",
		Args:  oneArg("ID", "an alert ID from 'dcplane alerts ls'", "'RackOverBudget{site=dc,hall=H1,row=H1-R01,rack=H1-R01-K01}'"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.checkOutput(); err != nil {
				return err
			}
			by, err := o.who()
			if err != nil {
				return err
			}
			if o.dur <= 0 {
				return usageError{fmt.Errorf("--for %v: want a positive duration such as 2h", o.dur)}
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			s, err := c.SilenceAlert(cmd.Context(), args[0], by, o.reason, o.dur)
			if err != nil {
				return err
			}
			if o.data() {
				return o.print(cmd.OutOrStdout(), s)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "silenced %s until %s by %s\n", args[0], s.Until.Local().Format(time.RFC3339), s.By)
			return err
		},
	}
	o.flags(cmd)
	cmd.Flags().DurationVar(&o.dur, "for", 0, "how long, e.g. 2h")
	requireFlag(cmd, "for", "DURATION", "e.g. --for 2h")
	return cmd
}
