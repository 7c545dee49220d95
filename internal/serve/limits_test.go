package serve_test

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/internal/serve"
)

// twoHalls is a site of two halls with one rack each, fed by two PDUs of 3
// phases at 230 V behind 32 A breakers (44,160 W each at most, twice
// their rating).
const twoHalls = `site: limits
halls:
  - id: H1
    rows:
      - id: H1-R1
        racks:
          - id: H1-K1
            pdus:
              - {id: H1-P1, feed: A, breaker_a: 32, snmp: {address: "127.0.0.1:16100", profile: apc-rpdu2, credentials: snmp-ro}}
              - {id: H1-P2, feed: B, breaker_a: 32, snmp: {address: "127.0.0.1:16110", profile: apc-rpdu2, credentials: snmp-ro}}
  - id: H2
    rows:
      - id: H2-R1
        racks:
          - id: H2-K1
            pdus:
              - {id: H2-P1, feed: A, breaker_a: 32, snmp: {address: "127.0.0.1:16101", profile: apc-rpdu2, credentials: snmp-ro}}
              - {id: H2-P2, feed: B, breaker_a: 32, snmp: {address: "127.0.0.1:16111", profile: apc-rpdu2, credentials: snmp-ro}}
`

// servedNode is a single authenticating node serving its API on
// 127.0.0.1:0, with the inventory twoHalls and an admin client.
type servedNode struct {
	n     *serve.Node
	url   string
	admin *api.Client
	hc    *http.Client
}

func openServed(t *testing.T, ctx context.Context, maxConns int) *servedNode {
	t.Helper()
	n, err := serve.Open(ctx, controller.Config{NodeID: "l1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
		Bootstrap: true, StaleAfter: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	secret, err := n.BootstrapToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n.SetMaxConnections(maxConns)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- n.Serve(sctx, ln) }()
	t.Cleanup(func() { stop(); <-served })
	s := &servedNode{n: n, url: "http://" + ln.Addr().String(), hc: &http.Client{Timeout: 10 * time.Second}}
	t.Cleanup(s.hc.CloseIdleConnections)
	s.admin = s.client(t, secret)
	if _, err := s.admin.PutInventory(ctx, []byte(twoHalls)); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *servedNode) client(t *testing.T, secret string) *api.Client {
	t.Helper()
	c, err := api.NewClient(s.url, s.hc)
	if err != nil {
		t.Fatal(err)
	}
	c.UseToken(secret)
	return c
}

// agent makes an agent's token of these halls and a client that sends it.
func (s *servedNode) agent(t *testing.T, ctx context.Context, name string, halls ...string) *api.Client {
	t.Helper()
	tok, err := s.admin.CreateToken(ctx, api.TokenRequest{Name: name, Role: api.RoleAgent, Halls: halls})
	if err != nil {
		t.Fatal(err)
	}
	return s.client(t, tok.Secret)
}

func pduPoll(device string, at time.Time, watts float64) collectors.Status {
	return collectors.Status{Device: device, At: at, OK: true,
		Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: watts}}}
}

// TestPushOutsideTheAgentsHallsIsRefused: an agent held to hall H1 pushes
// for a PDU of H1 and one of H2; the first is taken, the second refused
// (unassigned, described), counted on /metrics and never applied: H2's
// rack stays unknown. A token of another role cannot be held to halls.
func TestPushOutsideTheAgentsHallsIsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openServed(t, ctx, 0)
	h1 := s.agent(t, ctx, "agent-h1", "H1")
	now := time.Now()
	rep, err := h1.PushTelemetry(ctx, &api.Batch{Agent: "agent-h1", Seq: 1, Polls: []collectors.Status{
		pduPoll("H1-P1", now, 4000), pduPoll("H1-P2", now, 0), pduPoll("H2-P1", now, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 2 || rep.RefusedPolls["unassigned"] != 1 || len(rep.Problems) != 1 || rep.Problems[0].Device != "H2-P1" ||
		!strings.Contains(rep.Problems[0].Detail, "hall H2") {
		t.Errorf("push: got %+v, want H1-P1 taken and H2-P1 refused as unassigned, naming its hall", rep)
	}
	if k, err := s.admin.Rack(ctx, "H2-K1"); err != nil || k.DrawWatts != nil {
		t.Errorf("H2-K1: got %v, %v, want its draw unknown: the refused poll never applied", k, err)
	}
	if k, err := s.admin.Rack(ctx, "H1-K1"); err != nil || k.DrawWatts == nil || *k.DrawWatts != 4000 {
		t.Errorf("H1-K1: got %v, %v, want 4000 W", k, err)
	}
	if m := scrape(t, s); !strings.Contains(m, `dcplane_controller_telemetry_refused_polls_total{reason="unassigned"} 1`) {
		t.Error("/metrics: got no unassigned refusal counted, want 1")
	}
	var p *api.Problem
	if _, err := s.admin.CreateToken(ctx, api.TokenRequest{Name: "v", Role: api.RoleViewer, Halls: []string{"H1"}}); !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity {
		t.Errorf("a viewer's token with halls: got %v, want 422", err)
	}
	all := s.agent(t, ctx, "agent-all")
	if rep, err := all.PushTelemetry(ctx, &api.Batch{Agent: "agent-all", Seq: 1, Polls: []collectors.Status{pduPoll("H2-P1", now.Add(time.Second), 10)}}); err != nil || rep.Accepted != 1 {
		t.Errorf("an agent of every hall: got %+v, %v, want H2-P1 taken", rep, err)
	}
}

// TestReadingBeyondPhysicalBoundsIsRefused: a PDU reading of 10.4 MW (the
// forged rack of issue 7) is dropped as beyond-rating, and the answer says
// why and names the bound; the rack's draw is not that reading.
func TestReadingBeyondPhysicalBoundsIsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openServed(t, ctx, 0)
	a := s.agent(t, ctx, "agent")
	rep, err := a.PushTelemetry(ctx, &api.Batch{Agent: "agent", Seq: 1, Polls: []collectors.Status{pduPoll("H1-P1", time.Now(), 10.4e6)}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.DroppedReadings["beyond-rating"] != 1 || len(rep.Problems) != 1 || rep.Problems[0].Value != "1.04e+07" ||
		!strings.Contains(rep.Problems[0].Detail, "at most 44160") {
		t.Errorf("push: got %+v, want the reading dropped as beyond-rating, naming 44160 W", rep)
	}
	if k, err := s.admin.Rack(ctx, "H1-K1"); err != nil || k.DrawWatts != nil {
		t.Errorf("H1-K1: got %v, %v, want its draw unknown, not 10.4 MW", k, err)
	}
}

// TestNoAPISumBecomesInfiniteOrNaN feeds the PDUs extreme finite values
// (and infinities, NaN), push after push, and reads the racks and the
// rollups each time: every answer is 200 (JSON cannot carry Inf or NaN, so
// an infinite sum would be a 500) and every draw is finite and within what
// the PDUs can carry.
func TestNoAPISumBecomesInfiniteOrNaN(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := openServed(t, ctx, 0)
	a := s.agent(t, ctx, "agent")
	extremes := []float64{math.MaxFloat64, -math.MaxFloat64, 1.7e308, 1e300, 1e18, 1e18 + 1, 44160, 44161, 0, math.SmallestNonzeroFloat64,
		-1, math.Inf(1), math.Inf(-1), math.NaN()}
	r := rand.New(rand.NewPCG(7, 7))
	at := time.Now().Add(-time.Minute)
	for i := range 45 { // within an agent's burst of pushes
		at = at.Add(500 * time.Millisecond)
		pick := func() float64 {
			if r.IntN(3) == 0 {
				return r.Float64() * math.MaxFloat64
			}
			return extremes[r.IntN(len(extremes))]
		}
		polls := []collectors.Status{pduPoll("H1-P1", at, pick()), pduPoll("H1-P2", at, pick()), pduPoll("H2-P1", at, pick()), pduPoll("H2-P2", at, pick())}
		if _, err := a.PushTelemetry(ctx, &api.Batch{Agent: "agent", Seq: uint64(i + 1), Polls: polls}); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		racks, err := s.admin.Racks(ctx, api.RackFilter{})
		if err != nil {
			t.Fatalf("after push %d (%v): GET /v1/racks: %v", i, polls, err)
		}
		for _, k := range racks.Racks {
			if k.DrawWatts != nil && (math.IsInf(*k.DrawWatts, 0) || math.IsNaN(*k.DrawWatts) || *k.DrawWatts > 2*44160 || *k.DrawWatts < 0) {
				t.Fatalf("after push %d: rack %s draws %v, want finite within 0 to 88320 W", i, k.ID, *k.DrawWatts)
			}
		}
		pw, err := s.admin.Power(ctx)
		if err != nil {
			t.Fatalf("after push %d: GET /v1/power: %v", i, err)
		}
		if d := pw.Site.DrawWatts; math.IsInf(d, 0) || math.IsNaN(d) || d > 4*44160 {
			t.Fatalf("after push %d: the site draws %v, want finite within 176640 W", i, d)
		}
	}
}

// TestConnectionFloodDoesNotTakeTheNodeDown: 200 idle connections against
// a port that holds 16 cost the node about 16 connections' goroutines,
// not 200; the node keeps leading, and once the flood closes a client is
// served at once.
func TestConnectionFloodDoesNotTakeTheNodeDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openServed(t, ctx, 16)
	s.hc.CloseIdleConnections()
	before := runtime.NumGoroutine()
	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	addr := strings.TrimPrefix(s.url, "http://")
	for range 200 {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			break // the backlog is full: the flood is refused by the kernel
		}
		flood = append(flood, c)
	}
	if len(flood) < 32 {
		t.Fatalf("flood: got %d connections, want more than the limit", len(flood))
	}
	// Give the server every chance to accept what it would.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) && runtime.NumGoroutine()-before < 64 {
		runtime.Gosched()
	}
	if grown := runtime.NumGoroutine() - before; grown > 48 {
		t.Errorf("goroutines: grew by %d for %d connections, want about the 16 held", grown, len(flood))
	}
	if err := s.n.Ready(); err != nil {
		t.Errorf("node under the flood: got %v, want ready", err)
	}
	for _, c := range flood {
		c.Close()
	}
	flood = nil
	res, err := s.hc.Get(s.url + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz after the flood: %v", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz after the flood: got %d, want 200", res.StatusCode)
	}
}

func scrape(t *testing.T, s *servedNode) string {
	t.Helper()
	res, err := s.hc.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
