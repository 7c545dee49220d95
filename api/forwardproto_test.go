package api_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

// TestForwardingSpeaksHTTP1: a follower forwards to its leader over
// HTTP/1.1 even when the leader offers HTTP/2, whose framing costs each
// forwarded call more CPU on both nodes (see tlsutil.HTTPClient).
func TestForwardingSpeaksHTTP1(t *testing.T) {
	ca, err := tlsutil.NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	conf := func(name string, allowed ...tlsutil.Role) *tls.Config {
		cert, key, err := ca.Issue(tlsutil.Request{Role: tlsutil.RoleController, Name: name, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		return tlsutil.NewConfig(pair, pool, allowed...)
	}
	leader := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}))
	leader.EnableHTTP2, leader.TLS = true, conf("leader", tlsutil.RoleController)
	leader.Config.ErrorLog = log.New(io.Discard, "", 0)
	leader.StartTLS()
	defer leader.Close()

	srv := api.NewServer(&fakeRouter{leader: leader.URL}, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
	srv.SetForwardTLS(conf("follower", tlsutil.RoleController))
	defer srv.CloseIdleConnections()
	follower := httptest.NewServer(srv)
	defer follower.Close()
	res, err := http.Get(follower.URL + "/v1/racks")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if string(b) != "HTTP/1.1" {
		t.Errorf("the leader was called with %q (status %d), want HTTP/1.1", b, res.StatusCode)
	}
}
