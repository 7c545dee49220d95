package store

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind, but for the
// waiter of a Raft future queued as its node shut down, which
// hashicorp/raft never answers (see store.(*Store).await).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/dcplane/dcplane/controller/store.(*Store).await.func1"))
}

// testTimeout bounds every wait in these tests.
const testTimeout = 15 * time.Second

// at is the time carried by the tests' commands.
var at = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// fastRaft shortens Raft's timeouts so that a loopback cluster elects a
// leader in a fraction of a second.
func fastRaft(c *raft.Config) {
	c.HeartbeatTimeout = 150 * time.Millisecond
	c.ElectionTimeout = 150 * time.Millisecond
	c.LeaderLeaseTimeout = 100 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testLogger logs to w, and to stderr too when STORE_TEST_LOG is set.
func testLogger(w io.Writer) *slog.Logger {
	if os.Getenv("STORE_TEST_LOG") != "" {
		w = io.MultiWriter(w, os.Stderr)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testConfig is a node on a free loopback port.
func testConfig(id, dir string, bootstrap bool) Config {
	return Config{
		NodeID: id, DataDir: dir, RaftAddr: "127.0.0.1:0", Bootstrap: bootstrap,
		Logger: testLogger(io.Discard), ApplyTimeout: 5 * time.Second, tune: fastRaft,
	}
}

// open opens a store that is closed when the test ends.
func open(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: got %v, want nil", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: got %v, want nil", err)
		}
	})
	return s
}

// openLeader opens a bootstrapped single node and waits until it leads.
func openLeader(t *testing.T, cfg Config) *Store {
	t.Helper()
	cfg.Bootstrap = true
	s := open(t, cfg)
	waitFor(t, "node to lead", s.IsLeader)
	return s
}

// testContext is the test's context with testTimeout.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds, failing the test after testTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: got nothing after %v, want it to happen", what, testTimeout)
		}
		<-tick.C
	}
}
