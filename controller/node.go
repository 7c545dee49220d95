package controller

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dcplane/dcplane/controller/alerts"
	"github.com/dcplane/dcplane/controller/history"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/controller/telemetry"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
)

// Config configures a Node.
type Config struct {
	NodeID   string
	DataDir  string
	RaftAddr string // host:port; port 0 picks one
	// RaftAdvertise is the host:port the other nodes reach Raft at, when
	// it differs from RaftAddr (which binds 0.0.0.0, say). Optional.
	RaftAdvertise string
	Bootstrap     bool // make this node a new single-node cluster (no-op if it has state)
	// StaleAfter is how long a device's last good poll counts; after it
	// its readings are unknown. Three agent poll intervals is usual.
	StaleAfter time.Duration
	Samples    int              // per telemetry series; 0 means telemetry.DefaultSamples
	Now        func() time.Time // nil means time.Now
	Logger     *slog.Logger
	// APIURL is the URL at which the other nodes and the clients reach this
	// node's API (http://host:port). The node records it in the log when it
	// leads or joins, so that followers forward to it. Optional for a
	// single node.
	APIURL string
	// Join is a comma-separated list of the API URLs of controllers of the
	// cluster to join at start (any member: followers forward). Empty for
	// the first node (Bootstrap) or a node whose data directory already
	// holds the cluster.
	Join string
	// Raft's timeouts; zero keeps store's defaults.
	HeartbeatTimeout, ElectionTimeout, LeaderLeaseTimeout, CommitTimeout time.Duration
	// LogStore is where a new data directory keeps the Raft log
	// (store.LogStoreWAL or store.LogStoreBolt; "" for store.DefaultLogStore).
	LogStore string
	// Gatherer, if set, is served on /metrics beside the node's own
	// metrics: the demo puts its agent's there.
	Gatherer prometheus.Gatherer
	// AccountEvery is how often the leader records rack peaks and stale
	// racks for placement; 0 means DefaultAccountEvery.
	AccountEvery time.Duration
	// PeakCommitEvery is how often the leader commits rack peaks to the
	// log; 0 means DefaultPeakCommitEvery.
	PeakCommitEvery time.Duration
	// DeclaredOnly makes placement count declared power alone where a
	// rack's draw is unknown, instead of refusing such racks: for a cluster
	// no agent feeds (commissioning, tests). Measured draw and peaks still
	// count where known.
	DeclaredOnly bool
	// PeakHorizon is how far back a rack's recent peak looks; 0 means
	// history.DefaultHorizon (24 h).
	PeakHorizon time.Duration
	// Alerts are the site's alert thresholds; nil means
	// alerts.DefaultConfig(). The leader evaluates them every AccountEvery.
	Alerts *alerts.Config
	// Alertmanagers are the base URLs of the Alertmanagers the leader
	// delivers its alerts to (package notify), each alert to every one;
	// none: alerts are listed and logged only.
	Alertmanagers []string
	// Notifier, if set, is handed the leader's alerts after each
	// evaluation instead of the Alertmanagers' notifier: for tests.
	Notifier Notifier
	// Peers makes a client of the controllers at urls (a comma-separated
	// list of API URLs) whose requests give up after timeout: the node
	// joins the cluster of Join through one, and asks the leader how far
	// its log is committed through another (see Ready). Required; package
	// serve gives one built on api.Client.
	Peers func(urls string, timeout time.Duration) (Peer, error)
	// TLS, when set, is this node's mutual TLS: its certificate and the
	// site CA (tlsutil.Files.Config). Raft then runs over it, taking only
	// controller certificates and checking the name of the peer dialled
	// (store.Config.TLS); package serve serves the API over it and makes
	// Peers that dial over it. Nil: plaintext everywhere.
	TLS *tls.Config
	// NoAuth serves the API to anyone, as admin, with no token: for tests
	// that are not about authentication, never in production. By default
	// every call needs a token or a client certificate, and the node that
	// bootstraps a cluster writes its first admin token to AdminTokenFile
	// in DataDir.
	NoAuth bool
	// Token is the bearer token this node shows other controllers (to
	// join, and to ask the leader how far its log is committed) where no
	// controller certificate does: without TLS. An admin's token.
	Token string
}

// Node is one controller.
type Node struct {
	cfg     Config
	log     *slog.Logger
	store   *store.Store
	tel     *telemetry.Window
	reg     *prometheus.Registry
	m       *nodeMetrics
	metrics http.Handler              // of reg and cfg.Gatherer
	devices atomic.Pointer[deviceSet] // of the applied inventory
	stop    context.CancelFunc        // stops watchLeadership, placementLoop and alertLoop
	done    sync.WaitGroup            // of watchLeadership, placementLoop and alertLoop

	engine    *placement.Engine
	caughtUp  atomic.Bool   // Ready has once found the node caught up
	catchUpTo atomic.Uint64 // the leader's commit index, as first asked

	placeMu sync.Mutex      // one placement decision at a time; guards sh
	sh      *shadow         // the leader's working copy of the cluster
	peaks   *history.Record // rack peaks measured while leading
	live    liveOverlay     // what the leader knows beyond the state

	alerting *alerting // the leader's alert evaluation, forecasts, agents heard
}

// deviceSet is the IDs of the devices of the inventory at a log index.
type deviceSet struct {
	index uint64
	ids   map[string]bool
}

// Open starts a node: it opens (or bootstraps) the Raft store in DataDir.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StaleAfter <= 0 {
		return nil, errors.New("controller: StaleAfter must be positive")
	}
	if cfg.Peers == nil {
		return nil, errors.New("controller: Peers is required: the node reaches the other controllers' APIs through it")
	}
	if cfg.AccountEvery <= 0 {
		cfg.AccountEvery = DefaultAccountEvery
	}
	if cfg.PeakCommitEvery <= 0 {
		cfg.PeakCommitEvery = DefaultPeakCommitEvery
	}
	reg := prometheus.NewRegistry()
	al, am, err := openAlerting(cfg, reg)
	if err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	st, err := store.Open(ctx, store.Config{NodeID: cfg.NodeID, DataDir: cfg.DataDir, RaftAddr: cfg.RaftAddr,
		AdvertiseAddr: cfg.RaftAdvertise, TLS: cfg.TLS, Bootstrap: cfg.Bootstrap, Logger: cfg.Logger, HeartbeatTimeout: cfg.HeartbeatTimeout, ElectionTimeout: cfg.ElectionTimeout,
		LeaderLeaseTimeout: cfg.LeaderLeaseTimeout, CommitTimeout: cfg.CommitTimeout, LogStore: cfg.LogStore})
	if err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("component", "controller"), store: st,
		tel: telemetry.New(cfg.Samples, cfg.StaleAfter), reg: reg,
		engine: placement.New(), peaks: history.New(cfg.PeakHorizon, 0), alerting: al}
	n.m = newNodeMetrics(n)
	n.reg.MustRegister(n.m, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.reg.MustRegister(newTelemetryDrops(n.tel))
	if err := registerRaftMetrics(n.reg); err != nil {
		st.Close()
		return nil, fmt.Errorf("controller: %w", err)
	}
	gatherers := prometheus.Gatherers{n.reg}
	if cfg.Gatherer != nil {
		gatherers = append(gatherers, cfg.Gatherer)
	}
	n.metrics = promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{Registry: n.reg})
	wctx, stop := context.WithCancel(context.Background())
	n.stop = stop
	n.done.Add(3)
	go func() { defer n.done.Done(); n.watchLeadership(wctx) }()
	go func() { defer n.done.Done(); n.placementLoop(wctx) }()
	go func() { defer n.done.Done(); n.alertLoop(wctx) }()
	if cfg.Join != "" {
		n.done.Add(1)
		go func() { defer n.done.Done(); n.joinLoop(wctx) }()
	}
	n.done.Add(1)
	go func() { defer n.done.Done(); n.askLeaderCommit(wctx) }()
	if am != nil {
		n.done.Add(1)
		go func() { defer n.done.Done(); _ = am.Run(wctx) }()
	}
	return n, nil
}

// watchLeadership empties the telemetry window whenever this node gains or
// loses leadership: a new leader rebuilds it from the agents' next pushes,
// and must not serve what it knew before as if it were current.
func (n *Node) watchLeadership(ctx context.Context) {
	for leader := range n.store.LeaderCh(ctx) {
		n.tel.Reset()
		n.peaks.Retain(func(string) bool { return false })
		n.live.Store(nil)
		n.dropShadow()
		n.alerting.reset()
		n.log.Info("leadership changed; telemetry window emptied", "leader", leader)
		if leader {
			n.advertise(ctx)
			n.bootstrapAdminToken(ctx)
		}
	}
}

// Metrics serves the node's metrics, and Config.Gatherer's, to Prometheus:
// the handler of /metrics.
func (n *Node) Metrics() http.Handler { return n.metrics }

// RaftAddr is the address Raft listens on.
func (n *Node) RaftAddr() string { return n.store.Addr() }

// WaitForLeader waits until the cluster has a leader.
func (n *Node) WaitForLeader(ctx context.Context) error { return n.store.WaitForLeader(ctx) }

// Close stops Raft and closes the store.
func (n *Node) Close() error {
	n.stop()
	n.done.Wait()
	return n.store.Close()
}

// Report does the power accounting now. Only the leader has telemetry: a
// follower answers that it is not the leader rather than report every rack
// stale, or stale values as current.
func (n *Node) Report(context.Context) (*power.Report, error) {
	if !n.store.IsLeader() {
		return nil, n.leaderError(store.ErrNotLeader)
	}
	v := n.store.State()
	if v.Site() == nil {
		return nil, errNoInventory
	}
	rep := power.Compute(v.Site(), budgets{v}, n.tel, n.cfg.Now())
	for i := range rep.Racks {
		k := &rep.Racks[i]
		k.PlacedWatts, k.ReservedWatts = v.RackUsage(k.ID)
	}
	return rep, nil
}

// Site returns the applied inventory.
func (n *Node) Site(context.Context) (*inventory.Site, error) {
	if s := n.store.State().Site(); s != nil {
		return s, nil
	}
	return nil, errNoInventory
}

// PutSite replicates a new inventory through the Raft log.
func (n *Node) PutSite(ctx context.Context, s *inventory.Site) (uint64, error) {
	v, err := n.propose(ctx, state.PutSite{Site: s, At: n.cfg.Now()})
	if err != nil {
		return 0, n.leaderError(err)
	}
	n.log.Info("inventory applied", "site", s.Name, "racks", s.Count().Racks, "index", v.Index())
	return v.Index(), nil
}

// propose commits cmd through the log for a call. When ctx carries the
// call's audit record (wire.CallAudit) and no command of the call has
// carried it yet, the record rides in the same entry (state.Audited): the
// change and its record are committed together or not at all, in one
// commit. A command the state refuses leaves the record to the API, which
// records the call with its answer.
func (n *Node) propose(ctx context.Context, cmd state.Command) (*state.View, error) {
	ca := wire.CallAuditOf(ctx)
	if ca == nil {
		return n.store.Apply(ctx, cmd)
	}
	rec, ok := ca.Record()
	if !ok {
		return n.store.Apply(ctx, cmd)
	}
	if rec.Node == "" {
		rec.Node = n.cfg.NodeID
	}
	v, err := n.store.Apply(ctx, state.Audited{Record: rec, Command: cmd})
	if err == nil {
		ca.Carry()
	}
	return v, err
}

// Ingest takes an agent's polls into the telemetry window, as TakeTelemetry
// does for an agent that may report for every hall, and returns how many
// polls were accepted. Only the leader keeps telemetry.
func (n *Node) Ingest(ctx context.Context, b *wire.Batch) (int, error) {
	res, err := n.TakeTelemetry(ctx, b, nil)
	return res.Accepted, err
}

// knownDevices returns the IDs of the applied inventory's devices. When the
// inventory has changed it also drops from the window the devices it no
// longer has, so that the window holds nothing an agent invents.
func (n *Node) knownDevices() map[string]bool {
	v := n.store.State()
	if ds := n.devices.Load(); ds != nil && ds.index == v.Index() {
		return ds.ids
	}
	ids := map[string]bool{}
	if s := v.Site(); s != nil {
		for id := range s.Devices() {
			ids[id] = true
		}
		// A server's BMC reports under the server's ID (collectors/ipmi).
		s.Racks(func(_ *inventory.Hall, _ *inventory.Row, k *inventory.Rack) bool {
			for _, srv := range k.Servers {
				if srv.BMC != nil {
					ids[srv.ID] = true
				}
			}
			return true
		})
	}
	n.devices.Store(&deviceSet{index: v.Index(), ids: ids})
	n.tel.Retain(func(id string) bool { return ids[id] })
	return ids
}

// leaderError turns the store's not-leader error into the API's, which
// names the leader's API URL when known. Requests that only the leader
// serves are forwarded to it before they reach the node: this answers those
// that meet a change of leader on the way.
func (n *Node) leaderError(err error) error {
	if !errors.Is(err, store.ErrNotLeader) {
		return err
	}
	return n.errNotLeader()
}

// errNoInventory is the API's answer while no inventory is loaded.
var errNoInventory = wire.ErrNoInventory

// budgets adapts a state view to power.Budgets.
type budgets struct{ v *state.View }

func (b budgets) RackBudgetWatts(rack string) float64 {
	w, err := b.v.RackBudgetWatts(rack)
	if err != nil {
		return 0
	}
	return w
}

// SiteOrPut applies s unless the node already has an inventory, which it
// keeps (an inventory changed through the API must survive a restart with
// the original --inventory flag). It returns the inventory in force. On a
// node that is not the leader it applies nothing: the cluster's inventory
// stands, and it returns what this node has of it (nil while it has none).
func (n *Node) SiteOrPut(ctx context.Context, s *inventory.Site) (*inventory.Site, error) {
	// A restarted leader may not have applied its log yet: wait until it has.
	err := n.store.Barrier(ctx)
	if errors.Is(err, store.ErrNotLeader) {
		// Another node leads (this one restarted with the flags it was
		// first started with, after a failover): the inventory is the
		// cluster's, and reaches this node through the log.
		n.log.Info("not the leader: the cluster's inventory stands; --inventory only seeds a cluster that has none, through its leader")
		return n.store.State().Site(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("controller: %w", n.leaderError(err))
	}
	if cur := n.store.State().Site(); cur != nil {
		n.log.Info("keeping the replicated inventory", "site", cur.Name, "index", n.store.State().Index())
		return cur, nil
	}
	if _, err := n.PutSite(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}
