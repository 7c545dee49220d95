package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/output"
)

// tokenCreateOptions are the flags of token create.
type tokenCreateOptions struct {
	name, role string
	halls      []string
}

func newTokenCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "API tokens: create, list, revoke (admin)",
		Long: `Manage the API's bearer tokens. Each has a role:

  viewer     reads racks, power, inventory, placements, alerts, forecasts
  operator   reads, acknowledges and silences alerts, asks what-if
  platform   reads, places workloads, holds reservations
  admin      all of the above, inventory, cluster, tokens, the audit trail
  agent      pushes telemetry, nothing else: for the devices of its --hall
             halls, or of every hall without one

A new cluster's first admin token is in admin-token in the data directory
of the node that bootstrapped it. dcplane sends the token in $DCPLANE_TOKEN,
or the one in --token-file; never on the command line.`,
	}
	cmd.AddCommand(newTokenCreateCmd(g), newTokenLsCmd(g), newTokenRevokeCmd(g))
	return cmd
}

func newTokenCreateCmd(g *globalOptions) *cobra.Command {
	o := &tokenCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create --role ROLE --name NAME [--hall HALL]...",
		Short: "Create a token and print its secret, this once",
		Long: `Create a token of a role and print its secret. The secret is shown this once
and kept nowhere: the controllers keep only its SHA-256. Put it in a file
(mode 0600) for --token-file, or in DCPLANE_TOKEN.

An agent's token may be held to halls (--hall, repeated): the controller
takes its telemetry for the devices of those halls only, and refuses, counts
and tells the agent of the rest. Without --hall it may report for every hall.`,
		Example: "  dcplane token create --role viewer --name grafana > grafana.token\n" +
			"  dcplane token create --role agent --name agent-h1 --hall H1 > agent-h1.token",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			if len(o.halls) > 0 && api.Role(o.role) != api.RoleAgent {
				return fmt.Errorf("--hall: only an agent's token is held to halls, not a %s's", o.role)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			t, err := c.CreateToken(cmd.Context(), api.TokenRequest{Name: o.name, Role: api.Role(o.role), Halls: o.halls})
			if err != nil {
				return err
			}
			if g.data() {
				return g.print(cmd.OutOrStdout(), t)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "token %s (%s, role %s) created; its secret, shown this once:\n", t.ID, t.Name, t.Role)
			_, err = fmt.Fprintln(cmd.OutOrStdout(), t.Secret)
			return err
		},
	}
	cmd.Flags().StringVar(&o.role, "role", "", "viewer, operator, platform, admin or agent")
	cmd.Flags().StringVar(&o.name, "name", "", "who or what the token is for")
	cmd.Flags().StringSliceVar(&o.halls, "hall", nil, "an agent's: a hall it may report for (repeat, or H1,H2); none: every hall")
	_ = cmd.MarkFlagRequired("role")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newTokenLsCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List the tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(cmd, g, (*api.Client).Tokens, printTokens)
		},
	}
}

// printTokens writes the tokens' table.
func printTokens(w io.Writer, l *api.TokenList) error {
	var rows [][]string
	for _, t := range l.Tokens {
		state := "active"
		if t.Revoked {
			state = "revoked " + t.RevokedAt.Format(time.RFC3339) + " by " + t.RevokedBy
		}
		halls := "-"
		if t.Role == api.RoleAgent {
			halls = "all"
		}
		if len(t.Halls) > 0 {
			halls = strings.Join(t.Halls, ",")
		}
		rows = append(rows, []string{t.ID, t.Name, string(t.Role), halls, t.CreatedBy, t.CreatedAt.Format(time.RFC3339), state})
	}
	return output.Table(w, []string{"ID", "NAME", "ROLE", "HALLS", "CREATED BY", "CREATED", "STATE"}, rows)
}

func newTokenRevokeCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token: it authenticates nothing from now on",
		Args:  oneArg("ID", "a token ID from 'dcplane token ls'", "3f9a1c0b2d4e"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), args[0]); err != nil {
				var p *api.Problem
				if errors.As(err, &p) && p.Status == 404 {
					return fmt.Errorf("token %q: no such token (dcplane token ls lists them)", args[0])
				}
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return err
		},
	}
}
