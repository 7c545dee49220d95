package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/dcplane/dcplane/api"
)

// authRouter is a follower whose auth knows no token: every token is one
// the leader created and this node has not replicated yet.
type authRouter struct{ fakeRouter }

func (f *authRouter) AuthEnabled() bool              { return true }
func (f *authRouter) Token(string) (api.Token, bool) { return api.Token{}, false }
func (f *authRouter) Tokens() ([]api.Token, error)   { return nil, nil }

// TestFollowerForwardsATokenItDoesNotKnow: a call with a bearer token the
// follower has not replicated is sent to the leader, with its token, and
// the leader's answer relayed (not a 401 from the follower); a token the
// leader refuses too is 401, and counts against the caller's guesses here,
// so that guesses sent through a follower meet its limit.
func TestFollowerForwardsATokenItDoesNotKnow(t *testing.T) {
	const fresh = "dcp_0123456789ab_fresh"
	var seen atomic.Value
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer "+fresh {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"racks":[]}`)
	}))
	defer leader.Close()
	f := &authRouter{fakeRouter{leader: leader.URL}}
	srv := api.NewServer(f, nil, slog.New(slog.DiscardHandler), api.WithLimits(api.Limits{Guesses: api.Limit{Rate: 0.001, Burst: 2}}))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.CloseIdleConnections()
	call := func(secret string) int {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v1/racks", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call(fresh); got != http.StatusOK || seen.Load() != "Bearer "+fresh {
		t.Errorf("a token the leader knows: got %d (the leader saw %v), want the leader's 200 for the token as sent", got, seen.Load())
	}
	for i := range 2 {
		if got := call("dcp_0000000000ff_wrong"); got != http.StatusUnauthorized {
			t.Errorf("guess %d: got %d, want the leader's 401", i+1, got)
		}
	}
	if got := call("dcp_0000000000ff_wrong"); got != http.StatusTooManyRequests {
		t.Errorf("a guess past the burst, through the follower: got %d, want 429", got)
	}
}
