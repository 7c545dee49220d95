package store

import (
	"fmt"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// ReadLog calls fn with every command entry of the Raft log in a stopped
// node's data directory, in index order, whichever store holds it: the
// audit of what was committed (entries past the commit index of a node that
// crashed are included; a caller comparing with acknowledged writes only
// needs them all present). It fails if the node is running (its files are
// locked). A raft-wal log is opened as the node opens it, which may write
// to wal/ as the node's next start would (a new segment, its meta file):
// copy the directory first to audit it untouched. Two ReadLogs of one
// directory wait for each other.
func ReadLog(dataDir string, fn func(index uint64, data []byte) error) error {
	path := filepath.Join(dataDir, logFile)
	b, err := raftboltdb.New(raftboltdb.Options{Path: path, BoltOptions: &bbolt.Options{Timeout: boltOpenTimeout, ReadOnly: true}})
	if err != nil {
		return fmt.Errorf("read log %s: %w", path, err)
	}
	defer b.Close()
	kind, err := logStoreOf(dataDir, b, LogStoreBolt)
	if err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	logs, err := openLogStore(dataDir, kind, 0, nil, b, hclog.NewNullLogger())
	if err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	defer logs.Close()
	if kind == LogStoreWAL {
		path = filepath.Join(dataDir, walDir)
	}
	first, err := logs.FirstIndex()
	if err != nil {
		return fmt.Errorf("read log %s: %w", path, err)
	}
	last, err := logs.LastIndex()
	if err != nil {
		return fmt.Errorf("read log %s: %w", path, err)
	}
	for i := first; i <= last && i > 0; i++ {
		var l raft.Log
		if err := logs.GetLog(i, &l); err != nil {
			return fmt.Errorf("read log %s: entry %d: %w", path, i, err)
		}
		if l.Type != raft.LogCommand {
			continue
		}
		if err := fn(l.Index, l.Data); err != nil {
			return err
		}
	}
	return nil
}
