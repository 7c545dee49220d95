package api_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/wire"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
	"github.com/dcplane/dcplane/internal/tlsutil"
)

// syncBuffer is a log sink safe for the node's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// authNode is a real node with authentication on, serving its API on a
// real socket, and its first admin token.
type authNode struct {
	n     *serve.Node
	url   string
	dir   string
	admin string
	log   *syncBuffer
}

func startAuthNode(t *testing.T, id, join, token string, serveOn func(http.Handler) string) *authNode {
	t.Helper()
	a := &authNode{dir: t.TempDir(), log: &syncBuffer{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.url = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	a.n, err = serve.Open(ctx, controller.Config{NodeID: id, DataDir: a.dir, RaftAddr: "127.0.0.1:0", Bootstrap: join == "",
		Join: join, Token: token, APIURL: a.url, StaleAfter: time.Minute, AccountEvery: time.Hour, DeclaredOnly: true,
		Logger: slog.New(slog.NewTextHandler(a.log, nil))})
	if err != nil {
		ln.Close()
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	if serveOn != nil {
		ln.Close()
		a.url = serveOn(a.n.Handler())
		close(done)
	} else {
		go func() { done <- a.n.Serve(ctx, ln) }()
	}
	t.Cleanup(func() { cancel(); <-done; a.n.Close() })
	if join == "" {
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		defer wcancel()
		if a.admin, err = a.n.BootstrapToken(wctx); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// authCall sends a request with an optional bearer token and returns the
// status and the decoded problem, if any.
func authCall(t *testing.T, hc *http.Client, method, url, token string, body []byte, ctype string) (int, api.Problem) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p api.Problem
	if resp.Header.Get("Content-Type") == api.MediaProblem {
		_ = json.Unmarshal(b, &p)
	}
	return resp.StatusCode, p
}

func client(t *testing.T, url, token string) *api.Client {
	t.Helper()
	c, err := api.NewClient(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.UseToken(token)
	return c
}

// TestTokensMissingWrongRoleRevoked: a call without a token, with one the
// cluster never made, or with a revoked one is 401; one whose role may not
// call the route is 403 naming the role it needs.
func TestTokensMissingWrongRoleRevoked(t *testing.T) {
	a := startAuthNode(t, "a1", "", "", nil)
	ctx := context.Background()
	admin := client(t, a.url, a.admin)
	viewer, err := admin.CreateToken(ctx, api.TokenRequest{Name: "grafana", Role: api.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := admin.CreateToken(ctx, api.TokenRequest{Name: "old", Role: api.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.RevokeToken(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	doc, _ := inventory.Marshal(inventory.Reference(1))
	forged := viewer.Secret[:len(viewer.Secret)-4] + "AAAA"
	tests := []struct {
		name, method, path, token string
		body                      []byte
		want                      int
		detail                    string
	}{
		{"no token", "GET", "/v1/racks", "", nil, 401, "no credentials"},
		{"not a token", "GET", "/v1/inventory", "hunter2", nil, 401, "not one of this cluster's"},
		{"a forged secret of a real ID", "GET", "/v1/inventory", forged, nil, 401, "not one of this cluster's"},
		{"revoked", "GET", "/v1/inventory", gone.Secret, nil, 401, "revoked"},
		{"viewer writes the inventory", "PUT", "/v1/inventory", viewer.Secret, doc, 403, "needs the role admin"},
		{"viewer makes a token", "POST", "/v1/tokens", viewer.Secret, []byte(`{"name":"x","role":"admin"}`), 403, "needs the role admin"},
		{"viewer pushes telemetry", "POST", "/v1/telemetry", viewer.Secret, nil, 403, "needs the role agent"},
		{"viewer reads", "GET", "/v1/inventory", viewer.Secret, nil, 409, ""},
		{"admin writes the inventory", "PUT", "/v1/inventory", a.admin, doc, 200, ""},
		{"anyone asks the health", "GET", "/healthz", "", nil, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, p := authCall(t, nil, tt.method, a.url+tt.path, tt.token, tt.body, api.MediaYAML)
			if tt.method == "POST" && tt.path == "/v1/tokens" {
				status, p = authCall(t, nil, tt.method, a.url+tt.path, tt.token, tt.body, api.MediaJSON)
			}
			if status != tt.want || !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("got %d %q, want %d with %q", status, p.Detail, tt.want, tt.detail)
			}
			if status == 401 && p.Type != api.ProblemUnauthenticated || status == 403 && p.Type != api.ProblemForbidden {
				t.Errorf("problem type: got %q for %d", p.Type, status)
			}
		})
	}
	l, err := admin.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(l)
	recs, err := admin.Audit(ctx, api.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	trail, _ := json.Marshal(recs)
	if !strings.Contains(string(trail), `"path":"/v1/tokens"`) || strings.Contains(string(trail), viewer.Secret) {
		t.Errorf("audit: got %s, want the token's creation recorded without its secret", trail)
	}
	for _, secret := range []string{a.admin, viewer.Secret, gone.Secret} {
		if strings.Contains(string(raw), secret) || strings.Contains(a.log.String(), secret) {
			t.Errorf("a secret is in the token list or the log")
		}
	}
}

// TestAccessTableCoversEveryRoute walks every route a full node registers:
// each must be in the access table, or it is refused to everyone.
func TestAccessTableCoversEveryRoute(t *testing.T) {
	a := startAuthNode(t, "a1", "", "", nil)
	srv, ok := a.n.Handler().(*api.Server)
	if !ok {
		t.Fatalf("handler: got %T, want *api.Server", a.n.Handler())
	}
	pats := srv.Patterns()
	if len(pats) < 30 {
		t.Fatalf("patterns: got %d, want every route of a full node", len(pats))
	}
	for _, p := range pats {
		if roles := api.AccessOf(p); len(roles) == 0 {
			t.Errorf("route %q has no role in the access table: no one may call it", p)
		}
	}
}

// TestAdminTokenFile: the bootstrapping node writes the first admin token
// to admin-token in its data directory, mode 0600, and logs the path,
// never the token.
func TestAdminTokenFile(t *testing.T) {
	a := startAuthNode(t, "a1", "", "", nil)
	path := filepath.Join(a.dir, controller.AdminTokenFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode: got %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(a.log.String(), path) {
		t.Errorf("log: got %q, want the path %s in it", a.log.String(), path)
	}
	if strings.Contains(a.log.String(), a.admin) {
		t.Errorf("log: the admin token is in it")
	}
	if _, err := client(t, a.url, a.admin).Tokens(context.Background()); err != nil {
		t.Errorf("the file's token: got %v, want it to list the tokens", err)
	}
}

// TestFollowerForwardsAuthenticatedWrite: a write sent to a follower with
// an admin's token reaches the leader with it and is applied; a viewer's
// is refused; the audit trail names who wrote.
func TestFollowerForwardsAuthenticatedWrite(t *testing.T) {
	a := startAuthNode(t, "a1", "", "", nil)
	b := startAuthNode(t, "a2", a.url, a.admin, nil)
	ctx := context.Background()
	admin := client(t, a.url, a.admin)
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := admin.Cluster(ctx)
		if err == nil && len(st.Members) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a2 never joined: %v, %+v", err, st)
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, bounded by the deadline
	}
	viewer, err := admin.CreateToken(ctx, api.TokenRequest{Name: "v", Role: api.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := inventory.Marshal(inventory.Reference(1))
	for {
		status, p := authCall(t, nil, "PUT", b.url+"/v1/inventory", a.admin, doc, api.MediaYAML)
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PUT through the follower: got %d %+v, want 200", status, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status, p := authCall(t, nil, "PUT", b.url+"/v1/inventory", viewer.Secret, doc, api.MediaYAML); status != 403 {
		t.Errorf("viewer's PUT through the follower: got %d %+v, want 403", status, p)
	}
	recs, err := admin.Audit(ctx, api.AuditFilter{Path: "/v1/inventory"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Records) == 0 || !strings.Contains(recs.Records[0].Who, "bootstrap-admin") || recs.Records[0].Status != 200 ||
		recs.Records[0].Node != "a1" || !strings.Contains(recs.Records[0].Input, "site:") {
		t.Errorf("audit: got %+v, want the admin's PUT, served by the leader a1, with its input", recs.Records)
	}
}

// testCA issues certificates of the roles for the tests over TLS.
type testCA struct {
	ca   *tlsutil.CA
	pool *x509.CertPool
}

func (c *testCA) client(t *testing.T, role tlsutil.Role, name string) *http.Client {
	t.Helper()
	cert, key, err := c.ca.Issue(tlsutil.Request{Role: role, Name: name, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		Certificates: []tls.Certificate{pair}, RootCAs: c.pool, MinVersion: tls.VersionTLS13}}}
}

// TestCertificateRoles: over mutual TLS, an agent's certificate pushes
// telemetry and reaches nothing else; a controller's reaches the routes
// between nodes and not the people's; an operator's acts as operator.
func TestCertificateRoles(t *testing.T) {
	ca, err := tlsutil.NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	c := &testCA{ca: ca, pool: x509.NewCertPool()}
	c.pool.AddCert(ca.Cert)
	serverCert, serverKey, err := ca.Issue(tlsutil.Request{Role: tlsutil.RoleController, Name: "a1", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(serverCert, serverKey)
	if err != nil {
		t.Fatal(err)
	}
	a := startAuthNode(t, "a1", "", "", func(h http.Handler) string {
		ts := httptest.NewUnstartedServer(h)
		ts.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: c.pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS13}
		ts.StartTLS()
		t.Cleanup(ts.Close)
		return ts.URL
	})
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.pool, MinVersion: tls.VersionTLS13,
		Certificates: c.client(t, tlsutil.RoleOperator, "x").Transport.(*http.Transport).TLSClientConfig.Certificates}}}
	doc, _ := inventory.Marshal(inventory.Reference(1))
	if status, p := authCall(t, hc, "PUT", a.url+"/v1/inventory", a.admin, doc, api.MediaYAML); status != 200 {
		t.Fatalf("admin token over TLS: got %d %+v, want 200", status, p)
	}
	agent, controllerCert, operator := c.client(t, tlsutil.RoleAgent, "agent-7"), c.client(t, tlsutil.RoleController, "a2"), c.client(t, tlsutil.RoleOperator, "alice")
	batch, err := api.EncodeBatch(&api.Batch{Agent: "agent-7", Seq: 1, Polls: []collectors.Status{{Device: "H1-R01-K01-PA", At: time.Now(), OK: true}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		hc           *http.Client
		method, path string
		body         []byte
		ctype        string
		want         int
	}{
		{"agent pushes telemetry", agent, "POST", "/v1/telemetry", batch, api.MediaCBOR, 202},
		{"agent reads racks", agent, "GET", "/v1/racks", nil, "", 403},
		{"agent writes the inventory", agent, "PUT", "/v1/inventory", doc, api.MediaYAML, 403},
		{"agent joins the cluster", agent, "POST", "/v1/cluster/join", []byte(`{}`), api.MediaJSON, 403},
		{"controller asks the cluster's status", controllerCert, "GET", "/v1/cluster", nil, "", 200},
		{"controller joins (an invalid request, past the door)", controllerCert, "POST", "/v1/cluster/join", []byte(`{}`), api.MediaJSON, 422},
		{"controller writes the inventory", controllerCert, "PUT", "/v1/inventory", doc, api.MediaYAML, 403},
		{"controller pushes telemetry", controllerCert, "POST", "/v1/telemetry", batch, api.MediaCBOR, 403},
		{"operator reads racks", operator, "GET", "/v1/racks", nil, "", 200},
		{"operator writes the inventory", operator, "PUT", "/v1/inventory", doc, api.MediaYAML, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, a.url+tt.path, bytes.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			if tt.path == "/v1/telemetry" {
				req.Header.Set("Content-Encoding", "gzip")
			}
			resp, err := tt.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("got %d %s, want %d", resp.StatusCode, b, tt.want)
			}
		})
	}
	// A forged principal header from a non-controller is not believed.
	req, _ := http.NewRequest("PUT", a.url+"/v1/inventory", bytes.NewReader(doc))
	req.Header.Set("Content-Type", api.MediaYAML)
	req.Header.Set(api.HeaderPrincipal, "token:x|admin")
	req.Header.Set(api.HeaderForwarded, "a2")
	resp, err := agent.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("agent with a forged forwarded principal: got %d, want 403", resp.StatusCode)
	}
}

// tokenController is a Controller that authenticates one admin token and
// whose audit trail fails with auditErr.
type tokenController struct {
	fakeController
	secret   string
	auditErr error
	recorded []api.AuditRecord
}

func (f *tokenController) AuthEnabled() bool { return true }
func (f *tokenController) Token(id string) (api.Token, bool) {
	if id != "ab12" {
		return api.Token{}, false
	}
	return api.Token{ID: id, Name: "root", Role: api.RoleAdmin, Hash: wireHash(f.secret)}, true
}
func (f *tokenController) RecordAudit(_ context.Context, r api.AuditRecord) error {
	if f.auditErr != nil {
		return f.auditErr
	}
	f.recorded = append(f.recorded, r)
	return nil
}
func (f *tokenController) Audit(context.Context, api.AuditFilter) ([]api.AuditRecord, error) {
	return f.recorded, nil
}

// TestRouteNotInTheTableIsRefused: default deny: a route the access table
// lacks is refused even to an admin.
func TestRouteNotInTheTableIsRefused(t *testing.T) {
	f := &tokenController{secret: "dcp_ab12_secret"}
	srv := api.NewServer(f, nil, slog.New(slog.DiscardHandler))
	api.HandleForTest(srv, "GET /v1/unlisted", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) })
	ts := httptest.NewServer(srv)
	defer ts.Close()
	if status, p := authCall(t, nil, "GET", ts.URL+"/v1/unlisted", f.secret, nil, ""); status != 403 || !strings.Contains(p.Detail, "no role") {
		t.Errorf("an unlisted route: got %d %q, want 403 naming no role", status, p.Detail)
	}
	if status, _ := authCall(t, nil, "GET", ts.URL+"/v1/audit", f.secret, nil, ""); status != 200 {
		t.Errorf("a listed route, as admin: got %d, want it served", status)
	}
}

// TestAuditFailureWithholdsTheAnswer: a mutating call whose audit record
// cannot be written answers 503, not its result; one that can is recorded
// with who, what and the result.
func TestAuditFailureWithholdsTheAnswer(t *testing.T) {
	f := &tokenController{secret: "dcp_ab12_secret", auditErr: errors.New("no quorum")}
	f.putSite = func(*inventory.Site) (uint64, error) { return 7, nil }
	ts := httptest.NewServer(api.NewServer(f, nil, slog.New(slog.DiscardHandler)))
	defer ts.Close()
	doc, _ := inventory.Marshal(inventory.Reference(1))
	if status, p := authCall(t, nil, "PUT", ts.URL+"/v1/inventory", f.secret, doc, api.MediaYAML); status != 503 || p.Type != api.ProblemOutcomeUnknown {
		t.Errorf("audit failing: got %d %+v, want 503 outcome-unknown", status, p)
	}
	f.auditErr = nil
	if status, p := authCall(t, nil, "PUT", ts.URL+"/v1/inventory", f.secret, doc, api.MediaYAML); status != 200 {
		t.Fatalf("audit working: got %d %+v, want 200", status, p)
	}
	if len(f.recorded) != 1 {
		t.Fatalf("records: got %d, want 1", len(f.recorded))
	}
	r := f.recorded[0]
	if r.Who != "token:ab12 (root)" || r.Role != api.RoleAdmin || r.Method != "PUT" || r.Path != "/v1/inventory" || r.Status != 200 ||
		!strings.Contains(r.Input, "site:") || !strings.Contains(r.Result, `"index":7`) {
		t.Errorf("record: got %+v, want who, role, call, input and result", r)
	}
}

func wireHash(s string) string { return wire.HashToken(s) }

// TestAuditPathIsBounded: a long query string is cut in the audit record
// (it is replicated into every node's state), saying how long it was.
func TestAuditPathIsBounded(t *testing.T) {
	f := &tokenController{secret: "dcp_ab12_secret"}
	f.putSite = func(*inventory.Site) (uint64, error) { return 7, nil }
	ts := httptest.NewServer(api.NewServer(f, nil, slog.New(slog.DiscardHandler)))
	defer ts.Close()
	doc, _ := inventory.Marshal(inventory.Reference(1))
	pad := strings.Repeat("x", 50_000)
	if status, p := authCall(t, nil, "PUT", ts.URL+"/v1/inventory?pad="+pad, f.secret, doc, api.MediaYAML); status != 200 {
		t.Fatalf("got %d %+v, want 200", status, p)
	}
	if len(f.recorded) != 1 {
		t.Fatalf("records: got %d, want 1", len(f.recorded))
	}
	path := f.recorded[0].Path
	if len(path) > 1100 || !strings.HasPrefix(path, "/v1/inventory?pad=xxx") || !strings.HasSuffix(path, "…(50018 bytes)") {
		t.Errorf("recorded path of %d bytes ending %q: want at most ~1 KiB, saying the whole was 50018 bytes", len(path), path[max(0, len(path)-30):])
	}
}
