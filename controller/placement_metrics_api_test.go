package controller_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/internal/inventory"
)

// TestPlacementMetricsThroughAPI places, refuses and rejects requests (a
// key reused for another request) through the API and reads /metrics:
// each is counted under its result,
// the refusal under its binding constraint, and the placed rack exports
// the declared watts the API reports for it.
func TestPlacementMetricsThroughAPI(t *testing.T) {
	n, c := openSite(t, t.TempDir(), inventory.Reference(4))
	defer n.Close()
	ctx := context.Background()
	p, err := c.Place(ctx, &api.PlacementRequest{Name: "mail", Replicas: 1, CPUMillicores: 1000, MemoryMiB: 1024, Watts: 700}, api.PlaceOptions{Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	var prob *api.Problem
	if _, err := c.Place(ctx, &api.PlacementRequest{Name: "huge", Replicas: 1, Watts: 1e6}, api.PlaceOptions{}); !errors.As(err, &prob) || prob.Type != api.ProblemInfeasible {
		t.Fatalf("1 MW replica: got %v, want a refusal", err)
	}
	if _, err := c.Place(ctx, &api.PlacementRequest{Name: "other", Replicas: 1, Watts: 100}, api.PlaceOptions{Key: "k"}); err == nil {
		t.Fatal("key reused for another request: got a placement, want it refused as invalid")
	}
	k, err := c.Rack(ctx, p.Replicas[0].Rack)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Metrics())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	got := string(b)
	for _, want := range []string{
		`dcplane_placement_requests_total{result="placed"} 1` + "\n",
		`dcplane_placement_requests_total{result="refused"} 1` + "\n",
		`dcplane_placement_requests_total{result="invalid"} 1` + "\n",
		`dcplane_placement_requests_total{result="unknown"} 0` + "\n",
		`dcplane_placement_refusals_total{reason="rack-power"} 1` + "\n",
		`dcplane_placement_request_duration_seconds_count 3` + "\n",
		`dcplane_rack_placed_watts{hall="` + k.Hall + `",rack="` + k.ID + `",row="` + k.Row + `"} ` + strconv.FormatFloat(k.PlacedWatts, 'g', -1, 64) + "\n",
		`dcplane_rack_reserved_watts{hall="` + k.Hall + `",rack="` + k.ID + `",row="` + k.Row + `"} 0` + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("/metrics: got no %q", strings.TrimSpace(want))
		}
	}
	if k.PlacedWatts < 700 {
		t.Errorf("rack %s placed_watts: got %v, want at least 700", k.ID, k.PlacedWatts)
	}
}
