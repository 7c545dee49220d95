package store

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// DefaultApplyTimeout is the ApplyTimeout of a Config that leaves it zero.
const DefaultApplyTimeout = 10 * time.Second

// Raft's timeouts of a Config that leaves them zero: hashicorp/raft's own
// defaults.
const (
	DefaultHeartbeatTimeout   = time.Second
	DefaultElectionTimeout    = time.Second
	DefaultLeaderLeaseTimeout = 500 * time.Millisecond
	DefaultCommitTimeout      = 50 * time.Millisecond
)

// Config says how to open a Store.
type Config struct {
	// NodeID names the node in the cluster. It must be stable across
	// restarts and unique in the cluster.
	NodeID string
	// DataDir holds the node's Raft log, stable store and snapshots. It is
	// created if missing.
	DataDir string
	// RaftAddr is the host:port that Raft listens on. Port 0 picks a free
	// port; Addr reports the address advertised to the other nodes.
	RaftAddr string
	// AdvertiseAddr is the host:port the other nodes reach this one at, when
	// it differs from RaftAddr (e.g. RaftAddr binds 0.0.0.0). Optional.
	AdvertiseAddr string
	// TLS, when set, carries Raft over mutual TLS: this node's certificate
	// and the site CA (see tlsutil.Files.Config). Whatever it says, the
	// Raft port then takes only TLS 1.3 peers whose certificate carries the
	// controller role, and a node dialling a peer checks the peer's
	// certificate names its Raft address. Nil keeps Raft in plaintext.
	TLS *tls.Config
	// LogStore is where a new data directory keeps its Raft log:
	// LogStoreWAL or LogStoreBolt; "" means DefaultLogStore. A directory
	// that already holds a log keeps it in its store whatever this says.
	LogStore string
	// WALSegmentSize is the size in bytes at which raft-wal starts a new
	// segment file; zero keeps raft-wal's 64 MiB, or the value of the
	// environment variable DCPLANE_RAFT_WAL_SEGMENT_SIZE when set (the
	// fault tests make a follower lag past a snapshot with small ones:
	// raft-wal still serves compacted entries from its open segment).
	WALSegmentSize int
	// Bootstrap makes this node the single voter of a new cluster. It is a
	// no-op on a data directory that already holds Raft state.
	Bootstrap bool
	// Logger receives the store's logs and Raft's. Nil discards them.
	Logger *slog.Logger
	// ApplyTimeout bounds how long Apply, Join and Barrier wait for Raft to
	// accept the request; the context bounds the whole call. Zero means
	// DefaultApplyTimeout.
	ApplyTimeout time.Duration

	// Raft's timeouts; zero keeps Raft's default (DefaultHeartbeatTimeout
	// and the others). On a LAN the defaults elect a new leader within 1 to
	// 2 s of losing the old one; shorter ones fail over faster but risk
	// needless elections on a loaded host.
	HeartbeatTimeout   time.Duration // a follower without contact this long stands for election
	ElectionTimeout    time.Duration // a candidate without a majority this long tries again
	LeaderLeaseTimeout time.Duration // a leader without a quorum's contact this long steps down
	CommitTimeout      time.Duration // a leader with nothing to send sends a heartbeat this often

	// Snapshots: a node snapshots its state when SnapshotThreshold entries
	// were appended since its last snapshot (it looks every
	// SnapshotInterval, with jitter), and keeps TrailingLogs entries of log
	// before it, so that a follower lagging less than that catches up from
	// the log rather than a whole snapshot. Zero keeps Raft's default
	// (8192 entries, 120 s, 10240 entries), or the value of the environment
	// variable DCPLANE_RAFT_SNAPSHOT_THRESHOLD, DCPLANE_RAFT_SNAPSHOT_INTERVAL
	// or DCPLANE_RAFT_TRAILING_LOGS when set: the fault tests make a
	// follower lag past a snapshot of real controller processes with them.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64

	// tune, when set, adjusts Raft's configuration (tests shorten timeouts).
	tune func(*raft.Config)
}

// Environment variables that set the snapshot fields a Config leaves zero.
const (
	envSnapshotThreshold = "DCPLANE_RAFT_SNAPSHOT_THRESHOLD"
	envSnapshotInterval  = "DCPLANE_RAFT_SNAPSHOT_INTERVAL"
	envTrailingLogs      = "DCPLANE_RAFT_TRAILING_LOGS"
	envWALSegmentSize    = "DCPLANE_RAFT_WAL_SEGMENT_SIZE"
)

// maxWALSegment bounds WALSegmentSize: raft-wal keeps offsets in 32 bits.
const maxWALSegment = 1 << 30

// snapshotsFromEnv fills the snapshot fields left zero from the environment
// (read with getenv) and says which value it could not parse.
func (c *Config) snapshotsFromEnv(getenv func(string) string) error {
	var errs []error
	for _, u := range []struct {
		env string
		to  *uint64
	}{{envSnapshotThreshold, &c.SnapshotThreshold}, {envTrailingLogs, &c.TrailingLogs}} {
		if v := getenv(u.env); v != "" && *u.to == 0 {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: want a count of log entries", u.env, v))
			}
			*u.to = n
		}
	}
	if v := getenv(envWALSegmentSize); v != "" && c.WALSegmentSize == 0 {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a size in bytes", envWALSegmentSize, v))
		}
		c.WALSegmentSize = n
	}
	if v := getenv(envSnapshotInterval); v != "" && c.SnapshotInterval == 0 {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want a duration such as 5s", envSnapshotInterval, v))
		}
		c.SnapshotInterval = d
	}
	return errors.Join(errs...)
}

// withDefaults checks the config and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.NodeID == "" {
		errs = append(errs, errors.New("NodeID is required"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("DataDir is required"))
	}
	if c.RaftAddr == "" {
		errs = append(errs, errors.New("RaftAddr is required"))
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"ApplyTimeout", c.ApplyTimeout}, {"HeartbeatTimeout", c.HeartbeatTimeout}, {"ElectionTimeout", c.ElectionTimeout},
		{"LeaderLeaseTimeout", c.LeaderLeaseTimeout}, {"CommitTimeout", c.CommitTimeout}} {
		if d.d < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %v", d.name, d.d))
		}
	}
	if c.LeaderLeaseTimeout > 0 && c.HeartbeatTimeout > 0 && c.LeaderLeaseTimeout > c.HeartbeatTimeout {
		errs = append(errs, fmt.Errorf("LeaderLeaseTimeout (%v) must not exceed HeartbeatTimeout (%v)", c.LeaderLeaseTimeout, c.HeartbeatTimeout))
	}
	if c.LogStore != "" {
		if err := CheckLogStore(c.LogStore); err != nil {
			errs = append(errs, fmt.Errorf("LogStore %w", err))
		}
	}
	errs = append(errs, c.snapshotsFromEnv(os.Getenv))
	if c.WALSegmentSize < 0 || c.WALSegmentSize > maxWALSegment {
		errs = append(errs, fmt.Errorf("WALSegmentSize must be 0 to %d bytes (1 GiB), got %d", maxWALSegment, c.WALSegmentSize))
	}
	if c.SnapshotInterval < 0 {
		errs = append(errs, fmt.Errorf("SnapshotInterval must not be negative, got %v", c.SnapshotInterval))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("store config: %w", err)
	}
	if c.LogStore == "" {
		c.LogStore = DefaultLogStore
	}
	if c.ApplyTimeout == 0 {
		c.ApplyTimeout = DefaultApplyTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
