package api_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
)

// agentsController authenticates two agent tokens, "flood" and "calm";
// its Ingest blocks while hold is set, so that pushes stay in flight.
type agentsController struct {
	fakeController
	taken atomic.Int64
}

func (f *agentsController) AuthEnabled() bool { return true }
func (f *agentsController) Token(id string) (api.Token, bool) {
	switch id {
	case "f10d00000001", "ca1a00000001":
		return api.Token{ID: id, Name: id, Role: api.RoleAgent, Hash: wireHash(agentSecret(id))}, true
	}
	return api.Token{}, false
}

func agentSecret(id string) string { return "dcp_" + id + "_secret" }

// TestFloodingAgentIsLimitedOthersAreServed: an agent that pushes as fast
// as it can meets 429 (with Retry-After, counted by class and kind) once
// past its burst, while another agent's pushes, made at the same time,
// are every one taken: each client has its own bucket.
func TestFloodingAgentIsLimitedOthersAreServed(t *testing.T) {
	f := &agentsController{}
	f.ingest = func(b *api.Batch) (int, error) { f.taken.Add(1); return len(b.Polls), nil }
	reg := prometheus.NewPedanticRegistry()
	h := api.NewServer(f, nil, slog.New(slog.DiscardHandler), api.WithRegisterer(reg),
		api.WithLimits(api.Limits{API: api.Limit{Rate: 1000, Burst: 1000, InFlight: 16}, Ingest: api.Limit{Rate: 2, Burst: 5, InFlight: 2}}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	hc := &http.Client{Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	body, err := api.EncodeBatch(&api.Batch{Agent: "a", Seq: 1, Polls: []collectors.Status{{Device: "P1", At: time.Now(), OK: true}}})
	if err != nil {
		t.Fatal(err)
	}
	push := func(id string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/telemetry", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", api.MediaCBOR)
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Authorization", "Bearer "+agentSecret(id))
		res, err := hc.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, res.Header.Get("Retry-After")
	}
	var wg sync.WaitGroup
	var limited, floodOK atomic.Int64
	var retryAfter atomic.Value
	for range 4 {
		wg.Go(func() {
			for range 25 {
				switch code, ra := push("f10d00000001"); code {
				case http.StatusTooManyRequests:
					limited.Add(1)
					retryAfter.Store(ra)
				case http.StatusAccepted:
					floodOK.Add(1)
				}
			}
		})
	}
	calm := make([]int, 0, 3)
	for range 3 {
		code, _ := push("ca1a00000001")
		calm = append(calm, code)
	}
	wg.Wait()
	for i, code := range calm {
		if code != http.StatusAccepted {
			t.Errorf("the calm agent's push %d: got %d, want 202 while the other floods", i+1, code)
		}
	}
	// 100 pushes in well under 10 s: at most its burst and a few a second.
	if limited.Load() < 80 || floodOK.Load() > 20 {
		t.Errorf("the flooding agent: got %d taken and %d limited, want at most 20 taken", floodOK.Load(), limited.Load())
	}
	if ra, _ := retryAfter.Load().(string); ra == "" || ra == "0" {
		t.Errorf("Retry-After of a 429: got %q, want whole seconds", ra)
	}
	if n := testutil.ToFloat64(mustCounter(t, reg, "ingest", "token", "rate")) + testutil.ToFloat64(mustCounter(t, reg, "ingest", "token", "in-flight")); n != float64(limited.Load()) {
		t.Errorf("dcplane_api_throttled_requests_total{class=ingest,kind=token}: got %v, want %d", n, limited.Load())
	}
}

// mustCounter finds dcplane_api_throttled_requests_total of these labels.
func mustCounter(t *testing.T, reg *prometheus.Registry, class, kind, limit string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if mf.GetName() == "dcplane_api_throttled_requests_total" && l["class"] == class && l["kind"] == kind && l["limit"] == limit {
				c.Add(m.GetCounter().GetValue())
			}
		}
	}
	return c
}

// TestInFlightLimitIsPerClient: a client with as many calls in flight as
// its limit gets 429 for the next, and another client is served.
func TestInFlightLimitIsPerClient(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	f := &agentsController{}
	f.ingest = func(b *api.Batch) (int, error) {
		if b.Agent == "slow" {
			entered <- struct{}{}
			<-release
		}
		return len(b.Polls), nil
	}
	h := api.NewServer(f, nil, slog.New(slog.DiscardHandler),
		api.WithLimits(api.Limits{Ingest: api.Limit{InFlight: 1}}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	flood, calm := client(t, srv.URL, agentSecret("f10d00000001")), client(t, srv.URL, agentSecret("ca1a00000001"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	batch := func(agent string) *api.Batch {
		return &api.Batch{Agent: agent, Seq: 1, Polls: []collectors.Status{{Device: "P1", At: time.Now(), OK: true}}}
	}
	done := make(chan error, 1)
	go func() { _, err := flood.Push(ctx, batch("slow")); done <- err }()
	<-entered
	var p *api.Problem
	if _, err := flood.Push(ctx, batch("fast")); !errors.As(err, &p) || p.Status != http.StatusTooManyRequests {
		t.Errorf("a second push in flight: got %v, want 429", err)
	}
	if _, err := calm.Push(ctx, batch("fast")); err != nil {
		t.Errorf("another agent's push: got %v, want it taken", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("the slow push: got %v, want it taken", err)
	}
}

// TestTokenGuessesAreLimitedPerAddress: an address that sends more bearer
// tokens that are not the cluster's than its burst gets 429 for every call
// with a token, the right one too (a right guess must not be served), and
// counted; a call from it with no token is still answered (401), and the
// bucket refills.
func TestTokenGuessesAreLimitedPerAddress(t *testing.T) {
	f := &agentsController{}
	f.ingest = func(b *api.Batch) (int, error) { return len(b.Polls), nil }
	reg := prometheus.NewPedanticRegistry()
	h := api.NewServer(f, nil, slog.New(slog.DiscardHandler), api.WithRegisterer(reg),
		api.WithLimits(api.Limits{Guesses: api.Limit{Rate: 5, Burst: 3}}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	hc := &http.Client{Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	call := func(secret string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/racks", nil)
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 3 {
		if got := call("dcp_000000000000_wrong"); got != http.StatusUnauthorized {
			t.Fatalf("guess %d of a burst of 3: got %d, want 401", i+1, got)
		}
	}
	if got := call("dcp_000000000000_wrong"); got != http.StatusTooManyRequests {
		t.Errorf("a guess past the burst: got %d, want 429", got)
	}
	if got := call(agentSecret("ca1a00000001")); got != http.StatusTooManyRequests {
		t.Errorf("a right token from a spent address: got %d, want 429 (a right guess must not be served)", got)
	}
	if got := call(""); got != http.StatusUnauthorized {
		t.Errorf("no token from a spent address: got %d, want 401", got)
	}
	if n := testutil.ToFloat64(mustCounter(t, reg, "auth", "address", "guesses")); n != 2 {
		t.Errorf("got %v calls counted as guesses refused, want 2", n)
	}
	time.Sleep(time.Second)
	if got := call(agentSecret("ca1a00000001")); got == http.StatusTooManyRequests || got == http.StatusUnauthorized {
		t.Errorf("a right token once the bucket refilled: got %d, want it authenticated", got)
	}
}
