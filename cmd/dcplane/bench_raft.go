package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/internal/bench"
)

type benchRaftOptions struct {
	*globalOptions
	commands int
	clients  []int
	dir      string
	etcd     string
	runs     int
	stores   []string
}

func newBenchRaftCmd(g *globalOptions) *cobra.Command {
	o := &benchRaftOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "raft",
		Short: "Committed commands per second and commit latency of a 3-node cluster, against etcd's",
		Long: `Start three controller stores in this process (hashicorp/raft with fsync on
every write, talking over TCP on 127.0.0.1, data under --dir) and commit
--commands small commands (a RecordRackPeaks of one rack, through the
store's Apply) from each number of --clients at once: one client is
unbatched, many let Raft write what queued as one batch with one fsync.
Each of --log-stores is measured so, with new nodes: dcplane/wal keeps the
log in raft-wal (the default of a new data dir), dcplane/bolt in
raft-boltdb.
Then, as the anchor, start three etcd members (--etcd, Debian's etcd-server)
and put as many keys of the same size from as many clients over etcd's gRPC
API. Prints each mode's rate and commit latency, and checks that every node
(every member) ends with every acknowledged command.

With --runs N the whole is measured N times, one after the other, each run
with new nodes and new etcd members, and each figure (the ratio to etcd in
the same run included) is given as min / median / max over the runs. The
default is one run: with the default --commands and --clients a run commits
240,000 commands, about a minute on two cores (the unbatched modes alone
take some 7 s for dcplane/wal, 16 s for dcplane/bolt and 12 s for etcd),
so three take three minutes or more; give --runs 3 for a spread.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	etcd, _ := exec.LookPath("etcd")
	f := cmd.Flags()
	f.IntVar(&o.commands, "commands", 20000, "commands committed in each mode")
	f.IntSliceVar(&o.clients, "clients", []int{1, 16, 256, 1024}, "modes: commands applied at once (1: unbatched)")
	f.StringVar(&o.dir, "dir", os.TempDir(), "where the nodes' data goes (a new directory, removed at the end): on the disk to measure")
	f.StringVar(&o.etcd, "etcd", etcd, "etcd server binary of the anchor (\"\": leave etcd out)")
	f.StringSliceVar(&o.stores, "log-stores", []string{store.DefaultLogStore, store.LogStoreBolt}, "Raft log stores to measure, each with new nodes: wal, bolt")
	f.IntVar(&o.runs, "runs", 1, "runs, one after the other, each measuring dcplane and etcd; each figure is given as min / median / max over them")
	return cmd
}

func (o *benchRaftOptions) run(cmd *cobra.Command) error {
	if o.runs < 1 {
		return usageError{fmt.Errorf("--runs %d: want at least 1 run", o.runs)}
	}
	for _, k := range o.stores {
		if err := store.CheckLogStore(k); err != nil {
			return usageError{fmt.Errorf("--log-stores %w", err)}
		}
	}
	if len(o.stores) == 0 {
		return usageError{errors.New("--log-stores: give at least one of wal, bolt")}
	}
	r, err := bench.Raft(cmd.Context(), bench.RaftConfig{Commands: o.commands, Clients: o.clients, Dir: o.dir, Etcd: o.etcd, Runs: o.runs, LogStores: o.stores})
	if err != nil {
		return err
	}
	return o.printBenchTable(cmd.OutOrStdout(), r)
}

type benchFailoverOptions struct {
	*globalOptions
	kills int
	tuned bench.RaftTimeouts
	dir   string
}

func newBenchFailoverCmd(g *globalOptions) *cobra.Command {
	o := &benchFailoverOptions{globalOptions: g, tuned: bench.RaftTimeouts{Name: "tuned"}}
	cmd := &cobra.Command{
		Use:   "failover",
		Short: "Time from a kill -9 of the leader to the first committed write, with Raft's default timeouts and tuned ones",
		Long: `Start three controllers (this binary, real processes on 127.0.0.1, data under
--dir) with hashicorp/raft's default timeouts, keep placing through an API
client of all three (each placement with its idempotency key, retried until
acknowledged), and --kills times kill -9 the leader, time the first write
acknowledged among those sent after the kill, restart the dead node and wait
until the cluster is ready again. Then the same with the --tuned-* timeouts.
At the end every acknowledged placement must be in a linearizable read and
every node must hold the same state.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.IntVar(&o.kills, "kills", 20, "leader kills with each setting")
	f.DurationVar(&o.tuned.Heartbeat, "tuned-heartbeat", 300*time.Millisecond, "tuned --raft-heartbeat-timeout")
	f.DurationVar(&o.tuned.Election, "tuned-election", 300*time.Millisecond, "tuned --raft-election-timeout")
	f.DurationVar(&o.tuned.Lease, "tuned-lease", 150*time.Millisecond, "tuned --raft-leader-lease-timeout")
	f.DurationVar(&o.tuned.Commit, "tuned-commit", 20*time.Millisecond, "tuned --raft-commit-timeout")
	f.StringVar(&o.dir, "dir", os.TempDir(), "where the nodes' data and logs go (a new directory per setting, removed at the end)")
	return cmd
}

func (o *benchFailoverOptions) run(cmd *cobra.Command) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	defaults := bench.RaftTimeouts{Name: "raft defaults", Heartbeat: store.DefaultHeartbeatTimeout, Election: store.DefaultElectionTimeout,
		Lease: store.DefaultLeaderLeaseTimeout, Commit: store.DefaultCommitTimeout}
	r, err := bench.Failover(cmd.Context(), bench.FailoverConfig{Binary: self, Kills: o.kills, Dir: o.dir,
		Timeouts: []bench.RaftTimeouts{defaults, o.tuned}, Progress: cmd.ErrOrStderr()})
	if err != nil {
		return err
	}
	return o.printBenchTable(cmd.OutOrStdout(), r)
}
