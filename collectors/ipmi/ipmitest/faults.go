package ipmitest

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// StartSilent returns the address of a UDP socket that takes every
// datagram and never answers: a BMC that is down behind a firewall that
// drops, or a host whose BMC hangs. (A closed port would answer ICMP port
// unreachable; this does not.)
func StartSilent(t testing.TB) string {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.LocalAddr().String()
}

// StartSlow starts a UDP relay in front of the BMC at upstream that holds
// each of the BMC's answers back for delay, as a slow BMC does, and returns
// its address. Every datagram is relayed, so a request sent again while
// the first is held gets a second answer, later: the stale answers a client
// must tell from the one it waits for.
func StartSlow(t testing.TB, upstream string, delay time.Duration) string {
	t.Helper()
	ln, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, upstream: upstream, delay: delay, clients: map[string]net.Conn{}}
	r.wg.Add(1)
	go r.serve()
	t.Cleanup(r.close)
	return ln.LocalAddr().String()
}

type relay struct {
	ln       net.PacketConn
	upstream string
	delay    time.Duration
	wg       sync.WaitGroup

	mu      sync.Mutex
	clients map[string]net.Conn // client address → its socket to upstream
	timers  []*time.Timer
	closed  bool
}

// serve relays the clients' datagrams to upstream until ln is closed.
func (r *relay) serve() {
	defer r.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, from, err := r.ln.ReadFrom(buf)
		if err != nil {
			return
		}
		up, err := r.upstreamFor(from)
		if err != nil {
			continue
		}
		_, _ = up.Write(buf[:n])
	}
}

// upstreamFor returns the socket that relays from's datagrams, starting
// the goroutine that brings its answers back.
func (r *relay) upstreamFor(from net.Addr) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[from.String()]; ok {
		return c, nil
	}
	if r.closed {
		return nil, errors.New("relay closed")
	}
	up, err := net.Dial("udp4", r.upstream)
	if err != nil {
		return nil, err
	}
	r.clients[from.String()] = up
	r.wg.Add(1)
	go r.answers(up, from)
	return up, nil
}

// answers sends each of upstream's answers to the client after the delay.
func (r *relay) answers(up net.Conn, to net.Addr) {
	defer r.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := up.Read(buf)
		if err != nil {
			return
		}
		pkt := append([]byte(nil), buf[:n]...)
		r.mu.Lock()
		if !r.closed {
			r.timers = append(r.timers, time.AfterFunc(r.delay, func() { _, _ = r.ln.WriteTo(pkt, to) }))
		}
		r.mu.Unlock()
	}
}

func (r *relay) close() {
	r.mu.Lock()
	r.closed = true
	for _, tm := range r.timers {
		tm.Stop()
	}
	for _, c := range r.clients {
		_ = c.Close()
	}
	r.mu.Unlock()
	_ = r.ln.Close()
	r.wg.Wait()
}
