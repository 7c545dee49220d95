package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestAddressesDoNotCrowdOutPrincipals: calls known only by their address
// are remembered in a table of their own, so a caller with more addresses
// than the limiter remembers fills that table, and a token's client still
// gets a bucket of its own rather than the shared overflow one.
func TestAddressesDoNotCrowdOutPrincipals(t *testing.T) {
	s := &Server{lim: newLimits(Limits{API: Limit{Rate: 1, Burst: 1}}, nil)}
	s.lim.api.max, s.lim.anon.max = 4, 4
	for i := range 10 {
		r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		r.RemoteAddr = fmt.Sprintf("192.0.2.%d:1234", i+1)
		if done := s.admit(httptest.NewRecorder(), r, "GET /healthz"); done != nil {
			done()
		}
	}
	if _, ok := s.lim.anon.clients["overflow"]; !ok {
		t.Fatalf("10 addresses in a table of 4: got no overflow client among %d, want one", len(s.lim.anon.clients))
	}
	r := httptest.NewRequest(http.MethodGet, "/v1/racks", nil)
	r = r.WithContext(context.WithValue(r.Context(), principalKey{}, Principal{Who: "token:abc (ops)", Role: RoleViewer}))
	if done := s.admit(httptest.NewRecorder(), r, "GET /v1/racks"); done == nil {
		t.Fatal("a token's first call after an address flood: got 429, want it served from its own bucket")
	} else {
		done()
	}
	if _, ok := s.lim.api.clients["token:abc (ops)"]; !ok {
		t.Errorf("got the token's client not remembered in the principals' table, want it there")
	}
}

// TestIPv6CallersAreKeyedByTheirSlash64: every address of one /64 is one
// client of the limits.
func TestIPv6CallersAreKeyedByTheirSlash64(t *testing.T) {
	a, b := httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRequest(http.MethodGet, "/", nil)
	a.RemoteAddr, b.RemoteAddr = "[2001:db8:1:2::1]:5000", "[2001:db8:1:2:ffff::9]:6000"
	if ka, kb := addressOf(a), addressOf(b); ka != kb || ka != "address:2001:db8:1:2::/64" {
		t.Errorf("two addresses of one /64: got %q and %q, want both address:2001:db8:1:2::/64", ka, kb)
	}
	v4 := httptest.NewRequest(http.MethodGet, "/", nil)
	v4.RemoteAddr = "192.0.2.7:80"
	if k := addressOf(v4); k != "address:192.0.2.7" {
		t.Errorf("an IPv4 caller: got %q, want address:192.0.2.7", k)
	}
}
