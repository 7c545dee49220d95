package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers"

	"github.com/dcplane/dcplane/api"
	"github.com/dcplane/dcplane/controller/placement"
	"github.com/dcplane/dcplane/controller/state"
)

// fakePlacer is a Controller and a Placer whose placement answers a test
// sets; it records what the server passed it.
type fakePlacer struct {
	fakeController
	place  func(req placement.Request, key string, dryRun, explain bool) (*state.Placement, []placement.Candidate, error)
	got    placement.Request
	gotKey string
}

func (f *fakePlacer) Place(_ context.Context, req placement.Request, key string, dryRun, explain bool) (*state.Placement, []placement.Candidate, error) {
	f.got, f.gotKey = req, key
	return f.place(req, key, dryRun, explain)
}

func (f *fakePlacer) Reserve(_ context.Context, req placement.Request, key string, ttl time.Duration) (*state.Placement, error) {
	p, _, err := f.place(req, key, false, false)
	if p != nil {
		p.Status, p.ExpiresAt = state.StatusReserved, at.Add(ttl)
	}
	return p, err
}

func (f *fakePlacer) Placements(context.Context, string) ([]*state.Placement, error) {
	p, _, _ := f.place(placement.Request{Name: "x", Replicas: 1}, "", false, false)
	return []*state.Placement{p}, nil
}

func (f *fakePlacer) Placement(_ context.Context, id string) (*state.Placement, error) {
	if id != "pl-1" {
		return nil, fmt.Errorf("placement %q: %w", id, state.ErrUnknownPlacement)
	}
	p, _, _ := f.place(placement.Request{Name: "x", Replicas: 1}, "", false, false)
	return p, nil
}

func (f *fakePlacer) RemovePlacement(_ context.Context, id string) error {
	_, err := f.Placement(context.Background(), id)
	return err
}

func (f *fakePlacer) ConfirmReservation(ctx context.Context, id string) (*state.Placement, error) {
	return f.Placement(ctx, id)
}

func placed(req placement.Request, key string, dryRun, explain bool) (*state.Placement, []placement.Candidate, error) {
	p := &state.Placement{ID: "pl-1", Key: key, Status: state.StatusPlaced, Request: req, CreatedAt: at}
	for i := range req.Replicas {
		p.Assignments = append(p.Assignments, placement.Assignment{Replica: i, Server: fmt.Sprintf("K%d-S1", i),
			Rack: fmt.Sprintf("K%d", i), Row: "R1", Hall: "H1", Feeds: []string{"A", "B"}, Watts: req.Watts})
	}
	var cands []placement.Candidate
	if explain {
		cands = []placement.Candidate{{Rack: "K0", Server: "K0-S1", Score: 0.9, Scores: map[string]float64{"binpack": 0.9}}}
	}
	return p, cands, nil
}

func TestPlacements(t *testing.T) {
	router := specRouter(t)
	infeasible := func(placement.Request, string, bool, bool) (*state.Placement, []placement.Candidate, error) {
		return nil, nil, &placement.Infeasible{Rejected: map[string]int{"feed-failover": 3, "cpu": 40},
			Binding: "H1-R03-K12: feed B would carry 16.1 kW > 14.7 kW (80 % of 3 × 32 A × 230 V) if feed A fails"}
	}
	ok := `{"name":"portal","system":"citizen-portal","replicas":2,"cpu_millicores":2000,"memory_mib":4096,"watts":400,"spread":"rack"}`
	tests := []struct {
		name       string
		place      func(placement.Request, string, bool, bool) (*state.Placement, []placement.Candidate, error)
		call       call
		key        string
		wantStatus int
		wantIn     []string
	}{
		{"placed", placed, call{method: "POST", path: "/v1/placements", ctype: "application/json", body: []byte(ok)}, "k-1",
			201, []string{`"id":"pl-1"`, `"rack":"K1"`, `"watts":800`, `"status":"placed"`}},
		{"dry run", placed, call{method: "POST", path: "/v1/placements?dry_run=true&explain=true", ctype: "application/json", body: []byte(ok)}, "",
			200, []string{`"dry_run":true`, `"candidates":[{"rack":"K0"`}},
		{"infeasible", infeasible, call{method: "POST", path: "/v1/placements", ctype: "application/json", body: []byte(ok)}, "",
			409, []string{`"type":"urn:dcplane:problem:infeasible"`, `"feed-failover":3`, `16.1 kW \u003e 14.7 kW`}},
		{"zero replicas", placed, call{method: "POST", path: "/v1/placements", ctype: "application/json",
			body: []byte(strings.Replace(ok, `"replicas":2`, `"replicas":0`, 1))}, "", 422, []string{`"field":"replicas"`}},
		{"negative watts", placed, call{method: "POST", path: "/v1/placements", ctype: "application/json",
			body: []byte(strings.Replace(ok, `"watts":400`, `"watts":-1`, 1))}, "", 422, []string{`"field":"watts"`}},
		{"watts beyond float64", placed, call{method: "POST", path: "/v1/placements", ctype: "application/json",
			body: []byte(strings.Replace(ok, `"watts":400`, `"watts":1e999`, 1))}, "", 422, []string{`"field":"watts"`}},
		{"watts of the wrong type", placed, call{method: "POST", path: "/v1/placements", ctype: "application/json",
			body: []byte(strings.Replace(ok, `"watts":400`, `"watts":"400 W"`, 1))}, "", 422, []string{`"field":"watts"`, `want float64`}},
		{"unknown spread", placed, call{method: "POST", path: "/v1/placements", ctype: "application/json",
			body: []byte(strings.Replace(ok, `"spread":"rack"`, `"spread":"galaxy"`, 1))}, "", 422, []string{`"field":"spread"`}},
		{"unknown field", placed, call{method: "POST", path: "/v1/placements", ctype: "application/json",
			body: []byte(strings.Replace(ok, `"spread"`, `"sprad"`, 1))}, "", 422, []string{`"field":"sprad"`}},
		{"two documents", placed, call{method: "POST", path: "/v1/placements", ctype: "application/json", body: []byte(ok + ok)}, "",
			422, []string{`"field":"body"`}},
		{"not JSON", placed, call{method: "POST", path: "/v1/placements", ctype: "application/json", body: []byte(`{"name":`)}, "",
			422, []string{`"field":"body"`}},
		{"wrong media type", placed, call{method: "POST", path: "/v1/placements", ctype: "text/plain", body: []byte(ok)}, "",
			415, []string{`"field":"Content-Type"`}},
		{"key too long", placed, call{method: "POST", path: "/v1/placements", ctype: "application/json", body: []byte(ok)},
			strings.Repeat("k", 129), 422, []string{`"field":"Idempotency-Key"`}},
		{"reserve", placed, call{method: "POST", path: "/v1/reservations", ctype: "application/json",
			body: []byte(strings.Replace(ok, `}`, `,"ttl":"15m"}`, 1))}, "", 201, []string{`"status":"reserved"`, `"expires_at":"2026-11-23T12:15:00Z"`}},
		{"reserve for a year", placed, call{method: "POST", path: "/v1/reservations", ctype: "application/json",
			body: []byte(strings.Replace(ok, `}`, `,"ttl":"8760h"}`, 1))}, "", 422, []string{`"field":"ttl"`}},
		{"reserve for a negative time", placed, call{method: "POST", path: "/v1/reservations", ctype: "application/json",
			body: []byte(strings.Replace(ok, `}`, `,"ttl":"-5m"}`, 1))}, "", 422, []string{`"field":"ttl"`}},
		{"reserve without ttl", placed, call{method: "POST", path: "/v1/reservations", ctype: "application/json", body: []byte(ok)}, "",
			422, []string{`"field":"ttl"`}},
		{"list", placed, call{method: "GET", path: "/v1/placements?system=x"}, "", 200, []string{`"placements":[{"id":"pl-1"`}},
		{"get", placed, call{method: "GET", path: "/v1/placements/pl-1"}, "", 200, []string{`"id":"pl-1"`}},
		{"get unknown", placed, call{method: "GET", path: "/v1/placements/pl-9"}, "", 404, []string{`"type":"urn:dcplane:problem:not-found"`, `pl-9`}},
		{"delete", placed, call{method: "DELETE", path: "/v1/placements/pl-1"}, "", 204, nil},
		{"delete unknown", placed, call{method: "DELETE", path: "/v1/placements/pl-9"}, "", 404, nil},
		{"confirm", placed, call{method: "POST", path: "/v1/reservations/pl-1/confirm"}, "", 200, []string{`"id":"pl-1"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp := &fakePlacer{place: tt.place}
			srv := api.NewServer(fp, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
			c := tt.call
			status, body, _ := doWith(t, router, srv, c, "Idempotency-Key", tt.key)
			if status != tt.wantStatus {
				t.Fatalf("status: got %d, want %d\n%s", status, tt.wantStatus, body)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(string(body), w) {
					t.Errorf("body: got %s, want it to contain %s", body, w)
				}
			}
			if tt.wantStatus == 201 && tt.key != "" && fp.gotKey != tt.key {
				t.Errorf("key: got %q, want %q", fp.gotKey, tt.key)
			}
		})
	}
}

func TestPlacementRequestReachesTheEngine(t *testing.T) {
	fp := &fakePlacer{place: placed}
	srv := api.NewServer(fp, nil, slog.New(slog.DiscardHandler), api.WithoutAuth())
	body := `{"name":"pacs","system":"medical","replicas":3,"cpu_millicores":8000,"memory_mib":32768,"gpus":1,
		"utilisation":0.6,"spread":"row","strategy":"spread","both_feeds":true,"hall":"H2","row":"H2-R01",
		"labels":{"tier":"gpu"},"priority":7,"profile":[0,0,0,0,0,0,0.2,0.5,1,1,1,1,1,1,1,1,1,0.5,0.2,0,0,0,0,0]}`
	status, out, _ := doWith(t, specRouter(t), srv, call{method: "POST", path: "/v1/placements", ctype: "application/json", body: []byte(body)})
	if status != 201 {
		t.Fatalf("status: got %d, want 201\n%s", status, out)
	}
	g := fp.got
	if g.Name != "pacs" || g.System != "medical" || g.Replicas != 3 || g.CPUMillicores != 8000 || g.MemoryMiB != 32768 ||
		g.GPUs != 1 || g.Utilisation != 0.6 || g.Spread != "row" || g.Strategy != "spread" || !g.BothFeeds ||
		g.Hall != "H2" || g.Row != "H2-R01" || g.Labels["tier"] != "gpu" || g.Priority != 7 || len(g.Profile) != 24 || g.Profile[8] != 1 {
		t.Errorf("got %+v, want every field of the body", g)
	}
	var p api.Placement
	if err := json.Unmarshal(out, &p); err != nil || p.Request.Name != "pacs" {
		t.Errorf("answer: got %+v, %v, want the request echoed", p.Request, err)
	}
}

// doWith is do with request headers set (name, value pairs; an empty value
// sets nothing).
func doWith(t *testing.T, router routers.Router, h http.Handler, c call, headers ...string) (int, []byte, string) {
	t.Helper()
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			if headers[i+1] != "" {
				r.Header.Set(headers[i], headers[i+1])
			}
		}
		h.ServeHTTP(w, r)
	})
	return do(t, router, wrapped, c)
}
