package sim

import (
	"context"
	"net"
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
