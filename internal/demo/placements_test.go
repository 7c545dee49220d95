package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/inventory"
	"github.com/dcplane/dcplane/internal/peer"
	"github.com/dcplane/dcplane/sim"
)

func TestPlacedLoads(t *testing.T) {
	day := make([]float64, 24)
	for h := range day {
		day[h] = 0.5
	}
	l := &api.PlacementList{Placements: []api.Placement{
		{Status: "placed", Request: api.PlacementRequest{Profile: day}, Replicas: []api.Replica{
			{Rack: "K1", Watts: 200}, {Rack: "K2", Watts: 200}, {Rack: "K1", Watts: 200}}},
		{Status: "reserved", Replicas: []api.Replica{{Rack: "K3", Watts: 900}}}, // holds room, draws nothing
		{Status: "placed", Replicas: []api.Replica{{Rack: "K2", Watts: 350}}},   // no profile: flat
	}}
	want := map[string][]sim.PlacedLoad{
		"K1": {{Watts: 200, Profile: day}, {Watts: 200, Profile: day}},
		"K2": {{Watts: 200, Profile: day}, {Watts: 350}},
	}
	if got := placedLoads(l); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestFollowPlacements serves a list of placements that changes, then
// fails: the simulated rack draws what is placed on it, nothing once it is
// removed, and keeps what it had while the listing fails.
func TestFollowPlacements(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	site := inventory.Reference(1)
	rackID := site.Halls[0].Rows[0].Racks[0].ID
	var answer atomic.Value // the JSON body to serve, or "" for a 500
	var failed atomic.Int64 // 500s served
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := answer.Load().(string)
		if r.URL.Path != "/v1/placements" || body == "" {
			failed.Add(1)
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", api.MediaJSON)
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	one, _ := json.Marshal(api.PlacementList{Placements: []api.Placement{{Status: "placed",
		Replicas: []api.Replica{{Rack: rackID, Watts: 1500}, {Rack: rackID, Watts: 500}}}}})
	answer.Store(string(one))
	s, err := sim.StartSite(ctx, sim.SiteConfig{Site: site, Community: "follow"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rack, _ := s.Rack(rackID)
	c, _ := api.NewClient(srv.URL, nil)
	fctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		followPlacements(fctx, c, s, 10*time.Millisecond, slog.New(slog.DiscardHandler))
	}()
	defer func() { stop(); <-done }()
	placed := func(want float64) func() error {
		return func() error {
			if got := rack.PlacedLoad(); got != want {
				return fmt.Errorf("got %v W placed, want %v", got, want)
			}
			return nil
		}
	}
	waitFor(ctx, t, "drawing 2000 W placed", placed(2000))
	answer.Store(`{"placements":[]}`)
	waitFor(ctx, t, "back to its own load", placed(0))
	answer.Store(string(one))
	waitFor(ctx, t, "drawing 2000 W placed again", placed(2000))
	answer.Store("")
	waitFor(ctx, t, "listing failed thrice", func() error {
		if failed.Load() < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err := placed(2000)(); err != nil {
		t.Errorf("while the listing fails: %v", err)
	}
}

// TestPlaceWorkloads starts an 8-rack demo and places the city's workloads
// on it: some fit, the rest are named with the reason; placing them again
// places nothing twice; the simulator follows, so that a rack holding
// placements is measured drawing them on top of its own load, and draws
// them no more once they are removed.
func TestPlaceWorkloads(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ws, err := CityWorkloads()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Start(ctx, Config{Site: inventory.Reference(8), HTTPAddr: "127.0.0.1:0", Interval: 500 * time.Millisecond, Level: 0.4})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var out strings.Builder
	got, err := d.PlaceWorkloads(ctx, ws, &out)
	if err != nil {
		t.Fatalf("PlaceWorkloads: got %v, want nil", err)
	}
	checkPlaced(t, got, len(ws), out.String())
	for _, r := range got.Refused {
		// Placing waited until the leader had every rack's peak.
		if strings.Contains(r.Reason, "would draw") && !strings.Contains(r.Reason, "max(peak ") {
			t.Errorf("%s: got reason %q, want the rack's measured peak weighed", r.Name, r.Reason)
		}
	}
	list, err := d.Client().Placements(ctx, "")
	if err != nil || len(list.Placements) != got.Workloads {
		t.Fatalf("got %d placements (%v), want the %d placed", len(list.Placements), err, got.Workloads)
	}
	again, err := d.PlaceWorkloads(ctx, ws, &strings.Builder{})
	if err != nil || again.Workloads != got.Workloads || again.Replicas != got.Replicas {
		t.Errorf("placed again: got %+v (%v), want %+v as the first time", again, err, got)
	}
	if l, _ := d.Client().Placements(ctx, ""); len(l.Placements) != len(list.Placements) {
		t.Errorf("placed again: got %d placements, want %d (the idempotency keys place nothing twice)", len(l.Placements), len(list.Placements))
	}
	rackID, ids := busiestRack(list)
	checkDrawFollows(ctx, t, d, rackID, ids)
}

// checkPlaced checks what PlaceWorkloads says it did, and wrote.
func checkPlaced(t *testing.T, got Placed, n int, out string) {
	t.Helper()
	if got.Workloads == 0 || len(got.Refused) == 0 || got.Workloads+len(got.Refused) != n {
		t.Fatalf("got %d placed and %d refused, want some of each on 8 racks, %d in all", got.Workloads, len(got.Refused), n)
	}
	for _, r := range got.Refused {
		line := fmt.Sprintf("  did not fit: %s (%d × %.0f W): %s\n", r.Name, r.Replicas, r.Watts, r.Reason)
		if r.Reason == "" || !strings.Contains(out, line) {
			t.Errorf("got output %q, want a line %q with the binding reason", out, line)
		}
	}
	total := fmt.Sprintf("placed %d of %d workloads: %d replicas, %.1f kW declared", got.Workloads, n, got.Replicas, got.Watts/1000)
	if got.Replicas == 0 || !strings.Contains(out, total) {
		t.Errorf("got output %q, want it to say %q", out, total)
	}
}

// busiestRack returns the rack holding the most placed watts, and the IDs
// of the placements with a replica on it.
func busiestRack(l *api.PlacementList) (string, []string) {
	watts := map[string]float64{}
	on := map[string][]string{}
	for _, p := range l.Placements {
		for _, r := range p.Replicas {
			watts[r.Rack] += r.Watts
			if ids := on[r.Rack]; len(ids) == 0 || ids[len(ids)-1] != p.ID {
				on[r.Rack] = append(ids, p.ID)
			}
		}
	}
	best := ""
	for k, w := range watts {
		if best == "" || w > watts[best] || (w == watts[best] && k < best) {
			best = k
		}
	}
	return best, on[best]
}

// checkDrawFollows waits until the controller measures rack drawing its
// own load plus most of what is placed on it, then removes the placements
// ids and waits until the rack draws only its own load again.
func checkDrawFollows(ctx context.Context, t *testing.T, d *Demo, rackID string, ids []string) {
	t.Helper()
	rack, err := d.Sim().Rack(rackID)
	if err != nil {
		t.Fatal(err)
	}
	measured := func() (float64, error) {
		k, err := d.Client().Rack(ctx, rackID)
		if err != nil || k.DrawWatts == nil {
			return 0, fmt.Errorf("rack %s draw unknown (%v)", rackID, err)
		}
		return *k.DrawWatts, nil
	}
	waitFor(ctx, t, "measuring the placed load", func() error {
		placed := rack.PlacedLoad()
		own := rack.Load() - placed
		draw, err := measured()
		switch {
		case err != nil:
			return err
		case placed < 1000 || draw < own+0.5*placed:
			return fmt.Errorf("got %s drawing %.0f W, want its own %.0f W + most of its placed %.0f W", rackID, draw, own, placed)
		}
		return nil
	})
	for _, id := range ids {
		if err := d.Client().RemovePlacement(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(ctx, t, "measuring the rack's own load again", func() error {
		own := rack.Load()
		draw, err := measured()
		switch {
		case err != nil:
			return err
		case rack.PlacedLoad() != 0 || draw > 1.1*own:
			return fmt.Errorf("got %s drawing %.0f W (placed %.0f W), want its own %.0f W", rackID, draw, rack.PlacedLoad(), own)
		}
		return nil
	})
}

// TestRunSimController: the standalone simulator given a controller says
// so and lists its placements; a URL that is not one fails at once.
func TestRunSimController(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var listed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/placements" {
			listed.Add(1)
		}
		w.Header().Set("Content-Type", api.MediaJSON)
		fmt.Fprint(w, `{"placements":[]}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	c := SimConfig{Site: inventory.Reference(1), InventoryOut: dir + "/site.yaml", CommunityFile: dir + "/community", Controller: "ftp://x"}
	if err := RunSim(ctx, c, &strings.Builder{}); err == nil || !strings.Contains(err.Error(), `"ftp://x"`) {
		t.Errorf("got %v, want an error naming the URL", err)
	}
	c.Controller, c.FollowEvery = srv.URL, 50*time.Millisecond
	runCtx, stop := context.WithCancel(ctx)
	var out peer.Log
	done := make(chan error, 1)
	go func() { done <- RunSim(runCtx, c, &out) }()
	waitFor(ctx, t, "listing placements twice", func() error {
		if listed.Load() < 2 {
			return errors.New("not yet")
		}
		return nil
	})
	stop()
	if err := <-done; err != nil {
		t.Errorf("got %v from RunSim, want nil once stopped", err)
	}
	if want := "following the placements of " + srv.URL + " every 50ms\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("got %q, want it to end %q", out.String(), want)
	}
}
