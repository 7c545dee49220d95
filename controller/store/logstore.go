package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
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
	// slower than etcd.
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

// LogStore is the store that holds this node's Raft log: LogStoreWAL or
// LogStoreBolt.
func (s *Store) LogStore() string { return s.logKind }

// logStoreOf says which store holds the log of dataDir: the one that
// already does, or want in a directory with no log yet. A node whose log is
// in raft.db keeps it there whatever the Config says (a release that
// changed the default must not lose a node's log); to move a node to
// another store, remove it from the cluster and join it again with an
// empty directory.
func logStoreOf(dataDir string, stable *raftboltdb.BoltStore, want string) (string, error) {
	switch _, err := os.Stat(filepath.Join(dataDir, walDir)); {
	case err == nil:
		return LogStoreWAL, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("log store: %w", err)
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
func openLogStore(dataDir, kind string, segmentSize int, stable *raftboltdb.BoltStore, hlog hclog.Logger) (logStore, error) {
	if kind == LogStoreBolt {
		return boltLog{stable}, nil
	}
	dir := filepath.Join(dataDir, walDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("log store: %w", err)
	}
	if segmentSize <= 0 {
		segmentSize = wal.DefaultSegmentSize
	}
	w, err := wal.Open(dir, wal.WithLogger(hlog.Named("wal")), wal.WithSegmentSize(segmentSize))
	if err != nil {
		return nil, fmt.Errorf("log store %s: %w", dir, err)
	}
	return w, nil
}
