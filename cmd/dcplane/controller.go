package main

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

type controllerOptions struct {
	*globalOptions
	nodeID     string
	dataDir    string
	httpAddr   string
	raftAddr   string
	raftAdv    string
	apiURL     string
	bootstrap  bool
	join       string
	inventory  string
	staleAfter time.Duration
	declared   bool
	timeouts   raftTimeouts
	logStore   string
	alertmgrs  []string
	thresholds string
	tls        tlsFlags
}

// raftTimeouts are Raft's timing flags.
type raftTimeouts struct{ heartbeat, election, lease, commit time.Duration }

func newControllerCmd(g *globalOptions) *cobra.Command {
	o := &controllerOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run a controller node (Raft-replicated state, telemetry, API, /metrics)",
		Long: `Run a controller node. The first node of a cluster starts with --bootstrap;
the others with --join and the API URL of any member, which forwards the
request to the leader (joining again is harmless: a node may always start
with the same flags). The data directory holds the Raft log, stable store
and snapshots; a restart on the same directory keeps the state and the
membership. The API and /metrics are served on --http-addr; --api-url is
where the other controllers reach it, to forward writes to the leader.

Every port is mutual TLS: --ca-file, --cert-file and --key-file name the
site CA and this node's controller certificate (dcplane tls init, then
dcplane tls issue --role controller with the --ip and --dns the others dial
it at). Raft takes only controller certificates, and a node dialling
another checks that its certificate names the address dialled; the API
takes controller, agent and operator certificates of the CA. Without them
the node refuses to start, unless --insecure is given.

A cluster of 3 controllers survives the loss of one, of 5 the loss of two.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	host, _ := os.Hostname()
	f := cmd.Flags()
	f.StringVar(&o.nodeID, "node-id", host, "node name, stable across restarts and unique in the cluster")
	f.StringVar(&o.dataDir, "data-dir", "/var/lib/dcplane", "where the node keeps its Raft data")
	f.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:8080", "API and /metrics listen address")
	f.StringVar(&o.raftAddr, "raft-addr", "127.0.0.1:8300", "Raft listen address")
	f.StringVar(&o.raftAdv, "raft-advertise", "", "Raft address the other controllers reach this one at (default: --raft-addr)")
	f.StringVar(&o.apiURL, "api-url", "", "API URL the other controllers reach this one at (default: https:// and --http-addr; http:// with --insecure)")
	f.BoolVar(&o.bootstrap, "bootstrap", false, "start a new single-node cluster (no-op when the data dir has state)")
	f.StringVar(&o.join, "join", "", "join the cluster of these controllers' API URLs, comma-separated")
	f.DurationVar(&o.timeouts.heartbeat, "raft-heartbeat-timeout", store.DefaultHeartbeatTimeout, "a follower that hears nothing from the leader this long stands for election")
	f.DurationVar(&o.timeouts.election, "raft-election-timeout", store.DefaultElectionTimeout, "a candidate without a majority this long tries again")
	f.DurationVar(&o.timeouts.lease, "raft-leader-lease-timeout", store.DefaultLeaderLeaseTimeout, "a leader that hears from no quorum this long steps down (at most the heartbeat timeout)")
	f.DurationVar(&o.timeouts.commit, "raft-commit-timeout", store.DefaultCommitTimeout, "a leader with nothing to send heartbeats this often")
	f.StringVar(&o.logStore, "raft-log-store", cmp.Or(os.Getenv("DCPLANE_RAFT_LOG_STORE"), store.DefaultLogStore),
		"where a new data dir keeps the Raft log: wal (raft-wal, one fsync an append) or bolt (raft-boltdb's raft.db); a data dir that holds a log keeps its store (env DCPLANE_RAFT_LOG_STORE)")
	f.StringVar(&o.inventory, "inventory", "", "inventory file to apply once the node leads, if it has none yet")
	f.DurationVar(&o.staleAfter, "stale-after", 30*time.Second, "a device not read for this long has unknown readings (3 agent poll intervals)")
	f.BoolVar(&o.declared, "declared-only", false, "place on declared power where a rack's draw is unknown, instead of refusing the rack (a cluster no agent feeds: commissioning, tests)")
	f.StringArrayVar(&o.alertmgrs, "alertmanager", nil, "Alertmanager base URL the leader delivers alerts to (repeatable: each gets every alert)")
	f.StringVar(&o.thresholds, "alert-thresholds", "", "YAML file of the site's alert thresholds (example and defaults: deploy/alerts/thresholds.yaml); fields left out keep the defaults")
	o.tls.add(f, tlsutil.RoleController)
	return cmd
}

func (o *controllerOptions) run(cmd *cobra.Command) error {
	log, err := o.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	conf, err := o.tls.config(log, "dcplane controller", tlsutil.RoleController, tlsutil.RoleController)
	if err != nil {
		return err
	}
	var site *inventory.Site
	if o.inventory != "" {
		if site, err = inventory.LoadFile(o.inventory); err != nil {
			return err
		}
	}
	thresholds, err := o.alertThresholds()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.httpAddr)
	if err != nil {
		return fmt.Errorf("--http-addr: %w", err)
	}
	defer ln.Close()
	if err := store.CheckLogStore(o.logStore); err != nil {
		return usageError{fmt.Errorf("--raft-log-store %w", err)}
	}
	if o.bootstrap && o.join != "" {
		return usageError{errors.New("--bootstrap and --join: give one, for the first node or for the others")}
	}
	if o.apiURL == "" {
		o.apiURL = "https://" + ln.Addr().String()
		if conf == nil {
			o.apiURL = "http://" + ln.Addr().String()
		}
	}
	// The token a joining node shows the cluster when there is no TLS (with
	// TLS its controller certificate speaks for it): --token-file or
	// $DCPLANE_TOKEN, an admin's, e.g. the first node's admin-token.
	tok, err := o.token()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	n, err := serve.Open(ctx, controller.Config{Token: tok, NodeID: o.nodeID, DataDir: o.dataDir, RaftAddr: o.raftAddr,
		RaftAdvertise: o.raftAdv, APIURL: o.apiURL, Join: o.join,
		Bootstrap: o.bootstrap, StaleAfter: o.staleAfter, DeclaredOnly: o.declared, Logger: log, Alertmanagers: o.alertmgrs, Alerts: thresholds,
		HeartbeatTimeout: o.timeouts.heartbeat, ElectionTimeout: o.timeouts.election,
		LeaderLeaseTimeout: o.timeouts.lease, CommitTimeout: o.timeouts.commit, LogStore: o.logStore, TLS: conf})
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
	log.Info("controller serving", "api", o.apiURL, "raft", n.RaftAddr(), "data_dir", o.dataDir, "tls", conf != nil)
	return n.Serve(ctx, ln)
}

// alertThresholds reads --alert-thresholds: nil (the defaults) without it.
// A file that breaks the rules stops the controller before it opens
// anything, each problem named with its file, line and field.
func (o *controllerOptions) alertThresholds() (*alerts.Config, error) {
	if o.thresholds == "" {
		return nil, nil
	}
	data, err := os.ReadFile(o.thresholds)
	if err != nil {
		return nil, fmt.Errorf("--alert-thresholds: %w", err)
	}
	c, err := alerts.ParseConfig(o.thresholds, data)
	if err != nil {
		return nil, usageError{fmt.Errorf("--alert-thresholds:\n%w", err)}
	}
	return &c, nil
}
