package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/dcplane/dcplane/controller/state"
)

// TestLogStores: each store holds the log a node replays after a restart,
// and ReadLog reads it back: every command applied, in order.
func TestLogStores(t *testing.T) {
	for _, kind := range []string{LogStoreWAL, LogStoreBolt} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig("n1", dir, true)
			cfg.LogStore = kind
			s := openLeader(t, cfg)
			if s.logKind != kind {
				t.Fatalf("log store of a new directory: got %q, want %q", s.logKind, kind)
			}
			putSite(t, s)
			var want []uint64
			for i := range 5 {
				v, err := s.Apply(testContext(t), state.RecordRackPeaks{Peaks: map[string]float64{rackA: float64(1000 + i)}, At: at})
				if err != nil {
					t.Fatalf("apply: got %v, want nil", err)
				}
				want = append(want, v.Index())
			}
			top := want[len(want)-1]
			hash, err := s.State().Hash()
			if err != nil {
				t.Fatalf("hash: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close: got %v, want nil", err)
			}
			_, err = os.Stat(filepath.Join(dir, walDir))
			if hasWAL := err == nil; hasWAL != (kind == LogStoreWAL) {
				t.Errorf("%s exists: got %v, want %v", walDir, hasWAL, kind == LogStoreWAL)
			}

			var peaks []uint64
			err = ReadLog(dir, func(index uint64, data []byte) error {
				if state.MessageType(data[0]) == state.RecordRackPeaksType {
					peaks = append(peaks, index)
				}
				return nil
			})
			if err != nil || !equalIndexes(peaks, want) {
				t.Errorf("ReadLog: got %v, %v, want the peaks at %v", peaks, err, want)
			}

			cfg.Bootstrap = false
			s = open(t, cfg)
			if err := s.WaitForLeader(testContext(t)); err != nil {
				t.Fatalf("WaitForLeader: got %v, want nil", err)
			}
			waitFor(t, "the log to be replayed", func() bool { return s.State().Index() >= top })
			if got, err := s.State().Hash(); err != nil || got != hash {
				t.Errorf("state after the restart: got hash %s, %v, want %s", got, err, hash)
			}
		})
	}
}

func equalIndexes(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLogStoreKept: a data directory keeps its log where it is, whatever the
// Config asks, so that a release that changed the default store does not
// lose a node's log; the log is replayed from it, and no second log begins.
func TestLogStoreKept(t *testing.T) {
	for _, tt := range []struct{ had, asked string }{{LogStoreBolt, LogStoreWAL}, {LogStoreWAL, LogStoreBolt}} {
		t.Run(tt.had+" asked "+tt.asked, func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig("n1", dir, true)
			cfg.LogStore = tt.had
			s := openLeader(t, cfg)
			top := putSite(t, s).Index()
			if err := s.Close(); err != nil {
				t.Fatalf("Close: got %v, want nil", err)
			}

			logs := &syncBuffer{}
			cfg.LogStore, cfg.Bootstrap, cfg.Logger = tt.asked, false, testLogger(logs)
			s = open(t, cfg)
			if s.logKind != tt.had {
				t.Fatalf("log store: got %q, want %q (the directory's)", s.logKind, tt.had)
			}
			if err := s.WaitForLeader(testContext(t)); err != nil {
				t.Fatalf("WaitForLeader: got %v, want nil", err)
			}
			waitFor(t, "the log to be replayed", func() bool { return s.State().Index() >= top })
			checkSite(t, s.State())
			if !strings.Contains(logs.String(), "stays in its store") {
				t.Errorf("logs: got\n%s\nwant a line saying the log stays in its store", logs)
			}
			_, err := os.Stat(filepath.Join(dir, walDir))
			if hasWAL := err == nil; hasWAL != (tt.had == LogStoreWAL) {
				t.Errorf("%s exists: got %v, want %v", walDir, hasWAL, tt.had == LogStoreWAL)
			}
		})
	}
}

// TestLogStoreDefault: a new directory gets DefaultLogStore, and raft.db
// then holds no log entry.
func TestLogStoreDefault(t *testing.T) {
	dir := t.TempDir()
	s := openLeader(t, testConfig("n1", dir, true))
	putSite(t, s)
	if s.logKind != DefaultLogStore {
		t.Errorf("log store: got %q, want %q", s.logKind, DefaultLogStore)
	}
	if last, err := s.stable.LastIndex(); err != nil || last != 0 {
		t.Errorf("raft.db's last log index: got %d, %v, want 0 (the log is in %s)", last, err, walDir)
	}
}

// TestLogInUse: a data directory a node holds cannot be opened again,
// whichever store holds the log: the second open fails at once, naming the
// store, instead of waiting for the lock.
func TestLogInUse(t *testing.T) {
	for _, kind := range []string{LogStoreWAL, LogStoreBolt} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig("n1", dir, true)
			cfg.LogStore = kind
			openLeader(t, cfg)
			err := ReadLog(dir, func(uint64, []byte) error { return nil })
			if err == nil || !strings.Contains(err.Error(), "timeout") {
				t.Errorf("ReadLog of a running node: got %v, want a lock timeout", err)
			}
			cfg.NodeID = "n2"
			if _, err := Open(testContext(t), cfg); err == nil || !strings.Contains(err.Error(), "in use by another process") {
				t.Errorf("Open of a running node's directory: got %v, want it in use", err)
			}
		})
	}
}

func TestLogStoreConfig(t *testing.T) {
	base := Config{NodeID: "n1", DataDir: "d", RaftAddr: "127.0.0.1:0"}
	for _, kind := range []string{"", LogStoreWAL, LogStoreBolt} {
		cfg := base
		cfg.LogStore = kind
		got, err := cfg.withDefaults()
		want := kind
		if want == "" {
			want = DefaultLogStore
		}
		if err != nil || got.LogStore != want {
			t.Errorf("LogStore %q: got %q, %v, want %q", kind, got.LogStore, err, want)
		}
	}
	cfg := base
	cfg.LogStore = "leveldb"
	if _, err := cfg.withDefaults(); err == nil || !strings.Contains(err.Error(), `LogStore "leveldb"`) {
		t.Errorf("LogStore leveldb: got %v, want an error naming it", err)
	}
	cfg = base
	cfg.WALSegmentSize = 4 << 30
	if _, err := cfg.withDefaults(); err == nil || !strings.Contains(err.Error(), "WALSegmentSize") {
		t.Errorf("WALSegmentSize 4 GiB: got %v, want an error naming it", err)
	}
}

// TestLogBehindSnapshot: a raft-wal node that stopped between installing a
// snapshot and emptying its log (its log ends before the snapshot) starts,
// leads and commits: the log, whose entries the snapshot holds, is emptied
// at start. raft-wal takes no gap, so without it every append fails.
func TestLogBehindSnapshot(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig("n1", dir, true)
	s := openLeader(t, cfg)
	n := putSite(t, s).Index()
	if err := s.raft.Snapshot().Error(); err != nil {
		t.Fatalf("Snapshot: got %v, want nil", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}
	w, err := openWAL(dir, 0, nil, hclog.NewNullLogger())
	if err != nil {
		t.Fatalf("open the WAL: %v", err)
	}
	if err := w.DeleteRange(n-1, n); err != nil { // the log now ends at n-2, the snapshot at n
		t.Fatalf("cut the log: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	logs := &syncBuffer{}
	cfg.Bootstrap, cfg.Logger = false, testLogger(logs)
	s = openLeader(t, cfg)
	checkSite(t, s.State())
	if _, err := s.Apply(testContext(t), state.SetRackBudget{Rack: rackA, Watts: 11000, At: at}); err != nil {
		t.Fatalf("Apply after the start: got %v, want nil", err)
	}
	if !strings.Contains(logs.String(), "the log ends before the latest snapshot") {
		t.Errorf("logs: got\n%s\nwant a warning that the log was emptied", logs)
	}
}

// TestWALMissing: a node whose raft.db says its log is in raft-wal does not
// start without wal/ (it would forget what it acknowledged): the error says
// what is missing and what to do.
func TestWALMissing(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig("n1", dir, true)
	s := openLeader(t, cfg)
	putSite(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}
	if err := os.RemoveAll(filepath.Join(dir, walDir)); err != nil {
		t.Fatal(err)
	}
	cfg.Bootstrap = false
	_, err := Open(testContext(t), cfg)
	if err == nil || !strings.Contains(err.Error(), "which is missing") || !strings.Contains(err.Error(), "cluster remove") {
		t.Errorf("Open without wal/: got %v, want an error saying wal/ is missing and how to rejoin", err)
	}
}
