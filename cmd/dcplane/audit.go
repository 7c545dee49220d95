package main

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/output"
)

// auditOptions are the filters of audit ls.
type auditOptions struct {
	who, path, method string
	since             time.Duration
	limit             int
}

func newAuditCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "The audit trail of every call that changed the state (admin)",
	}
	o := &auditOptions{}
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List audit records, oldest first",
		Long: `List the audit trail: every call that changed, or tried to change, the
replicated state (inventory, placements, reservations, alerts, cluster,
tokens), with who made it, when, its input and its result. The controllers
keep the newest 10000 records, replicated like the state.`,
		Example: "  dcplane audit ls --path /v1/placements --since 1h\n  dcplane audit ls --who token:3f9a1c0b2d4e -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := api.AuditFilter{Who: o.who, Path: o.path, Method: o.method, Limit: o.limit}
			if o.since > 0 {
				f.Since = time.Now().Add(-o.since)
			}
			return show(cmd, g, func(c *api.Client, ctx context.Context) (*api.AuditList, error) { return c.Audit(ctx, f) }, printAudit)
		},
	}
	f := ls.Flags()
	f.StringVar(&o.who, "who", "", "only records whose caller contains this (a token ID, a certificate's name)")
	f.StringVar(&o.path, "path", "", "only calls of paths starting with this, e.g. /v1/placements")
	f.StringVar(&o.method, "method", "", "only calls of this method: POST, PUT, DELETE")
	f.DurationVar(&o.since, "since", 0, "only records of the last DURATION, e.g. 1h")
	f.IntVar(&o.limit, "limit", 0, "only the newest N records (0: all kept)")
	cmd.AddCommand(ls)
	return cmd
}

// printAudit writes the audit records' table.
func printAudit(w io.Writer, l *api.AuditList) error {
	var rows [][]string
	for _, r := range l.Records {
		rows = append(rows, []string{strconv.FormatUint(r.Seq, 10), r.At.Format(time.RFC3339), r.Who, string(r.Role),
			r.Method + " " + r.Path, strconv.Itoa(r.Status)})
	}
	return output.Table(w, []string{"SEQ", "AT", "WHO", "ROLE", "CALL", "STATUS"}, rows)
}
