package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// deniedCount reads dcplane_api_denied_requests_total{route,reason} off a
// /metrics page; 0 when the series is absent.
func deniedCount(t *testing.T, page, route, reason string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^dcplane_api_denied_requests_total\{reason="` + regexp.QuoteMeta(reason) +
		`",route="` + regexp.QuoteMeta(route) + `"\} (\S+)$`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func metricsPage(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestDeniedCallsAreCountedAndLoggedWithoutSecrets: over a real socket, on
// a real node, every 401 and 403 is counted on /metrics by route pattern
// and reason, and logged at warn with its method, path and reason (the
// caller when known, else its address), never with the bearer secret it
// carried, revoked or never made; none goes into the audit trail.
func TestDeniedCallsAreCountedAndLoggedWithoutSecrets(t *testing.T) {
	a := startAuthNode(t, "a1", "", "", nil)
	ctx := t.Context()
	admin := client(t, a.url, a.admin)
	viewer, err := admin.CreateToken(ctx, api.TokenRequest{Name: "v", Role: api.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := admin.CreateToken(ctx, api.TokenRequest{Name: "old", Role: api.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.RevokeToken(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	const forged = "dcp_zz99_NOT-A-REAL-SECRET-1234567890"
	calls := []struct {
		token, method, path string
		status              int
		route, reason       string
	}{
		{"", "GET", "/v1/racks", 401, "GET /v1/racks", "no-credentials"},
		{forged, "GET", "/v1/racks", 401, "GET /v1/racks", "unknown-token"},
		{revoked.Secret, "GET", "/v1/inventory", 401, "GET /v1/inventory", "revoked-token"},
		{viewer.Secret, "PUT", "/v1/inventory", 403, "PUT /v1/inventory", "role"},
	}
	for _, c := range calls {
		if status, p := authCall(t, nil, c.method, a.url+c.path, c.token, nil, ""); status != c.status {
			t.Fatalf("%s %s: got %d %+v, want %d", c.method, c.path, status, p, c.status)
		}
	}
	page := metricsPage(t, a.url)
	for _, c := range calls {
		if got := deniedCount(t, page, c.route, c.reason); got != 1 {
			t.Errorf("denied %s for %s: got %g, want 1", c.route, c.reason, got)
		}
	}
	logged := a.log.String()
	for _, c := range calls {
		if !regexp.MustCompile(`level=WARN msg="call denied" component=api status=` + strconv.Itoa(c.status) + ` address=127\.0\.0\.1 method=` + c.method +
			` path=` + regexp.QuoteMeta(c.path) + ` reason=` + c.reason).MatchString(logged) {
			t.Errorf("no warn line for the %s denial of %s %s in the log:\n%s", c.reason, c.method, c.path, logged)
		}
	}
	if !strings.Contains(logged, `reason=role`) || !strings.Contains(logged, `who="token:`+viewer.ID+` (v)"`) {
		t.Errorf("the 403's line does not name its caller:\n%s", logged)
	}
	for _, secret := range []string{forged, revoked.Secret, viewer.Secret, a.admin, "NOT-A-REAL-SECRET"} {
		if strings.Contains(logged, secret) {
			t.Errorf("the log holds a bearer secret %q", secret)
		}
	}
	recs, err := admin.Audit(ctx, api.AuditFilter{Path: "/v1/inventory"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Records) != 0 {
		t.Errorf("audit: got %+v, want no record of the denied calls", recs.Records)
	}
}

// TestDeniedLogIsRateLimitedPerAddress: an address refused many times a
// second gets a few lines, the next of which says how many were
// suppressed; every refusal is still counted.
func TestDeniedLogIsRateLimitedPerAddress(t *testing.T) {
	var buf syncBuffer
	reg := prometheus.NewRegistry()
	f := &tokenController{secret: "dcp_ab12_secret"}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", api.NewServer(f, nil, slog.New(slog.NewTextHandler(&buf, nil)), api.WithRegisterer(reg), api.WithLimits(api.Limits{})))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	const calls = 50
	for range calls {
		if status, _ := authCall(t, nil, "GET", ts.URL+"/v1/racks", "", nil, ""); status != 401 {
			t.Fatalf("got %d, want 401", status)
		}
	}
	lines := strings.Count(buf.String(), `msg="call denied"`)
	if lines < 1 || lines > 10 {
		t.Errorf("got %d lines for %d denials in well under a few seconds, want a few", lines, calls)
	}
	page := metricsPage(t, ts.URL)
	if got := deniedCount(t, page, "GET /v1/racks", "no-credentials"); got != calls {
		t.Errorf("denials counted: got %g, want %d", got, calls)
	}
	if !strings.Contains(page, "dcplane_api_denied_log_lines_suppressed_total "+strconv.Itoa(calls-lines)) {
		t.Errorf("suppressed lines: want %d on /metrics:\n%s", calls-lines, page)
	}
	// Once the address's budget refills, its next line says how many of its
	// lines were suppressed.
	time.Sleep(600 * time.Millisecond) // one line's worth of budget at 2 a second
	authCall(t, nil, "GET", ts.URL+"/v1/racks", "", nil, "")
	if !strings.Contains(buf.String(), "suppressed="+strconv.Itoa(calls-lines)) {
		t.Errorf("no line says %d were suppressed:\n%s", calls-lines, buf.String())
	}
}
