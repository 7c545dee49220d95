package main

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/internal/inventory"
)

type controllerOptions struct {
	*globalOptions
	nodeID     string
	dataDir    string
	httpAddr   string
	raftAddr   string
	bootstrap  bool
	inventory  string
	staleAfter time.Duration
}

func newControllerCmd(g *globalOptions) *cobra.Command {
	o := &controllerOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run a controller node (Raft-replicated state, telemetry, API, /metrics)",
		Long: `Run a controller node. The first node of a cluster starts with --bootstrap;
its data directory then holds the Raft log, stable store and snapshots, and a
restart on the same directory keeps the inventory. The API and /metrics are
served on --http-addr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	host, _ := os.Hostname()
	f := cmd.Flags()
	f.StringVar(&o.nodeID, "node-id", host, "node name, stable across restarts and unique in the cluster")
	f.StringVar(&o.dataDir, "data-dir", "/var/lib/dcplane", "where the node keeps its Raft data")
	f.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:8080", "API and /metrics listen address")
	f.StringVar(&o.raftAddr, "raft-addr", "127.0.0.1:8300", "Raft listen address")
	f.BoolVar(&o.bootstrap, "bootstrap", false, "start a new single-node cluster (no-op when the data dir has state)")
	f.StringVar(&o.inventory, "inventory", "", "inventory file to apply once the node leads, if it has none yet")
	f.DurationVar(&o.staleAfter, "stale-after", 30*time.Second, "a device not read for this long has unknown readings (3 agent poll intervals)")
	return cmd
}

func (o *controllerOptions) run(cmd *cobra.Command) error {
	log, err := o.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	var site *inventory.Site
	if o.inventory != "" {
		if site, err = inventory.LoadFile(o.inventory); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", o.httpAddr)
	if err != nil {
		return fmt.Errorf("--http-addr: %w", err)
	}
	defer ln.Close()
	ctx := cmd.Context()
	n, err := controller.Open(ctx, controller.Config{NodeID: o.nodeID, DataDir: o.dataDir, RaftAddr: o.raftAddr,
		Bootstrap: o.bootstrap, StaleAfter: o.staleAfter, Logger: log})
	if err != nil {
		return err
	}
	defer n.Close()
	if site != nil {
		if err := n.WaitForLeader(ctx); err != nil {
			return err
		}
		if _, err := n.SiteOrPut(ctx, site); err != nil {
			return err
		}
	}
	log.Info("controller serving", "api", "http://"+ln.Addr().String(), "raft", n.RaftAddr(), "data_dir", o.dataDir)
	return n.Serve(ctx, ln)
}
