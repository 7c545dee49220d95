package sim

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testAgent is a Server serving on a loopback socket for one test.
type testAgent struct {
	srv  *Server
	port uint16
}

// startAgent serves devices on 127.0.0.1:0 until the test ends, and checks
// that Serve returned cleanly.
func startAgent(tb testing.TB, devices map[string]*Device) *testAgent {
	tb.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	srv := NewServer(ServerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn, devices) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Serve: got %v, want nil", err)
		}
		conn.Close()
	})
	return &testAgent{srv: srv, port: uint16(conn.LocalAddr().(*net.UDPAddr).Port)}
}

// client returns a connected gosnmp client for community, closed at the
// end of the test.
func (a *testAgent) client(tb testing.TB, community string, version gosnmp.SnmpVersion) *gosnmp.GoSNMP {
	tb.Helper()
	c := &gosnmp.GoSNMP{
		Target: "127.0.0.1", Port: a.port, Community: community, Version: version,
		Timeout: 2 * time.Second, Retries: 1, MaxRepetitions: 25, MaxOids: gosnmp.MaxOids,
	}
	if err := c.Connect(); err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(func() { c.Conn.Close() })
	return c
}

// snmprecDir finds ../shared/snmprec beside the module root, walking up
// from this file to go.mod; the test is skipped when it is absent.
func snmprecDir(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Skip("cannot locate test source to find ../shared/snmprec")
	}
	for dir := filepath.Dir(file); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			snmprec := filepath.Join(dir, "..", "shared", "snmprec")
			if _, err := os.Stat(snmprec); err != nil {
				tb.Skipf("recordings not found at %s (../shared/snmprec beside the repo): %v", snmprec, err)
			}
			return snmprec
		}
	}
	tb.Skip("go.mod not found above the test source")
	return ""
}

// fakeClock is a settable clock for models, safe for the agent's goroutine.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
