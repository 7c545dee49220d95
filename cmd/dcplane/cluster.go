package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/output"
)

func newClusterCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Controller cluster: members, removal, leadership, snapshots",
		Long: `Manage the controller cluster. Any controller of --controller answers:
followers forward what only the leader can do.`,
	}
	cmd.AddCommand(newClusterMembersCmd(g), newClusterRemoveCmd(g), newClusterTransferCmd(g), newClusterSnapshotCmd(g))
	return cmd
}

func newClusterMembersCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "members",
		Short: "List the controllers of the cluster, the leader first marked",
		Long: `List the cluster's controllers as the controller asked knows them: ID, Raft
address, API URL, role. Below, that controller's own view: its term, the
index and hash of the state it serves, and whether it has caught up.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(cmd, g, (*api.Client).Cluster, printMembers)
		},
	}
}

// printMembers writes the members table and the answering node's view.
func printMembers(w io.Writer, st *api.ClusterStatus) error {
	var rows [][]string
	for _, m := range st.Members {
		role := "follower"
		switch {
		case m.Leader:
			role = "leader"
		case !m.Voter:
			role = "non-voter"
		}
		api := m.API
		if api == "" {
			api = "-"
		}
		rows = append(rows, []string{m.ID, m.RaftAddr, api, role})
	}
	if err := output.Table(w, []string{"NODE", "RAFT ADDRESS", "API", "ROLE"}, rows); err != nil {
		return err
	}
	hash := st.StateHash
	if len(hash) > 12 {
		hash = hash[:12]
	}
	_, err := fmt.Fprintf(w, "\nanswered by %s (%s), term %d, state index %d, hash %s, ready: %s\n",
		st.Node, st.State, st.Term, st.StateIndex, hash, st.Ready)
	return err
}

func newClusterRemoveCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NODE",
		Short: "Take a controller out of the cluster",
		Long: `Take a controller out of the cluster; the others go on with a quorum of the
smaller cluster. The leader cannot remove itself: transfer leadership first.`,
		Args: oneArg("NODE", "a node ID from 'dcplane cluster members'", "node2"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RemoveNode(cmd.Context(), args[0]); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", args[0])
			return err
		},
	}
}

func newClusterTransferCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "transfer-leadership",
		Short: "Ask the leader to hand over to another controller",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.TransferLeadership(cmd.Context()); err != nil {
				return err
			}
			st, err := c.Cluster(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "leadership transferred; the leader is now %s\n", st.Leader)
			return err
		},
	}
}

func newClusterSnapshotCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Save the replicated state to a file, or restore it",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "save FILE",
		Short: "Save the cluster's state, as of every committed write, to FILE",
		Args:  oneArg("FILE", "the file to write", "dcplane.snap"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			b, err := c.Snapshot(cmd.Context())
			if err != nil {
				return err
			}
			if err := os.WriteFile(args[0], b, 0o600); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "saved %s bytes to %s\n", strconv.Itoa(len(b)), args[0])
			return err
		},
	}, &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the state on every controller with FILE's (disaster recovery)",
		Long: `Replace the replicated state on every controller with the snapshot in FILE.
What was committed after the snapshot was saved is lost. Check with
"dcplane cluster members" on each controller that the state hashes agree.`,
		Args: oneArg("FILE", "a snapshot saved by 'dcplane cluster snapshot save'", "dcplane.snap"),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RestoreSnapshot(cmd.Context(), b); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "restored %s\n", args[0])
			return err
		},
	})
	return cmd
}
