package controller_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller"
	"github.com/dcplane/dcplane/controller/state"
	"github.com/dcplane/dcplane/controller/store"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/serve"
)

// openSite starts a single-node controller in dir with site applied, and
// an HTTP server of its API.
func openSite(t *testing.T, dir string, site *inventory.Site) (*serve.Node, *api.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := serve.Open(ctx, controller.Config{NoAuth: true, NodeID: "c1", DataDir: dir, RaftAddr: "127.0.0.1:0", Bootstrap: true,
		StaleAfter: 30 * time.Second, AccountEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.WaitForLeader(ctx); err != nil {
		n.Close()
		t.Fatal(err)
	}
	if _, err := n.PutSite(ctx, site); err != nil {
		n.Close()
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler())
	t.Cleanup(srv.Close)
	c, err := api.NewClient(srv.URL, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return n, c
}

// TestNoOverbookingUnderConcurrency has 100 clients place onto the two racks
// of one hall through the API at once, until the hall is full. Then it reads
// the Raft log back, and recomputes from the committed placements alone,
// with arithmetic of its own, every rack budget, every surviving PDU phase
// after either feed fails, every row's N+1 cooling and every server's CPU
// and memory: none may be exceeded, and every placement acknowledged to a
// client must be in the log.
func TestNoOverbookingUnderConcurrency(t *testing.T) {
	dir := t.TempDir()
	site := inventory.Reference(4)
	n, c := openSite(t, dir, site)

	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for attempt, refused := 0, 0; refused < 3; attempt++ {
				req := &api.PlacementRequest{Name: fmt.Sprintf("w%d", i), Replicas: 1 + rng.IntN(2), CPUMillicores: 500,
					MemoryMiB: 512, Watts: 300 + float64(rng.IntN(1500)), Hall: "H1", Spread: "server"}
				p, err := c.Place(context.Background(), req, api.PlaceOptions{Key: fmt.Sprintf("c%d-%d", i, attempt)})
				var prob *api.Problem
				switch {
				case err == nil:
					mu.Lock()
					acked[p.ID] = true
					mu.Unlock()
				case errors.As(err, &prob) && prob.Status == http.StatusConflict:
					refused++
				default:
					t.Errorf("client %d: got %v, want a placement or a 409", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if len(acked) < 5 {
		t.Fatalf("only %d placements acknowledged: the test does not fill the hall", len(acked))
	}

	m := state.New()
	err := store.ReadLog(dir, func(index uint64, data []byte) error {
		cmd, err := state.Decode(data)
		if err != nil {
			return fmt.Errorf("entry %d: %w", index, err)
		}
		_, _ = m.Apply(index, cmd) // refused commands advance the index only
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	v := m.View()
	for id := range acked {
		if _, ok := v.Placement(id); !ok {
			t.Errorf("placement %s was acknowledged but is not in the log", id)
		}
	}
	checkLimits(t, site, v.Placements())
	t.Logf("%d placements acknowledged, %d in the log", len(acked), len(v.Placements()))
}

// checkLimits recomputes, from placements alone, every limit the engine
// must keep, and fails the test for each one exceeded.
func checkLimits(t *testing.T, site *inventory.Site, ps []*state.Placement) {
	t.Helper()
	rackW := map[string]float64{}
	cpu, mem := map[string]int64{}, map[string]int64{}
	for _, p := range ps {
		for _, a := range p.Assignments {
			rackW[a.Rack] += a.Watts
			cpu[a.Server] += p.Request.CPUMillicores
			mem[a.Server] += p.Request.MemoryMiB
		}
	}
	for hi := range site.Halls {
		h := &site.Halls[hi]
		var hallW, hallBudget float64
		for ri := range h.Rows {
			r := &h.Rows[ri]
			var rowW float64
			for ki := range r.Racks {
				k := &r.Racks[ki]
				w := rackW[k.ID]
				rowW += w
				hallBudget += k.BudgetWatts()
				if w > k.BudgetWatts() {
					t.Errorf("rack %s: %v W placed > %v W budget", k.ID, w, k.BudgetWatts())
				}
				checkFailover(t, k, w)
				for _, s := range k.Servers {
					if cpu[s.ID] > s.CPUMillicores || mem[s.ID] > s.MemoryMiB {
						t.Errorf("server %s: %d m / %d MiB used > %d m / %d MiB", s.ID, cpu[s.ID], mem[s.ID], s.CPUMillicores, s.MemoryMiB)
					}
				}
			}
			hallW += rowW
			var sum, largest float64
			for _, u := range r.Cooling {
				sum += u.CapacityWatts()
				largest = math.Max(largest, u.CapacityWatts())
			}
			if len(r.Cooling) > 0 && rowW > sum-largest {
				t.Errorf("row %s: %v W placed > %v W of N+1 cooling", r.ID, rowW, sum-largest)
			}
		}
		if h.BudgetKW > 0 {
			hallBudget = h.BudgetKW * 1000
		}
		if hallW > hallBudget {
			t.Errorf("hall %s: %v W placed > %v W budget", h.ID, hallW, hallBudget)
		}
	}
}

// checkFailover checks that either feed of a 2N rack carries the rack's
// load alone, spread evenly over its phases, within 80 % of each phase's
// breaker.
func checkFailover(t *testing.T, k *inventory.Rack, w float64) {
	t.Helper()
	if len(k.Feeds) < 2 {
		return
	}
	for _, survivor := range k.Feeds {
		var phases int
		var perPhase float64 = math.Inf(1)
		for _, p := range k.PDUs {
			if p.Feed == survivor {
				phases += p.Phases
				perPhase = math.Min(perPhase, p.VoltageV*p.BreakerA*inventory.DerateFactor)
			}
		}
		if phases == 0 {
			continue
		}
		if load := w / float64(phases); load > perPhase {
			t.Errorf("rack %s: feed %s alone would carry %.0f W a phase > %.0f W", k.ID, survivor, load, perPhase)
		}
	}
}

func TestPlaceIdempotentAndDryRun(t *testing.T) {
	n, c := openSite(t, t.TempDir(), inventory.Reference(4))
	defer n.Close()
	ctx := context.Background()
	req := &api.PlacementRequest{Name: "mail", Replicas: 2, CPUMillicores: 1000, MemoryMiB: 1024, Watts: 700}
	dry, err := c.Place(ctx, req, api.PlaceOptions{DryRun: true, Explain: true, Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if !dry.DryRun || len(dry.Replicas) != 2 || len(dry.Candidates) == 0 {
		t.Errorf("dry run: got %+v, want 2 replicas, candidates, dry_run", dry)
	}
	first, err := c.Place(ctx, req, api.PlaceOptions{Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Place(ctx, req, api.PlaceOptions{Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID {
		t.Errorf("retried with the same key: got %s, want %s", again.ID, first.ID)
	}
	list, err := c.Placements(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Placements) != 1 {
		t.Errorf("placements: got %d, want 1 (the dry run and the retry place nothing)", len(list.Placements))
	}
	k, err := c.Rack(ctx, first.Replicas[0].Rack)
	if err != nil {
		t.Fatal(err)
	}
	if k.PlacedWatts < 700 {
		t.Errorf("rack %s placed_watts: got %v, want at least 700", k.ID, k.PlacedWatts)
	}
	if err := c.RemovePlacement(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	var prob *api.Problem
	if _, err := c.Placement(ctx, first.ID); !errors.As(err, &prob) || prob.Status != http.StatusNotFound {
		t.Errorf("after removal: got %v, want a 404", err)
	}
}

func TestKeyReusedForAnotherRequest(t *testing.T) {
	n, c := openSite(t, t.TempDir(), inventory.Reference(4))
	defer n.Close()
	ctx := context.Background()
	req := &api.PlacementRequest{Name: "mail", Replicas: 2, CPUMillicores: 1000, MemoryMiB: 1024, Watts: 700}
	first, err := c.Place(ctx, req, api.PlaceOptions{Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	// The same body again, watts written differently but equal once
	// rounded as the log records them: the first answer.
	same := *req
	same.Watts = 699.2
	if p, err := c.Place(ctx, &same, api.PlaceOptions{Key: "k"}); err != nil || p.ID != first.ID {
		t.Errorf("same request: got %v, %v, want %s", p, err, first.ID)
	}
	other := *req
	other.Replicas = 3
	_, err = c.Place(ctx, &other, api.PlaceOptions{Key: "k"})
	var prob *api.Problem
	if !errors.As(err, &prob) || prob.Status != http.StatusUnprocessableEntity || len(prob.Errors) == 0 || prob.Errors[0].Field != "Idempotency-Key" {
		t.Errorf("another request with the key: got %v, want a 422 naming Idempotency-Key", err)
	}
}
