package controller_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/collectors"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/power"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
)

// TestMain checks that no test leaves a goroutine behind, but for the
// waiter of a Raft future that an apply queued while its node shut down:
// hashicorp/raft never answers such a future, and store.await's waiter,
// whose caller has long returned on its context, ends with the process.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/dcplane/dcplane/controller/store.(*Store).await.func1"))
}

const staleAfter = 30 * time.Second

// clock is a settable Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// open starts a node on 127.0.0.1:0 in a temporary directory and serves its
// API on a real socket; both stop when the test ends.
func open(t *testing.T, id string, bootstrap bool, now func() time.Time) (*serve.Node, *api.Client, string) {
	t.Helper()
	n, err := serve.Open(context.Background(), controller.Config{NoAuth: true, NodeID: id, DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0",
		Bootstrap: bootstrap, StaleAfter: staleAfter, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(n.Handler())
	t.Cleanup(func() {
		ts.Close()
		if err := n.Close(); err != nil {
			t.Errorf("Close: got %v, want nil", err)
		}
	})
	c, err := api.NewClient(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n, c, ts.URL
}

func siteYAML(t *testing.T, s *inventory.Site) []byte {
	t.Helper()
	b, err := inventory.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFollowerAnswersNotLeader asks a node that is not the leader (it
// waits to be joined to a cluster) everything the API serves: what only
// the leader knows is a 503 not-leader problem, never a 500 or an empty
// answer; the replicated inventory is 503 catching-up, since it has not
// heard from a leader.
func TestFollowerAnswersNotLeader(t *testing.T) {
	_, _, url := open(t, "c2", false, nil)
	batch, err := api.EncodeBatch(&api.Batch{Agent: "a1", Seq: 1, Polls: []collectors.Status{{Device: "H1-R01-K01-PA", At: time.Now(), OK: true}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path, ctype, encoding string
		body                          []byte
		wantStatus                    int
		wantIn                        string
	}{
		{"GET", "/v1/racks", "", "", nil, 503, "no leader is known yet"},
		{"GET", "/v1/racks/H1-R01-K01", "", "", nil, 503, "no leader is known yet"},
		{"GET", "/v1/power", "", "", nil, 503, "no leader is known yet"},
		{"PUT", "/v1/inventory", api.MediaYAML, "", siteYAML(t, inventory.Reference(1)), 503, "no leader is known yet"},
		{"POST", "/v1/telemetry", api.MediaCBOR, "gzip", batch, 503, "no leader is known yet"},
		// It has not heard from a leader: its state may be old.
		{"GET", "/v1/inventory", "", "", nil, 503, api.ProblemCatchingUp},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, url+tt.path, strings.NewReader(string(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.wantStatus || res.Header.Get("Content-Type") != api.MediaProblem || !strings.Contains(string(body), tt.wantIn) {
				t.Errorf("got %d %s %s, want %d %s with %q", res.StatusCode, res.Header.Get("Content-Type"), body, tt.wantStatus, api.MediaProblem, tt.wantIn)
			}
			if tt.wantIn == "no leader is known yet" && !strings.Contains(string(body), api.ProblemNotLeader) {
				t.Errorf("got %s, want a %s problem", body, api.ProblemNotLeader)
			}
		})
	}
}

// TestLeaderAccounting runs a single-node cluster: the leader takes an
// inventory and telemetry, and its report follows the real telemetry
// window's freshness on the node's clock.
func TestLeaderAccounting(t *testing.T) {
	clk := &clock{now: time.Now()}
	n, c, _ := open(t, "c1", true, clk.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	var p *api.Problem
	if _, err := c.Power(ctx); !errors.As(err, &p) || p.Type != api.ProblemNoInventory {
		t.Fatalf("got %v before any inventory, want a %s problem", err, api.ProblemNoInventory)
	}
	if _, err := c.PutInventory(ctx, siteYAML(t, inventory.Reference(1))); err != nil {
		t.Fatalf("PutInventory: %v", err)
	}
	poll := func(dev string, watts float64) collectors.Status {
		return collectors.Status{Device: dev, At: clk.Now(), OK: true,
			Readings: []collectors.Reading{{Metric: collectors.PowerWatts, Scope: collectors.ScopeDevice, Value: watts}}}
	}
	res, err := c.Push(ctx, &api.Batch{Agent: "a1", Seq: 1, Polls: []collectors.Status{
		poll("H1-R01-K01-PA", 4000), poll("H1-R01-K01-PB", 5000), poll("NOT-IN-THE-INVENTORY", 1),
	}})
	if err != nil || res.Accepted != 2 {
		t.Fatalf("got %+v, %v, want the 2 polls of known devices accepted", res, err)
	}
	checkRack := func(wantStatus string, wantDraw float64, wantReason string) {
		t.Helper()
		k, err := c.Rack(ctx, "H1-R01-K01")
		if err != nil {
			t.Fatal(err)
		}
		draw := -1.0
		if k.DrawWatts != nil {
			draw = *k.DrawWatts
		}
		if k.Status != wantStatus || draw != wantDraw || len(k.PDUs) != 2 || k.PDUs[0].StaleReason != wantReason {
			t.Errorf("got %s with draw %v (PDUs %+v), want %s with draw %v, PA stale reason %q", k.Status, draw, k.PDUs, wantStatus, wantDraw, wantReason)
		}
	}
	checkRack(power.StatusOK, 9000, "")
	clk.Advance(staleAfter)
	checkRack(power.StatusOK, 9000, "")
	clk.Advance(time.Second)
	checkRack(power.StatusStale, -1, "too-old")
	sum, err := c.Power(ctx)
	if err != nil || sum.Site.Complete || sum.Site.StaleRacks != 1 {
		t.Errorf("got %+v, %v, want the site incomplete with 1 stale rack", sum, err)
	}
}
