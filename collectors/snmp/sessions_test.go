package snmp

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/dcplane/dcplane/sim"
)

// countingDialer hands out fakeClients serving pdus, counting dials; each
// client's walks fail with the error next holds, if any.
type countingDialer struct {
	pdus  []gosnmp.SnmpPDU
	mu    sync.Mutex
	dials int
	made  []*fakeClient
	next  error
}

func (d *countingDialer) dial(_ context.Context, _ Target) (Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dials++
	c := &fakeClient{pdus: d.pdus}
	c.walk = func(ctx context.Context, root string) ([]gosnmp.SnmpPDU, error) {
		d.mu.Lock()
		err := d.next
		d.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return (&fakeClient{pdus: d.pdus}).BulkWalkAll(ctx, root)
	}
	d.made = append(d.made, c)
	return c, nil
}

func (d *countingDialer) fail(err error) {
	d.mu.Lock()
	d.next = err
	d.mu.Unlock()
}

// TestSessionsKept polls through a Collector that keeps sessions and checks
// when a session serves the next poll and when it is dropped.
func TestSessionsKept(t *testing.T) {
	fixture := loadVarbinds(t, filepath.Join("testdata", "rpdu2_nps.snmprec"))
	target := Target{Address: "192.0.2.10:161", Credentials: Credentials{Community: NewSecret("public")}}
	timeout := fmt.Errorf("walk: %w", gosnmp.ErrMaxRetriesExceeded)
	tests := []struct {
		name      string
		err       error // the second poll's
		wantDials int   // over three polls
	}{
		{name: "answers", wantDials: 1},
		{name: "timeout", err: timeout, wantDials: 1},
		{name: "engine ID changed", err: fmt.Errorf("walk: %w", gosnmp.ErrUnknownEngineID), wantDials: 2},
		{name: "not in time window (reboot)", err: fmt.Errorf("walk: %w", gosnmp.ErrNotInTimeWindow), wantDials: 2},
		{name: "wrong digest", err: fmt.Errorf("walk: %w", gosnmp.ErrWrongDigest), wantDials: 2},
		{name: "undecodable packet", err: fmt.Errorf("walk: %w", gosnmp.ErrInvalidPacketLength), wantDials: 2},
		{name: "cancelled", err: fmt.Errorf("walk: %w", context.Canceled), wantDials: 2},
		{name: "the profile's decode error", err: fmt.Errorf("walk: %w", ErrDecode), wantDials: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &countingDialer{pdus: fixture}
			c := newCollector(nil, d.dial, nil, true)
			for i := range 3 {
				if i == 1 {
					d.fail(tt.err)
				}
				st := c.Poll(t.Context(), target, rpdu2Profile)
				d.fail(nil)
				if st.OK != (i != 1 || tt.err == nil) {
					t.Fatalf("poll %d: got OK=%v (%s)", i, st.OK, st.Err)
				}
			}
			if d.dials != tt.wantDials {
				t.Errorf("dials over 3 polls: got %d, want %d", d.dials, tt.wantDials)
			}
			closed := 0
			for _, m := range d.made {
				closed += m.closed
			}
			if closed != tt.wantDials-1 {
				t.Errorf("sessions closed before Close: got %d, want %d", closed, tt.wantDials-1)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if last := d.made[len(d.made)-1]; last.closed != 1 {
				t.Errorf("the kept session: closed %d times by Close, want 1", last.closed)
			}
			c.Poll(t.Context(), target, rpdu2Profile) // after Close: a session of its own, closed after
			if last := d.made[len(d.made)-1]; last.closed != 1 || c.pool.len() != 0 {
				t.Errorf("a poll after Close: its session closed %d times, %d kept, want 1 and 0", last.closed, c.pool.len())
			}
		})
	}
	t.Run("other credentials, other session", func(t *testing.T) {
		d := &countingDialer{pdus: fixture}
		c := newCollector(nil, d.dial, nil, true)
		other := target
		other.Credentials = Credentials{Community: NewSecret("private")}
		for _, tg := range []Target{target, other, target, other} {
			c.Poll(t.Context(), tg, rpdu2Profile)
		}
		if d.dials != 2 {
			t.Errorf("dials: got %d, want 2 (one per credentials)", d.dials)
		}
	})
	t.Run("injected dialler: a session per poll", func(t *testing.T) {
		d := &countingDialer{pdus: fixture}
		c := NewCollectorWith(nil, d.dial, nil)
		c.Poll(t.Context(), target, rpdu2Profile)
		c.Poll(t.Context(), target, rpdu2Profile)
		if d.dials != 2 || d.made[0].closed != 1 || c.Close() != nil {
			t.Errorf("got %d dials, first closed %d times, want 2 and 1", d.dials, d.made[0].closed)
		}
	})
}

type closeCounter struct{ n *int }

func (c closeCounter) Close() error { *c.n++; return nil }

func TestSessionPoolBound(t *testing.T) {
	p := newSessionPool(2)
	closed := make([]int, 4)
	key := func(i int) sessionKey { return keyOf(Target{Address: fmt.Sprintf("192.0.2.%d:161", i)}) }
	for i := range 3 {
		p.put(key(i), closeCounter{&closed[i]})
	}
	if p.len() != 2 || closed[0] != 1 || closed[1] != 0 || closed[2] != 0 {
		t.Errorf("after 3 puts in a pool of 2: %d kept, closed %v, want 2 kept and the first closed", p.len(), closed)
	}
	if p.take(key(0)) != nil || p.take(key(1)) == nil || p.take(key(1)) != nil {
		t.Error("take: want the evicted one gone and a kept one taken once")
	}
	p.put(key(2), closeCounter{&closed[3]}) // a second session of a device already kept
	if closed[3] != 1 || p.len() != 1 {
		t.Errorf("duplicate put: closed %d, %d kept, want it closed and 1 kept", closed[3], p.len())
	}
	if newSessionPool(0).max != DefaultMaxSessions || NewCollectorSessions(nil, 3).pool.max != 3 {
		t.Error("limits: want DefaultMaxSessions for 0 and the one given otherwise")
	}
}

func TestSessionKey(t *testing.T) {
	v3 := func(auth string) Target {
		return Target{Address: "a:161", Credentials: Credentials{USM: &USM{User: "u", AuthPassphrase: NewSecret(auth)}}}
	}
	v2 := Target{Address: "a:161", Credentials: Credentials{Community: NewSecret("c")}}
	other := v2
	other.Address = "b:161"
	if keyOf(v3("x")) == keyOf(v3("y")) || keyOf(v3("x")) != keyOf(v3("x")) || keyOf(v2) == keyOf(other) || keyOf(v2) == keyOf(v3("c")) {
		t.Error("keys: want one per address and credentials, equal for equal ones")
	}
	if k := fmt.Sprintf("%v", keyOf(v3("secret-pass"))); len(k) == 0 || strings.Contains(k, "secret-pass") {
		t.Errorf("key %s shows the passphrase", k)
	}
}

// TestRequestsPerPollV2c polls the simulator's rPDU2 over UDP and counts the
// requests each poll costs by the agent's own count of answers: the column
// walk costs fewer than walking the profile's table entries.
func TestRequestsPerPollV2c(t *testing.T) {
	pdu, err := sim.NewRackPDU(sim.RackPDUConfig{Name: "pdu1", Phases: 3, Voltage: 230, PowerFactor: 0.95, Banks: 6, Outlets: 24,
		Load: func() float64 { return 9000 }})
	if err != nil {
		t.Fatal(err)
	}
	srv := sim.NewServer(sim.ServerOptions{})
	addr := serveWith(t, srv, map[string]*sim.Device{"public": pdu.Device})
	target := Target{Address: addr, Timeout: 2 * time.Second, Credentials: Credentials{Community: NewSecret("public")}}

	c := NewCollector(nil)
	defer c.Close()
	var perPoll []uint64
	for range 4 {
		before := srv.Served()
		if st := c.Poll(t.Context(), target, rpdu2Profile); !st.OK {
			t.Fatalf("poll: %s %s", st.Reason, st.Err)
		}
		perPoll = append(perPoll, srv.Served()-before)
	}
	// The same device read by walking the profile's entries, as before.
	s, err := Dial(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := srv.Served()
	if _, err := walkRoots(t.Context(), s, rpdu2Profile.Roots()); err != nil {
		t.Fatal(err)
	}
	entries := srv.Served() - before
	t.Logf("requests per poll: columns %v, entries %d", perPoll, entries)
	// The counts vary by a request or so: the live values' encodings vary
	// in length, and the agent cuts its answers at 1,472 bytes.
	for i, n := range perPoll {
		if n == 0 || n >= entries {
			t.Errorf("poll %d: %d requests, want some, and fewer than the %d of an entry walk", i, n, entries)
		}
	}
}

// serveWith is serveSim with the server given, to read its counters.
func serveWith(t *testing.T, srv *sim.Server, devices map[string]*sim.Device) string {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, conn, devices) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: got %v, want nil", err)
		}
		_ = conn.Close()
	})
	return conn.LocalAddr().String()
}

// TestEngineDiscoveryOnce polls net-snmp's snmpd over SNMPv3 through a UDP
// proxy that counts the requests: a Collector that keeps sessions sends the
// engine discovery once across all its polls, one that does not sends it on
// every poll.
func TestEngineDiscoveryOnce(t *testing.T) {
	d := startSnmpd(t)
	proxy := startCountingProxy(t, d.addr)
	target := v3Target(proxy.addr, v3AuthPass, v3PrivPass)
	const polls = 5
	run := func(c *Collector) []int64 {
		defer c.Close()
		var counts []int64
		for range polls {
			before := proxy.requests.Load()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			// snmpd holds no rPDU2 table: the poll walks and fails with
			// nosuchobject, an answer, which keeps the session.
			st := c.Poll(ctx, target, rpdu2Profile)
			cancel()
			if st.Reason != ReasonNoSuchObject {
				t.Fatalf("poll: got reason %q (%s), want %q", st.Reason, st.Err, ReasonNoSuchObject)
			}
			counts = append(counts, proxy.requests.Load()-before)
		}
		return counts
	}
	kept := run(NewCollector(nil))
	perPoll := newCollector(nil, func(ctx context.Context, t Target) (Client, error) { return Dial(ctx, t) }, nil, false)
	fresh := run(perPoll)
	t.Logf("requests per poll: sessions kept %v, a session per poll %v", kept, fresh)
	walk := fresh[0] - 1 // the discovery is one request
	if walk < 1 || kept[0] != walk+1 {
		t.Fatalf("first poll: got %d requests kept, %d fresh; want the walk plus one discovery each", kept[0], fresh[0])
	}
	for i := 1; i < polls; i++ {
		if kept[i] != walk {
			t.Errorf("poll %d with sessions kept: got %d requests, want %d (no discovery)", i, kept[i], walk)
		}
		if fresh[i] != walk+1 {
			t.Errorf("poll %d with a session per poll: got %d requests, want %d (a discovery each)", i, fresh[i], walk+1)
		}
	}
}

// countingProxy forwards UDP datagrams between clients and an agent,
// counting the clients' requests.
type countingProxy struct {
	addr     string
	requests atomic.Int64
}

// startCountingProxy proxies to agent on 127.0.0.1:0 until the test ends.
func startCountingProxy(t *testing.T, agent string) *countingProxy {
	t.Helper()
	front, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up, err := net.ResolveUDPAddr("udp4", agent)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{addr: front.LocalAddr().String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	backs := map[string]*net.UDPConn{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 65536)
		for {
			n, from, err := front.ReadFrom(buf)
			if err != nil {
				return
			}
			p.requests.Add(1)
			mu.Lock()
			back := backs[from.String()]
			if back == nil {
				if back, err = net.DialUDP("udp4", nil, up); err != nil {
					mu.Unlock()
					continue
				}
				backs[from.String()] = back
				wg.Add(1)
				go func() {
					defer wg.Done()
					rb := make([]byte, 65536)
					for {
						m, err := back.Read(rb)
						if err != nil {
							return
						}
						_, _ = front.WriteTo(rb[:m], from)
					}
				}()
			}
			mu.Unlock()
			_, _ = back.Write(buf[:n])
		}
	}()
	t.Cleanup(func() {
		_ = front.Close()
		mu.Lock()
		for _, b := range backs {
			_ = b.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return p
}
