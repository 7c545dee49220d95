package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"github.com/dcplane/dcplane/controller/state"
)

const (
	// retainSnapshots is how many snapshots the node keeps on disk.
	retainSnapshots = 2
	// maxPool is how many connections the transport keeps open per peer.
	maxPool = 3
	// transportTimeout bounds one transport I/O operation.
	transportTimeout = 10 * time.Second
	// boltOpenTimeout bounds the wait for the bolt file's lock, so that a
	// data directory already in use fails instead of hanging.
	boltOpenTimeout = time.Second
	// maxAppendEntries bounds the commands written (and sent to a
	// follower) in one batch; Raft's default is 64.
	maxAppendEntries = 256
	// logCacheSize is how many of the latest log entries are kept in
	// memory, so that the leader replicates them, and the state machine
	// applies them, without reading them back from the log store: several
	// batches.
	logCacheSize = 4 * maxAppendEntries
	// logFile is the bolt file that holds the stable store, and the Raft
	// log of a node whose log store is LogStoreBolt.
	logFile = "raft.db"
)

// Store is one node of the replicated controller state. Its methods are safe
// for concurrent use.
type Store struct {
	id      string
	addr    string // advertised Raft address
	dataDir string
	timeout time.Duration
	logger  *slog.Logger

	machine   *state.Machine
	raft      *raft.Raft
	trans     *raft.NetworkTransport
	stable    *raftboltdb.BoltStore // raft.db: the term and vote, and the log when logKind is LogStoreBolt
	logs      logStore
	logKind   string      // LogStoreWAL or LogStoreBolt
	walStats  *walMetrics // raft-wal's figures; nil for a bolt log
	leaders   leadership
	halted    atomic.Pointer[error] // set once by fsm.halt; cleared by a restore
	codecs    codecGate             // which bodies Apply writes: see Codec
	openIndex uint64                // last index in the log at Open
	caughtUp  atomic.Bool           // latched by Ready
	stop      chan struct{}         // closed by Close to stop watchLeadership
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Open starts a node on cfg.DataDir. With cfg.Bootstrap set and no Raft state
// in the directory, it makes the node the single voter of a new cluster; a
// directory that already holds state is never bootstrapped again. Open does
// not wait for a leader: see WaitForLeader.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{
		id: cfg.NodeID, dataDir: cfg.DataDir, timeout: cfg.ApplyTimeout, machine: state.New(), stop: make(chan struct{}),
		logger: cfg.Logger.With("component", "store", "node", cfg.NodeID),
	}
	hlog := newHCLog(cfg.Logger.With("component", "raft", "node", cfg.NodeID))
	if err := s.openRaft(ctx, cfg, hlog); err != nil {
		return nil, fmt.Errorf("open store %s in %s: %w", cfg.NodeID, cfg.DataDir, err)
	}
	s.wg.Add(1)
	go s.watchLeadership()
	s.logger.Info("store open", "addr", s.addr, "data_dir", cfg.DataDir, "log_store", s.logKind)
	return s, nil
}

// openRaft opens the transport and the stores, then Raft on top of them, and
// bootstraps if asked to and the directory is new. On error it closes what it
// opened.
func (s *Store) openRaft(ctx context.Context, cfg Config, hlog hclog.Logger) (err error) {
	trans, err := newTransport(cfg, hlog)
	if err != nil {
		return err
	}
	s.trans, s.addr = trans, string(trans.LocalAddr())
	defer func() {
		if err != nil {
			trans.Close()
		}
	}()
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.DataDir, retainSnapshots, hlog.Named("snapshot"))
	if err != nil {
		return fmt.Errorf("snapshot store: %w", err)
	}
	if s.stable, err = openBolt(filepath.Join(cfg.DataDir, logFile)); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			s.stable.Close()
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.logKind, err = logStoreOf(cfg.DataDir, s.stable, cfg.LogStore); err != nil {
		return err
	}
	if s.logKind != cfg.LogStore {
		s.logger.Info("the data directory's log stays in its store", "log_store", s.logKind, "configured", cfg.LogStore)
	}
	if s.logKind == LogStoreWAL {
		s.walStats = newWALMetrics()
	}
	if s.logs, err = openLogStore(cfg.DataDir, s.logKind, cfg.WALSegmentSize, s.walStats, s.stable, hlog); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			s.logs.Close()
		}
	}()
	if err := recordLogStore(s.stable, s.logKind); err != nil {
		return err
	}
	if s.logKind == LogStoreWAL {
		if err := dropLogBehindSnapshot(s.logs, snaps, s.logger); err != nil {
			return fmt.Errorf("log store: %w", err)
		}
	}
	existing, err := raft.HasExistingState(s.logs, s.stable, snaps)
	if err != nil {
		return fmt.Errorf("check for existing state: %w", err)
	}
	if s.openIndex, err = s.logs.LastIndex(); err != nil {
		return fmt.Errorf("read the last log index: %w", err)
	}
	logs, err := raft.NewLogCache(logCacheSize, s.logs)
	if err != nil {
		return fmt.Errorf("log cache: %w", err)
	}
	if s.raft, err = raft.NewRaft(raftConfig(cfg, hlog), (*fsm)(s), logs, s.stable, snaps, trans); err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	if err = s.bootstrap(cfg.Bootstrap, existing); err != nil {
		s.raft.Shutdown().Error() //nolint:errcheck // the bootstrap error is the one to report
	}
	return err
}

func newTransport(cfg Config, hlog hclog.Logger) (*raft.NetworkTransport, error) {
	var advertise net.Addr
	if cfg.AdvertiseAddr != "" {
		a, err := net.ResolveTCPAddr("tcp", cfg.AdvertiseAddr)
		if err != nil {
			return nil, fmt.Errorf("advertise address %s: %w", cfg.AdvertiseAddr, err)
		}
		advertise = a
	}
	if cfg.TLS != nil {
		return newTLSTransport(cfg, advertise, hlog)
	}
	t, err := raft.NewTCPTransportWithLogger(cfg.RaftAddr, advertise, maxPool, transportTimeout, hlog.Named("transport"))
	if err != nil {
		return nil, fmt.Errorf("raft transport on %s: %w", cfg.RaftAddr, err)
	}
	return t, nil
}

// openBolt opens raft.db, the stable store, and the log store of a node
// whose log is in bolt (LogStoreBolt). It syncs every commit: an
// acknowledged write is on disk.
func openBolt(path string) (*raftboltdb.BoltStore, error) {
	b, err := raftboltdb.New(raftboltdb.Options{
		Path:        path,
		BoltOptions: &bbolt.Options{Timeout: boltOpenTimeout},
	})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("log store %s: in use by another process: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("log store %s: %w", path, err)
	}
	return b, nil
}

func raftConfig(cfg Config, hlog hclog.Logger) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = hlog
	// Commands that arrive together are written in one batch with one
	// fsync: a buffered apply channel lets up to MaxAppendEntries of them
	// queue while the previous batch is written.
	rc.BatchApplyCh = true
	rc.MaxAppendEntries = maxAppendEntries
	for _, t := range []struct {
		to  *time.Duration
		val time.Duration
	}{{&rc.HeartbeatTimeout, cfg.HeartbeatTimeout}, {&rc.ElectionTimeout, cfg.ElectionTimeout},
		{&rc.LeaderLeaseTimeout, cfg.LeaderLeaseTimeout}, {&rc.CommitTimeout, cfg.CommitTimeout}} {
		if t.val > 0 {
			*t.to = t.val
		}
	}
	if cfg.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = cfg.SnapshotThreshold
	}
	if cfg.SnapshotInterval > 0 {
		rc.SnapshotInterval = cfg.SnapshotInterval
	}
	if cfg.TrailingLogs > 0 {
		rc.TrailingLogs = cfg.TrailingLogs
	}
	if cfg.tune != nil {
		cfg.tune(rc)
	}
	return rc
}

// bootstrap makes this node the single voter of a new cluster when asked to
// and the data directory holds no Raft state yet.
func (s *Store) bootstrap(want, existing bool) error {
	switch {
	case !want && !existing:
		s.logger.Warn("no raft state in the data directory and not bootstrapping: this node waits to be joined to a cluster " +
			"(start the first node of a new cluster with --bootstrap)")
		return nil
	case !want:
		return nil
	case existing:
		s.logger.Info("data directory already holds raft state, not bootstrapping")
		return nil
	}
	f := s.raft.BootstrapCluster(raft.Configuration{Servers: []raft.Server{{
		Suffrage: raft.Voter, ID: raft.ServerID(s.id), Address: raft.ServerAddress(s.addr),
	}}})
	if err := f.Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("bootstrap: %w", err)
	}
	s.logger.Info("bootstrapped a new cluster")
	return nil
}

// watchLeadership passes Raft's leadership changes on to LeaderCh's
// subscribers until Close.
func (s *Store) watchLeadership() {
	defer s.wg.Done()
	ch := s.raft.LeaderCh()
	for {
		select {
		case leader := <-ch:
			s.logger.Info("leadership changed", "leader", leader)
			s.codecs.invalidate() // the configuration may have changed under another leader
			s.leaders.publish(leader)
		case <-s.stop:
			return
		}
	}
}

// Close stops the node: it shuts Raft down, closes its transport and stores
// and closes every LeaderCh channel. It returns once every goroutine the
// store started has returned. Calls after the first return the first's
// result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if err := s.raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("raft shutdown: %w", err))
		}
		// Raft closed the transport's listener; close the connections it
		// dialled too, so that the peers' handlers return at once.
		s.trans.CloseStreams()
		close(s.stop)
		s.wg.Wait()
		s.leaders.close()
		if err := s.logs.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close log store: %w", err))
		}
		if err := s.stable.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close stable store: %w", err))
		}
		if s.closeErr = errors.Join(errs...); s.closeErr != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.id, s.closeErr)
		}
		s.logger.Info("store closed")
	})
	return s.closeErr
}
