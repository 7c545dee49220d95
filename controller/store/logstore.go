package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
)

// The stores that can hold a node's Raft log (Config.LogStore). The stable
// store (the current term and the vote) is raft-boltdb's raft.db with
// either.
const (
	// LogStoreWAL keeps the log in hashicorp/raft-wal's segment files under
	// DATA_DIR/wal: an append is one write and one fsync on each node.
	LogStoreWAL = "wal"
	// LogStoreBolt keeps the log in raft-boltdb's raft.db beside the stable
	// store: an append is a bolt transaction, its pages then its meta page,
	// each fdatasync'd (two syncs). The only store before raft-wal.
	LogStoreBolt = "bolt"
	// DefaultLogStore is the store a new data directory gets when the
	// Config names none. Measured in `dcplane bench raft` (docs/
	// benchmarks.md): with one command in flight raft-wal commits about
	// twice as many a second as raft-boltdb, whose two syncs a node made it
	// slower than etcd. Known, upstream: hashicorp/raft 1.7.3 mishandles a
	// snapshot sent to a follower whose log runs past it with entries of an
	// older term (hashicorp/raft#697, open): with raft-wal the follower
	// panics, with raft-boltdb it takes the snapshot again and again.
	DefaultLogStore = LogStoreWAL
)

// walDir is the directory of the data directory that holds raft-wal's
// segments and its meta file.
const walDir = "wal"

// logStore is a node's Raft log, closed with the node.
type logStore interface {
	raft.LogStore
	io.Closer
}

// boltLog is the log in raft.db. It is the stable store too, which the
// Store closes itself, so closing the log does nothing.
type boltLog struct{ *raftboltdb.BoltStore }

func (boltLog) Close() error { return nil }

// CheckLogStore says whether kind names a log store: LogStoreWAL or
// LogStoreBolt.
func CheckLogStore(kind string) error {
	if kind == LogStoreWAL || kind == LogStoreBolt {
		return nil
	}
	return fmt.Errorf("%q: want %s or %s", kind, LogStoreWAL, LogStoreBolt)
}

// LogStore is the store that holds this node's Raft log: LogStoreWAL or
// LogStoreBolt.
func (s *Store) LogStore() string { return s.logKind }

// logStoreKey is raft.db's record of the store that holds the log, kept
// beside Raft's term and vote once a node has opened its log.
var logStoreKey = []byte("dcplane.log_store")

// logStoreOf says which store holds the log of dataDir: the one that
// already does, or want in a directory with no log yet. A node whose log is
// in raft.db keeps it there whatever the Config says (a release that
// changed the default must not lose a node's log); to move a node to
// another store, remove it from the cluster and join it again with an
// empty directory. A directory whose raft.db says its log is in raft-wal
// but has no wal/ is refused: starting it with an empty log would forget
// what it acknowledged.
func logStoreOf(dataDir string, stable *raftboltdb.BoltStore, want string) (string, error) {
	switch _, err := os.Stat(filepath.Join(dataDir, walDir)); {
	case err == nil:
		return LogStoreWAL, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("log store: %w", err)
	}
	had, err := stable.Get(logStoreKey)
	if err != nil && !errors.Is(err, raftboltdb.ErrKeyNotFound) {
		return "", fmt.Errorf("log store %s: %w", filepath.Join(dataDir, logFile), err)
	}
	if string(had) == LogStoreWAL {
		return "", fmt.Errorf("log store: %s says the Raft log is in %s, which is missing: restore it from a backup of the node, "+
			"or remove the node from the cluster (dcplane cluster remove), empty %s and join it again", logFile, filepath.Join(dataDir, walDir), dataDir)
	}
	last, err := stable.LastIndex()
	if err != nil {
		return "", fmt.Errorf("log store %s: %w", filepath.Join(dataDir, logFile), err)
	}
	if last > 0 {
		return LogStoreBolt, nil
	}
	return want, nil
}

// openLogStore opens the log of dataDir in the store kind; the bolt log is
// stable itself. raft.db, opened first and locked, keeps a second process
// out of the directory (raft-wal would wait for its own lock for ever).
func openLogStore(dataDir, kind string, segmentSize int, stats *walMetrics, stable *raftboltdb.BoltStore, hlog hclog.Logger) (logStore, error) {
	if kind == LogStoreWAL {
		return openWAL(dataDir, segmentSize, stats, hlog)
	}
	return boltLog{stable}, nil
}

// recordLogStore records in raft.db the store that holds the log, once.
func recordLogStore(stable *raftboltdb.BoltStore, kind string) error {
	if had, err := stable.Get(logStoreKey); err == nil && string(had) == kind {
		return nil
	}
	if err := stable.Set(logStoreKey, []byte(kind)); err != nil {
		return fmt.Errorf("log store: record it in %s: %w", logFile, err)
	}
	return nil
}

// openWAL opens the raft-wal log under dataDir/wal, creating it durably:
// the data directory is synced once wal/ is in it, so that a power cut
// cannot lose the directory while raft.db keeps the term and vote.
func openWAL(dataDir string, segmentSize int, stats *walMetrics, hlog hclog.Logger) (logStore, error) {
	dir := filepath.Join(dataDir, walDir)
	switch err := os.Mkdir(dir, 0o750); {
	case err == nil:
		if err := syncDir(dataDir); err != nil {
			return nil, fmt.Errorf("log store: %w", err)
		}
	case !errors.Is(err, os.ErrExist):
		return nil, fmt.Errorf("log store: %w", err)
	}
	if segmentSize <= 0 {
		segmentSize = wal.DefaultSegmentSize
	}
	if stats == nil {
		stats = newWALMetrics()
	}
	meta := &metadb.BoltMetaDB{}
	w, err := wal.Open(dir, wal.WithLogger(hlog.Named("wal")), wal.WithSegmentSize(segmentSize), wal.WithMetaStore(meta),
		wal.WithMetricsCollector(stats))
	if err != nil {
		meta.Close() // raft-wal leaves it open when it fails
		return nil, fmt.Errorf("log store %s: %w", dir, err)
	}
	return w, nil
}

// syncDir fsyncs a directory, so that the entries made in it last.
func syncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// dropLogBehindSnapshot empties a raft-wal log that ends before the node's
// latest snapshot. hashicorp/raft empties such a log itself right after it
// installs a snapshot (a store that takes no gaps, as raft-wal, cannot
// append past one); a node that died between the two restarts with both,
// and would then fail every append after its log's end. Every entry of such
// a log is in the snapshot.
func dropLogBehindSnapshot(logs raft.LogStore, snaps raft.SnapshotStore, logger *slog.Logger) error {
	list, err := snaps.List()
	if err != nil || len(list) == 0 {
		return err
	}
	first, err := logs.FirstIndex()
	if err != nil {
		return err
	}
	last, err := logs.LastIndex()
	if err != nil {
		return err
	}
	if last == 0 || last >= list[0].Index {
		return nil
	}
	logger.Warn("the log ends before the latest snapshot (the node stopped while installing it): emptying the log, whose entries the snapshot holds",
		"log_first", first, "log_last", last, "snapshot", list[0].Index)
	return logs.DeleteRange(first, last)
}
