package api_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/crosscheck"
)

// fakeServerer is a Controller and a Serverer with one rack of two
// servers: one read, one whose BMC has not answered.
type fakeServerer struct{ fakeController }

func (fakeServerer) Servers(_ context.Context, rack string) ([]crosscheck.Server, error) {
	if rack != "" && rack != "K1" {
		return nil, fmt.Errorf("rack %q: %w", rack, api.ErrUnknownRack)
	}
	w, a, b := 410.0, 410.0, 0.0
	bad := false
	return []crosscheck.Server{
		{ID: "S1", Rack: "K1", Fresh: true, Watts: &w, DeclaredWatts: 800,
			PSUs: []crosscheck.PSU{{Index: 1, Feed: "A", Watts: &a}, {Index: 2, Feed: "B", Watts: &b, Healthy: &bad}}},
		{ID: "S2", Rack: "K1", Reason: "poll-failed: timeout", DeclaredWatts: 800,
			PSUs: []crosscheck.PSU{{Index: 1, Feed: "A"}, {Index: 2, Feed: "B"}}},
	}, nil
}

// TestServers checks GET /v1/servers through the Go client: each server's
// measured power and PSUs, an unknown reading as null (nil), never 0, and
// an unknown rack as a 404 the client reports as ErrUnknownRack's problem.
func TestServers(t *testing.T) {
	ts := httptest.NewServer(api.NewServer(&fakeServerer{}, nil, slog.New(slog.DiscardHandler), api.WithoutAuth()))
	defer ts.Close()
	c, err := api.NewClient(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Servers(t.Context(), "K1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d servers, want 2", len(got))
	}
	if s := got[0]; s.Watts == nil || *s.Watts != 410 || s.PSUs[1].Watts == nil || *s.PSUs[1].Watts != 0 || s.PSUs[1].Healthy == nil || *s.PSUs[1].Healthy {
		t.Errorf("S1: got %+v, want 410 W, PSU 2 on B at 0 W and unhealthy", s)
	}
	if s := got[1]; s.Fresh || s.Watts != nil || s.PSUs[0].Watts != nil || s.Reason != "poll-failed: timeout" {
		t.Errorf("S2: got %+v, want stale with every reading unknown", s)
	}
	_, err = c.Servers(t.Context(), "K9")
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != 404 || p.Detail != `rack "K9" is not in the inventory` {
		t.Errorf("unknown rack: got %v, want a 404 problem naming the rack", err)
	}
}
