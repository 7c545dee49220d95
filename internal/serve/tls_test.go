package serve_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

var loopback = []net.IP{net.IPv4(127, 0, 0, 1)}

// site is a CA for tests, kept in memory.
type site struct {
	ca   *tlsutil.CA
	pool *x509.CertPool
}

func newSite(t *testing.T) *site {
	t.Helper()
	ca, err := tlsutil.NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &site{ca: ca, pool: pool}
}

func (s *site) pair(t *testing.T, r tlsutil.Request) tls.Certificate {
	t.Helper()
	cert, key, err := s.ca.Issue(r)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tls.X509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// config is the tls.Config of a holder of role named for the loopback,
// admitting peers of the allowed roles of the site CA.
func (s *site) config(t *testing.T, role tlsutil.Role, name string, allowed ...tlsutil.Role) *tls.Config {
	return tlsutil.NewConfig(s.pair(t, tlsutil.Request{Role: role, Name: name, IPs: loopback}), s.pool, allowed...)
}

// client is an HTTP client of the controllers with a certificate of role.
func (s *site) client(t *testing.T, role tlsutil.Role) *http.Client {
	hc := tlsutil.HTTPClient(s.config(t, role, "c-"+string(role), tlsutil.RoleController), 10*time.Second)
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

// tlsNode is a controller node opened with TLS and serving its API over it.
type tlsNode struct {
	*serve.Node
	url, dir string
}

// startTLS opens a node with conf, serves its API on 127.0.0.1:0 until the
// test ends, and returns it with its https:// URL. Without auth, the node
// serves whoever passes TLS, as NoAuth does for tests.
func startTLS(t *testing.T, id string, conf *tls.Config, join string, auth bool) *tlsNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url, dir := "https://"+ln.Addr().String(), t.TempDir()
	ctx, stop := context.WithCancel(context.Background())
	n, err := serve.Open(ctx, controller.Config{NodeID: id, DataDir: dir, RaftAddr: "127.0.0.1:0",
		Bootstrap: join == "", Join: join, APIURL: url, StaleAfter: time.Minute, TLS: conf, NoAuth: !auth,
		HeartbeatTimeout: 300 * time.Millisecond, ElectionTimeout: 300 * time.Millisecond,
		LeaderLeaseTimeout: 150 * time.Millisecond, CommitTimeout: 10 * time.Millisecond})
	if err != nil {
		stop()
		ln.Close()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- n.Serve(ctx, ln) }()
	t.Cleanup(func() {
		stop()
		<-served
		n.Close()
	})
	return &tlsNode{Node: n, url: url, dir: dir}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// leaderTLS starts a single node with a controller certificate of s and
// waits for it to lead.
func leaderTLS(t *testing.T, s *site, auth bool) *tlsNode {
	t.Helper()
	n := startTLS(t, "n1", s.config(t, tlsutil.RoleController, "n1", tlsutil.RoleController), "", auth)
	if err := n.WaitForLeader(testContext(t)); err != nil {
		t.Fatal(err)
	}
	return n
}

// get asks GET url with hc and returns the status and the node that
// answered, or the error.
func get(hc *http.Client, url string) (int, string, error) {
	res, err := hc.Get(url)
	if err != nil {
		return 0, "", err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get(api.HeaderNode), nil
}

// TestTLSAPIRefusesPlaintextAndClientsWithoutCertificate: a node with TLS
// answers a plaintext request with no part of the API, and refuses a TLS
// client that shows no certificate; a client with an operator certificate
// of the site CA is answered (its rights are the API's to judge: /healthz
// is anyone's).
func TestTLSAPIRefusesPlaintextAndClientsWithoutCertificate(t *testing.T) {
	s := newSite(t)
	n := leaderTLS(t, s, false)
	plain := &http.Client{Timeout: 10 * time.Second}
	if code, node, err := get(plain, "http"+strings.TrimPrefix(n.url, "https")+"/v1/cluster"); err == nil && (code != http.StatusBadRequest || node != "") {
		t.Errorf("plaintext GET /v1/cluster: got %d from %q, want 400 from no node (or no answer)", code, node)
	}
	noCert := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: s.pool}}}
	if code, _, err := get(noCert, n.url+"/v1/cluster"); err == nil {
		t.Errorf("TLS without a client certificate: got %d, want the handshake refused", code)
	}
	if code, node, err := get(s.client(t, tlsutil.RoleOperator), n.url+"/healthz"); err != nil || code != http.StatusOK || node != "n1" {
		t.Errorf("operator certificate of the site CA: got %d from %q, %v, want 200 from n1", code, node, err)
	}
}

// TestTLSAPIRefusesACertificateOfAnotherCA: a client whose certificate,
// of any role, is of another CA is refused; the same roles of the site CA
// are all admitted to the API port.
func TestTLSAPIRefusesACertificateOfAnotherCA(t *testing.T) {
	s, other := newSite(t), newSite(t)
	n := leaderTLS(t, s, false)
	for _, role := range tlsutil.APIRoles {
		t.Run(string(role), func(t *testing.T) {
			foreign := tlsutil.NewConfig(other.pair(t, tlsutil.Request{Role: role, Name: "x", IPs: loopback}), s.pool, tlsutil.RoleController)
			hc := tlsutil.HTTPClient(foreign, 10*time.Second)
			defer hc.CloseIdleConnections()
			if code, _, err := get(hc, n.url+"/healthz"); err == nil {
				t.Errorf("certificate of another CA: got %d, want the handshake refused", code)
			}
			if code, _, err := get(s.client(t, role), n.url+"/healthz"); err != nil || code != http.StatusOK {
				t.Errorf("certificate of the site CA: got %d, %v, want 200", code, err)
			}
		})
	}
}

// TestPeersRefuseAControllerOfAnotherName: a node dialling another
// controller's API (to join, or to forward) refuses a server whose
// controller certificate of the site CA names another address, and one
// whose certificate for the right address is an agent's.
func TestPeersRefuseAControllerOfAnotherName(t *testing.T) {
	s := newSite(t)
	// The node's config admits any role: PeersOver must still require a
	// controller of the server it dials.
	peers := serve.PeersOver(s.config(t, tlsutil.RoleController, "n1", tlsutil.APIRoles...))
	tests := []struct {
		name string
		cert tls.Certificate
		want string
	}{
		{"controller of another name", s.pair(t, tlsutil.Request{Role: tlsutil.RoleController, Name: "n9", IPs: []net.IP{net.IPv4(10, 0, 0, 9)}}),
			"certificate is valid for 10.0.0.9, not 127.0.0.1"},
		{"agent of the right name", s.pair(t, tlsutil.Request{Role: tlsutil.RoleAgent, Name: "a1", IPs: loopback}),
			"role is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := impostor(t, tlsutil.NewConfig(tt.cert, s.pool, tlsutil.APIRoles...))
			p, err := peers(url, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer p.CloseIdleConnections()
			c := p.(*api.Client)
			if _, err := c.Cluster(testContext(t)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
	// The control: a controller of the right name is answered.
	n := leaderTLS(t, s, false)
	p, err := peers(n.url, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer p.CloseIdleConnections()
	if st, err := p.(*api.Client).Cluster(testContext(t)); err != nil || st.Node != "n1" {
		t.Errorf("the node's own name: got %+v, %v, want n1's answer", st, err)
	}
}

// impostor serves HTTPS with conf on 127.0.0.1:0, answering 200 to
// anything, until the test ends; it returns its URL.
func impostor(t *testing.T, conf *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", conf)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"node":"impostor","state":"Leader"}`)
	}), ReadHeaderTimeout: 5 * time.Second, ErrorLog: discardLog()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	return "https://" + ln.Addr().String()
}

// TestClusterOverTLSJoinsAndForwards: three nodes with controller
// certificates join over mutual TLS (through the API of the first, then
// Raft), and a follower forwards an agent's push to the leader over it.
func TestClusterOverTLSJoinsAndForwards(t *testing.T) {
	s := newSite(t)
	ctx := testContext(t)
	n1 := leaderTLS(t, s, true)
	conf := func(id string) *tls.Config { return s.config(t, tlsutil.RoleController, id, tlsutil.RoleController) }
	n2 := startTLS(t, "n2", conf("n2"), n1.url, true)
	n3 := startTLS(t, "n3", conf("n3"), n1.url, true)
	op, err := api.NewClient(n1.url, s.client(t, tlsutil.RoleOperator))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the first admin token", func() bool {
		b, err := os.ReadFile(filepath.Join(n1.dir, controller.AdminTokenFile))
		op.UseToken(strings.TrimSpace(string(b)))
		_, cerr := op.Cluster(ctx)
		return err == nil && cerr == nil
	})
	waitFor(ctx, t, "3 voters", func() bool {
		st, err := op.Cluster(ctx)
		return err == nil && len(st.Members) == 3
	})
	doc, err := inventory.Marshal(inventory.Reference(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.PutInventory(ctx, doc); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the followers to apply the inventory", func() bool {
		_, e2 := n2.Site(ctx)
		_, e3 := n3.Site(ctx)
		return e2 == nil && e3 == nil
	})
	batch, err := api.EncodeBatch(&api.Batch{Agent: "c-agent", Seq: 1}) // the agent certificate's CN
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, n3.url+"/v1/telemetry", bytes.NewReader(batch))
	req.Header.Set("Content-Type", api.MediaCBOR)
	req.Header.Set("Content-Encoding", "gzip")
	res, err := s.client(t, tlsutil.RoleAgent).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted || res.Header.Get(api.HeaderNode) != "n1" {
		t.Errorf("agent's POST /v1/telemetry to follower n3: got %d from %q, want 202 from n1", res.StatusCode, res.Header.Get(api.HeaderNode))
	}
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s: %v", what, ctx.Err())
		case <-tick.C:
		}
	}
}

// discardLog is a server's error log that keeps nothing: the refused
// handshakes the tests provoke.
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
