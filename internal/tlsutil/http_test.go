package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var loopback = []net.IP{net.IPv4(127, 0, 0, 1)}

func pair(t *testing.T, ca *CA, r Request) tls.Certificate {
	t.Helper()
	cert, key, err := ca.Issue(r)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tls.X509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHandlerReadsTheVerifiedRole: behind a server of APIRoles, a handler
// reads each client's role from r.TLS with PeerRole; a request that is not
// mutual TLS has none (ErrNoTLS).
func TestHandlerReadsTheVerifiedRole(t *testing.T) {
	ca, err := NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	role := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := PeerRole(r.TLS)
		if err != nil {
			got = Role(err.Error())
		}
		_, _ = io.WriteString(w, string(got))
	})
	ts := httptest.NewUnstartedServer(role)
	ts.TLS = NewConfig(pair(t, ca, Request{Role: RoleController, Name: "n1", IPs: loopback}), pool, APIRoles...)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	defer ts.Close()
	for _, r := range APIRoles {
		hc := HTTPClient(NewConfig(pair(t, ca, Request{Role: r, Name: "c"}), pool, RoleController), 5*time.Second)
		if got := body(t, hc, ts.URL); got != string(r) {
			t.Errorf("got role %q, want %q", got, r)
		}
		hc.CloseIdleConnections()
	}
	plain := httptest.NewServer(role)
	defer plain.Close()
	if got := body(t, plain.Client(), plain.URL); got != ErrNoTLS.Error() {
		t.Errorf("plain HTTP: got %q, want %q", got, ErrNoTLS)
	}
}

func body(t *testing.T, hc *http.Client, url string) string {
	t.Helper()
	res, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestConfigAsRefusesAnotherRoleOrAMissingFile: a holder started with a
// certificate of another role, or without one of the three files, is
// told which.
func TestConfigAsRefusesAnotherRoleOrAMissingFile(t *testing.T) {
	dir := t.TempDir()
	ca, err := NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteCA(dir, ca); err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(Request{Role: RoleAgent, Name: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePair(dir, "a1", cert, key); err != nil {
		t.Fatal(err)
	}
	f := Files{CA: filepath.Join(dir, CACertFile), Cert: filepath.Join(dir, "a1.crt"), Key: filepath.Join(dir, "a1.key")}
	if _, err := f.ConfigAs(RoleAgent, RoleController); err != nil {
		t.Errorf("agent certificate as an agent: got %v, want nil", err)
	}
	if _, err := f.ConfigAs(RoleController, RoleController); err == nil || !strings.Contains(err.Error(), `role "agent", want one of role controller`) {
		t.Errorf("agent certificate as a controller: got %v, want it refused naming both roles", err)
	}
	noKey := f
	noKey.Key = ""
	if _, err := noKey.ConfigAs(RoleAgent, RoleController); err == nil || !strings.Contains(err.Error(), "the key file is not given") {
		t.Errorf("no key file: got %v, want it named", err)
	}
	if !noKey.Given() || (Files{}).Given() {
		t.Error("Given: got wrong, want true for some files and false for none")
	}
	if _, err := PeerRole(nil); !errors.Is(err, ErrNoTLS) {
		t.Errorf("PeerRole(nil): got %v, want ErrNoTLS", err)
	}
}

// tlsServer is a server of fn over mutual TLS with a controller's
// certificate of ca, offering HTTP/2 as well as HTTP/1.1, and a client
// config of an operator's certificate.
func tlsServer(t *testing.T, fn http.HandlerFunc) (*httptest.Server, *tls.Config) {
	return tlsServerWith(t, fn, nil)
}

// tlsServerWith is tlsServer whose server calls connState (if not nil) as
// its connections change state: set before it starts, as net/http asks.
func tlsServerWith(t *testing.T, fn http.HandlerFunc, connState func(net.Conn, http.ConnState)) (*httptest.Server, *tls.Config) {
	t.Helper()
	ca, err := NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	ts := httptest.NewUnstartedServer(fn)
	ts.EnableHTTP2 = true
	ts.TLS = NewConfig(pair(t, ca, Request{Role: RoleController, Name: "n1", IPs: loopback}), pool, APIRoles...)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.Config.ConnState = connState
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts, NewConfig(pair(t, ca, Request{Role: RoleOperator, Name: "c"}), pool, RoleController)
}

// TestHTTPClientSpeaksHTTP1: an HTTPClient asks for HTTP/1.1 even of a
// server that offers HTTP/2, whose framing costs a call of the API more
// CPU than HTTP/1.1's (HPACK, a goroutine and several TLS records per
// answer), for nothing: an agent or a client calls one call at a time.
func TestHTTPClientSpeaksHTTP1(t *testing.T) {
	ts, conf := tlsServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Proto) })
	if got := body(t, HTTPClient(conf, 5*time.Second), ts.URL); got != "HTTP/1.1" {
		t.Errorf("got %s, want HTTP/1.1", got)
	}
	// The server does offer HTTP/2: a client that asks for it gets it.
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: conf, ForceAttemptHTTP2: true}}
	if got := body(t, h2, ts.URL); got != "HTTP/2.0" {
		t.Errorf("a client asking for HTTP/2: got %s, want HTTP/2.0", got)
	}
}

// TestHTTPClientKeepsItsConnections: an HTTPClient making calls 8 at a
// time keeps its 8 connections between calls, rather than closing all but
// two of them (http.DefaultTransport's MaxIdleConnsPerHost) and paying a
// new TLS handshake for each call past them.
func TestHTTPClientKeepsItsConnections(t *testing.T) {
	const concurrent, rounds = 8, 20
	ts, conf, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	hc := HTTPClient(conf, 5*time.Second)
	defer hc.CloseIdleConnections()
	for range rounds {
		getAtOnce(t, hc, ts.URL, concurrent)
	}
	// A connection goes back to the pool just after its answer is read: a
	// call of the next round may dial before it is back.
	if got := conns.Load(); got > 2*concurrent {
		t.Errorf("got %d connections for %d rounds of %d calls at once, want at most %d", got, rounds, concurrent, 2*concurrent)
	}
}

// TestHTTPClientBoundsItsConnections: calls made far more at once than
// MaxConnsPerHost open no more than that many connections to the host;
// the others wait for one, and every call is answered.
func TestHTTPClientBoundsItsConnections(t *testing.T) {
	const concurrent = 2 * MaxConnsPerHost
	release := make(chan struct{})
	ts, conf, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		_, _ = io.WriteString(w, "ok")
	})
	hc := HTTPClient(conf, 30*time.Second)
	defer hc.CloseIdleConnections()
	answered := make(chan int64, 1)
	go func() { answered <- getAtOnce(t, hc, ts.URL, concurrent) }()
	// Let the calls pile up against the limit before any is answered.
	deadline := time.Now().Add(10 * time.Second)
	for conns.Load() < MaxConnsPerHost && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	got := <-answered
	if got := conns.Load(); got > MaxConnsPerHost {
		t.Errorf("got %d connections for %d calls at once, want at most %d", got, concurrent, MaxConnsPerHost)
	}
	if got != concurrent {
		t.Errorf("got %d calls answered, want %d", got, concurrent)
	}
}

// countingServer is tlsServer counting the connections its server accepts.
func countingServer(t *testing.T, fn http.HandlerFunc) (*httptest.Server, *tls.Config, *atomic.Int64) {
	var conns atomic.Int64
	ts, conf := tlsServerWith(t, fn, func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	})
	return ts, conf, &conns
}

// getAtOnce makes n GETs of url at once with hc and returns how many were
// answered once all are done.
func getAtOnce(t *testing.T, hc *http.Client, url string, n int) int64 {
	var wg sync.WaitGroup
	var answered atomic.Int64
	for range n {
		wg.Go(func() {
			res, err := hc.Get(url)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			answered.Add(1)
		})
	}
	wg.Wait()
	return answered.Load()
}
