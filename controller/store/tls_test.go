package store

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/dcplane/dcplane/internal/tlsutil"
)

var loopback = []net.IP{net.IPv4(127, 0, 0, 1)}

// testCA is a site CA for tests.
type testCA struct {
	ca   *tlsutil.CA
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	ca, err := tlsutil.NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &testCA{ca: ca, pool: pool}
}

func (c *testCA) pair(t *testing.T, r tlsutil.Request) tls.Certificate {
	t.Helper()
	cert, key, err := c.ca.Issue(r)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tls.X509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// config is a node's TLS: a certificate of role, named for the loopback,
// and the CA; nothing else, so that the store must add what the Raft port
// requires.
func (c *testCA) config(t *testing.T, role tlsutil.Role, name string) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.pair(t, tlsutil.Request{Role: role, Name: name, IPs: loopback})},
		RootCAs: c.pool, ClientCAs: c.pool}
}

// TestRaftOverTLSFormsACluster: three nodes with controller certificates
// of one CA elect a leader and replicate over mutual TLS.
func TestRaftOverTLSFormsACluster(t *testing.T) {
	ca := newTestCA(t)
	cfg := func(id string, boot bool) Config {
		c := clusterConfig(id, t.TempDir(), boot)
		c.TLS = ca.config(t, tlsutil.RoleController, id)
		return c
	}
	leader := openLeader(t, cfg("n1", true))
	ctx := testContext(t)
	var followers []*Store
	for _, id := range []string{"n2", "n3"} {
		f := open(t, cfg(id, false))
		if err := leader.Join(ctx, f.ID(), f.Addr()); err != nil {
			t.Fatalf("Join %s: got %v, want nil", id, err)
		}
		followers = append(followers, f)
	}
	want := putSite(t, leader).Index()
	for _, f := range followers {
		waitFor(t, f.ID()+" to apply the site over TLS", func() bool { return f.State().Index() >= want })
	}
}

// forge sends a AppendEntries of a higher term to target, as a peer with conf
// would (conf is the forger's own: it checks nothing of the server), and
// returns the error.
func forge(t *testing.T, target string, conf *tls.Config) error {
	t.Helper()
	var stream raft.StreamLayer
	if conf == nil {
		tcp, err := raft.NewTCPTransport("127.0.0.1:0", nil, 1, time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tcp.Close()
		return tcp.AppendEntries("n1", raft.ServerAddress(target), forgedAppend(), &raft.AppendEntriesResponse{})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // not served: the forger only dials
	if err != nil {
		t.Fatal(err)
	}
	stream = &tlsStream{Listener: ln, conf: conf}
	trans := raft.NewNetworkTransport(stream, 1, time.Second, nil)
	defer trans.Close()
	return trans.AppendEntries("n1", raft.ServerAddress(target), forgedAppend(), &raft.AppendEntriesResponse{})
}

// forgedAppend is a heartbeat of a higher term: a leader that takes it
// steps down.
func forgedAppend() *raft.AppendEntriesRequest {
	return &raft.AppendEntriesRequest{RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("forger"), Addr: []byte("127.0.0.1:1")},
		Term: 1 << 40}
}

// TestRaftPortRefusesWhoIsNotAController: a forged AppendEntries that would
// depose the leader is refused in plaintext, with a certificate of another
// CA, and with an agent's or an operator's certificate of the site CA; the
// leader keeps its term.
func TestRaftPortRefusesWhoIsNotAController(t *testing.T) {
	ca := newTestCA(t)
	cfg := testConfig("n1", t.TempDir(), true)
	cfg.TLS = ca.config(t, tlsutil.RoleController, "n1")
	leader := openLeader(t, cfg)
	term := leader.raft.CurrentTerm()
	other := newTestCA(t)
	forger := func(c *testCA, role tlsutil.Role) *tls.Config {
		return &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: ca.pool, ClientCAs: ca.pool,
			Certificates: []tls.Certificate{c.pair(t, tlsutil.Request{Role: role, Name: "forger", IPs: loopback})}}
	}
	tests := []struct {
		name string
		conf *tls.Config
	}{
		{"plaintext", nil},
		{"controller certificate of another CA", forger(other, tlsutil.RoleController)},
		{"agent certificate", forger(ca, tlsutil.RoleAgent)},
		{"operator certificate", forger(ca, tlsutil.RoleOperator)},
		{"no certificate", &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: ca.pool}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := forge(t, leader.Addr(), tt.conf); err == nil {
				t.Error("got the forged AppendEntries answered, want it refused")
			}
			if got := leader.raft.CurrentTerm(); got != term || !leader.IsLeader() {
				t.Errorf("got term %d (leader %v), want term %d and still the leader", got, leader.IsLeader(), term)
			}
		})
	}
	// The control: from a controller of the site CA the same RPC is
	// answered, and deposes the leader.
	if err := forge(t, leader.Addr(), forger(ca, tlsutil.RoleController)); err != nil {
		t.Errorf("got %v from a controller of the site CA, want an answer", err)
	}
	if got := leader.raft.CurrentTerm(); got == term {
		t.Errorf("got term %d after a controller's AppendEntries, want it moved on", got)
	}
}

// TestRaftDialChecksThePeersName: a node dialling a Raft address refuses a
// peer whose controller certificate, of the site CA, names another
// address, and a peer with an agent's certificate for the right one.
func TestRaftDialChecksThePeersName(t *testing.T) {
	ca := newTestCA(t)
	node := &tlsStream{conf: raftTLS(ca.config(t, tlsutil.RoleController, "n1"))}
	tests := []struct {
		name string
		peer tls.Certificate
		want string
	}{
		{"controller of another name", ca.pair(t, tlsutil.Request{Role: tlsutil.RoleController, Name: "n9", IPs: []net.IP{net.IPv4(10, 0, 0, 9)}}),
			"certificate is valid for 10.0.0.9, not 127.0.0.1"},
		{"agent of the right name", ca.pair(t, tlsutil.Request{Role: tlsutil.RoleAgent, Name: "a1", IPs: loopback}),
			"role is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := impostor(t, &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{tt.peer},
				ClientCAs: ca.pool, ClientAuth: tls.RequireAndVerifyClientCert})
			conn, err := node.Dial(raft.ServerAddress(addr), time.Second)
			if err == nil {
				conn.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// impostor listens on the loopback with conf, handshakes with whoever
// connects, and stops when the test ends.
func impostor(t *testing.T, conf *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", conf)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err == nil {
				_ = c.(*tls.Conn).Handshake()
				c.Close()
			}
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}
